"""Scoring server of the model image deployed to Azure Container Instances.

Loads the registered MLflow model named by MODEL_URI (e.g. `models:/fashion-cnn/4`) once, then
serves `GET /` (health, used by the smoke test) and `POST /score` with body
`{"data": [[28x28 floats], ...]}` → `{"predictions": [class index, ...], "model": MODEL_URI}`.
Only the standard library serves HTTP, to keep the image small.
"""
import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import mlflow.pytorch
import torch

MODEL_URI = os.environ.get("MODEL_URI", "models:/fashion-cnn/latest")
PORT = int(os.environ.get("PORT", "5001"))
MAX_BODY = 5 * 1024 * 1024  # refuse anything larger than a reasonable batch

model = mlflow.pytorch.load_model(MODEL_URI, map_location="cpu")
model.eval()


class Handler(BaseHTTPRequestHandler):
    def _send(self, status, payload):
        body = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path in ("/", "/health"):
            self._send(200, {"status": "ok", "model": MODEL_URI})
        else:
            self._send(404, {"error": "not found"})

    def do_POST(self):
        if self.path != "/score":
            self._send(404, {"error": "not found"})
            return
        length = int(self.headers.get("content-length") or 0)
        if length <= 0 or length > MAX_BODY:
            self._send(400, {"error": "body required (max 5 MB)"})
            return
        try:
            data = json.loads(self.rfile.read(length))["data"]
            x = torch.tensor(data, dtype=torch.float32).reshape(-1, 1, 28, 28)
        except (ValueError, KeyError, TypeError, RuntimeError) as err:
            self._send(400, {"error": f"bad input: {err}"})
            return
        with torch.no_grad():
            predictions = model(x).argmax(dim=1).tolist()
        self._send(200, {"predictions": predictions, "model": MODEL_URI})

    def log_message(self, fmt, *args):  # one line per request, no bodies (they may hold user data)
        print(f"{self.address_string()} {fmt % args}", flush=True)


if __name__ == "__main__":
    ThreadingHTTPServer(("0.0.0.0", PORT), Handler).serve_forever()

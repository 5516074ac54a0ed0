"""Scoring server of the image deployed to Azure Container Instances: serves ONE pinned model version.

Input contract (docs/scoring.md):
  POST /score   content-type: application/json
  {"inputs": [[784 numbers], ...]}   1 to 64 rows; each row is one 28x28 grey image, row-major
                                     (row 0 = top, 28 values per image row), 0.0 = black, 1.0 = white
  200 {"model": {"name", "version"}, "predictions": [{"class": 9, "label": "Ankle boot", "probabilities": [10 floats]}]}
  400 {"error": "..."} for anything else (the message says what is wrong); 413 above 1 MB.
  GET / (health) 200 {"status": "ok", "model": {...}}

The model files are in MODEL_DIR (fetch_model.py put them there for MODEL_NAME / MODEL_VERSION and
wrote pinned.json). The server refuses to start if pinned.json does not name exactly the version in
MODEL_NAME / MODEL_VERSION: it never serves "latest" or whatever happens to be there.
Only torch and the standard library run here (no mlflow in the serving process).
"""
import json
import math
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "..", "databricks", "src")]  # image: /app; repo: the training package
from mlops_training.model import CLASSES, FashionCnn  # noqa: E402

PIXELS = 784
MAX_ROWS = 64
MAX_BODY = 1024 * 1024


class BadInput(ValueError):
    pass


def parse_inputs(raw):
    """The validated input rows as a float tensor N x 784, or BadInput saying what is wrong."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as err:
        raise BadInput(f"body is not JSON ({err.__class__.__name__})") from None
    if not isinstance(body, dict) or set(body) != {"inputs"}:
        raise BadInput('body must be {"inputs": [[784 numbers], ...]}')
    rows = body["inputs"]
    if not isinstance(rows, list) or not 1 <= len(rows) <= MAX_ROWS:
        raise BadInput(f'"inputs" must be a list of 1 to {MAX_ROWS} rows')
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != PIXELS:
            raise BadInput(f"inputs[{i}] must be a list of {PIXELS} numbers (a 28x28 image, row-major)")
        for v in row:
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or not 0.0 <= v <= 1.0:
                raise BadInput(f"inputs[{i}] holds {v!r}: every value must be a number from 0.0 to 1.0")
    return torch.tensor(rows, dtype=torch.float32)


def load_pinned(model_dir, name, version):
    if not name or not version:
        raise SystemExit("MODEL_NAME and MODEL_VERSION are required: the server serves one pinned version")
    with open(os.path.join(model_dir, "pinned.json"), encoding="utf-8") as f:
        pinned = json.load(f)
    if pinned.get("name") != name or str(pinned.get("version")) != str(version):
        raise SystemExit(f"{model_dir} holds {pinned.get('name')} version {pinned.get('version')}, not {name} version {version}")
    model = FashionCnn()
    weights = os.path.join(model_dir, "extra_files", "weights.pt")
    # weights_only: the file is a state dict; never unpickle arbitrary objects in the serving process.
    model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    model.eval()
    return model


def predict(model, x):
    with torch.no_grad():
        probs = torch.softmax(model(x), dim=1)
    return [{"class": int(p.argmax()), "label": CLASSES[int(p.argmax())], "probabilities": [round(float(v), 6) for v in p]} for p in probs]


def make_handler(model, identity):
    class Handler(BaseHTTPRequestHandler):
        def _send(self, status, payload):
            body = json.dumps(payload).encode("utf-8")
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):  # noqa: N802 (http.server's name)
            if self.path == "/":
                self._send(200, {"status": "ok", "model": identity})
            else:
                self._send(404, {"error": f"no route GET {self.path}: use GET / or POST /score"})

        def do_POST(self):  # noqa: N802
            if self.path != "/score":
                self._send(404, {"error": f"no route POST {self.path}: use POST /score"})
                return
            try:
                length = int(self.headers.get("content-length") or 0)
            except ValueError:
                length = -1
            if length > MAX_BODY:
                self._send(413, {"error": f"body larger than {MAX_BODY} bytes"})
                return
            if length <= 0:
                self._send(400, {"error": 'a JSON body is required: {"inputs": [[784 numbers]]}'})
                return
            if (self.headers.get("content-type") or "").split(";")[0].strip().lower() != "application/json":
                self._send(400, {"error": "content-type must be application/json"})
                return
            try:
                x = parse_inputs(self.rfile.read(length))
            except BadInput as err:
                self._send(400, {"error": str(err)})
                return
            self._send(200, {"model": identity, "predictions": predict(model, x)})

        def log_message(self, fmt, *args):  # one line per request, never bodies (they may hold user data)
            print(f"{self.address_string()} {fmt % args}", flush=True)

    return Handler


def main():
    name, version = os.environ.get("MODEL_NAME", ""), os.environ.get("MODEL_VERSION", "")
    model = load_pinned(os.environ.get("MODEL_DIR", "/model"), name, version)
    server = ThreadingHTTPServer((os.environ.get("HOST", "0.0.0.0"), int(os.environ.get("PORT", "5001"))), make_handler(model, {"name": name, "version": version}))
    print(f"serving {name} version {version} on port {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

import json
import os
import threading
import types
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

import fetch_model


class FakeMlflow:
    """Records the registry URI and the artifact URI asked for; writes one file where MLflow would."""

    def __init__(self):
        self.calls = []
        self.artifacts = types.SimpleNamespace(download_artifacts=self._download)

    def set_tracking_uri(self, uri):
        self.calls.append(("set_tracking_uri", uri))

    def set_registry_uri(self, uri):
        self.calls.append(("set_registry_uri", uri))

    def _download(self, artifact_uri, dst_path):
        self.calls.append(("download", artifact_uri, os.environ.get("DATABRICKS_TOKEN")))
        os.makedirs(os.path.join(dst_path, "extra_files"), exist_ok=True)
        return dst_path


@pytest.fixture
def imds():
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            seen.append((self.path, self.headers.get("Metadata")))
            payload = json.dumps({"access_token": "eyJ.mi-token"}).encode()
            self.send_response(200)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *a):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/metadata/identity/oauth2/token", seen
    server.shutdown()


def test_downloads_exactly_the_pinned_version_with_a_managed_identity_token(tmp_path, imds, monkeypatch):
    endpoint, seen = imds
    monkeypatch.delenv("DATABRICKS_TOKEN", raising=False)
    fake = FakeMlflow()
    env = {"MODEL_NAME": "main.mlops.fashion_cnn", "MODEL_VERSION": "7", "MLFLOW_REGISTRY_URI": "databricks-uc", "AZURE_CLIENT_ID": "cid"}
    local = fetch_model.fetch(env, str(tmp_path), mlflow=fake, imds=endpoint)
    assert ("download", "models:/main.mlops.fashion_cnn/7", "eyJ.mi-token") in fake.calls
    assert ("set_registry_uri", "databricks-uc") in fake.calls
    assert "resource=2ff814a6-3304-4ab8-85cb-cd0e6f879c1d" in seen[0][0] and "client_id=cid" in seen[0][0] and seen[0][1] == "true"
    assert json.loads(open(os.path.join(local, "pinned.json")).read())["version"] == "7"


@pytest.mark.parametrize("version", ["", "latest", "champion"])
def test_refuses_anything_but_a_version_number(tmp_path, version):
    with pytest.raises(SystemExit, match="numeric MODEL_VERSION"):
        fetch_model.fetch({"MODEL_NAME": "m", "MODEL_VERSION": version, "MLFLOW_REGISTRY_URI": "http://mlflow"}, str(tmp_path), mlflow=FakeMlflow())

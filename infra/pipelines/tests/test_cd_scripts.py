import contextlib
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

import rest
import run_training_job
import smoke_test
import wait_for_model_version

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")


class Fake:
    """Answers calls from a script by (method, path) in order, recording what was sent."""

    def __init__(self, answers):
        self.answers, self.calls = answers, []

    def __call__(self, method, url, body=None, query=None):
        self.calls.append((method, url.split("azuredatabricks.net")[-1], body, query))
        return self.answers.pop(0)


@contextlib.contextmanager
def serving(handler):
    """A local HTTP server on a free loopback port, answering with `handler`, for one test."""
    server = HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def test_training_job_gets_the_declared_parameters_and_reads_the_latest_attempt(capsys):
    logs = 'epoch 1/1\nMLOPS_RESULT {"mlflow_run_id": "abc", "model_version": "7", "model_name": "m", "experiment_id": "1"}'
    fake = Fake([
        {"run_id": 55},
        {"status": {"state": "RUNNING"}},
        {"status": {"state": "TERMINATED", "termination_details": {"code": "SUCCESS"}},
         "tasks": [{"task_key": "train", "run_id": 60, "attempt_number": 0}, {"task_key": "train", "run_id": 61, "attempt_number": 1}]},
        {"logs": logs},
    ])
    code = run_training_job.main(["--host", "https://adb-1.2.azuredatabricks.net", "--job-id", "9", "--lr", "0.01", "--batch_size", "32", "--optimizer", "sgd"],
                                 call=fake, sleep=lambda s: None)
    assert code == 0
    assert fake.calls[0] == ("POST", "/api/2.2/jobs/run-now", {"job_id": 9, "job_parameters": {"lr": "0.01", "batch_size": "32", "optimizer": "sgd"}}, None)
    assert fake.calls[-1][3] == {"run_id": 61}  # the retried attempt's output
    out = capsys.readouterr().out
    assert "##vso[task.setvariable variable=MODEL_VERSION;isOutput=true]7" in out
    assert "##vso[build.addbuildtag]model-version-7" in out.splitlines()


def test_training_job_reports_a_platform_cancel(capsys):
    fake = Fake([{"run_id": 1}, {"status": {"state": "TERMINATED", "termination_details": {"code": "CANCELED", "message": "timed out"}}, "tasks": []}])
    assert run_training_job.main(["--host", "h", "--job-id", "1"], call=fake, sleep=lambda s: None) == 1
    assert "ended CANCELED: timed out" in capsys.readouterr().out


@pytest.mark.parametrize("registry,prefix", [("unity-catalog", "/api/2.0/mlflow/unity-catalog"), ("workspace", "/api/2.0/mlflow")])
def test_waits_for_ready_and_outputs_the_scoring_image(registry, prefix, capsys):
    fake = Fake([{"model_version": {"status": "PENDING_REGISTRATION"}},
                 {"model_version": {"status": "READY", "tags": [{"key": "scoring_image", "value": "acr.io/s:1"}]}}])
    assert wait_for_model_version.main(["--host", "https://adb-1.2.azuredatabricks.net", "--registry", registry, "--name", "n", "--version", "3"], call=fake, sleep=lambda s: None) == 0
    assert fake.calls[0][1] == prefix + "/model-versions/get" and fake.calls[0][3] == {"name": "n", "version": "3"}
    assert "SCORING_IMAGE;isOutput=true]acr.io/s:1" in capsys.readouterr().out


def test_failed_registration_fails_the_stage():
    fake = Fake([{"model_version": {"status": "FAILED_REGISTRATION", "status_message": "copy failed"}}])
    assert wait_for_model_version.main(["--host", "h", "--name", "n", "--version", "1"], call=fake, sleep=lambda s: None) == 1


def test_rest_retries_throttling_then_raises_typed_errors():
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            seen.append(self.headers.get("authorization"))
            status = 429 if len(seen) == 1 else 404
            body = json.dumps({"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "nope"}).encode()
            self.send_response(status)
            if status == 429:
                self.send_header("retry-after", "0")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    with serving(Handler) as url:
        with pytest.raises(rest.ApiError) as err:
            rest.call("GET", f"{url}/x", token="dapi-t", sleep=lambda s: None)
        assert err.value.status == 404 and seen == ["Bearer dapi-t", "Bearer dapi-t"]


def test_smoke_test_posts_the_configured_sample_and_checks_probabilities():
    got = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            got.append(json.loads(self.rfile.read(int(self.headers["content-length"]))))
            body = json.dumps({"predictions": [{"label": "Trouser", "probabilities": [0.1] * 10}]}).encode()
            self.send_response(200)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    with serving(Handler) as url:
        config = os.path.join(ROOT, "mlops.config.yaml")
        assert smoke_test.main(["--url", url, "--config", config]) == 0
        assert len(got[0]["inputs"][0]) == 784
    assert smoke_test.check({"predictions": [{"probabilities": [0.5] * 10}]}, 1) is not None

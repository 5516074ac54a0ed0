"""Test support (not shipped): train a tiny model with the real training code and put it where the
scoring container would have it, as fetch_model.py does, without mlflow or a network.

Usage: local_model.py <data-dir> <work-dir> <model-name>  → prints the model directory.
The training side uses the recording mlflow stand-in (infra/databricks/tests/mlflow_recording_stub.py);
the download side hands fetch_model.fetch a stand-in whose download copies the logged model directory.
"""
import os
import shutil
import sys
import types

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, ".."), os.path.join(HERE, "..", "..", "databricks", "src"), os.path.join(HERE, "..", "..", "databricks", "tests")]

import fetch_model  # noqa: E402
from mlflow_recording_stub import RecordingMlflow  # noqa: E402
from mlops_training.cli import main as train  # noqa: E402


def run(data_dir, work, name):
    recorder = RecordingMlflow(os.path.join(work, "artifacts"))
    version = train(["--data-dir", data_dir, "--model-name", name, "--epochs", "2", "--batch_size", "32"], mlflow=recorder)
    logged = os.path.join(recorder.artifact_root, "model")

    def download(artifact_uri, dst_path):
        assert artifact_uri == f"models:/{name}/{version}", artifact_uri
        shutil.copytree(logged, dst_path, dirs_exist_ok=True)
        return dst_path

    local = types.SimpleNamespace(set_tracking_uri=lambda u: None, set_registry_uri=lambda u: None,
                                  artifacts=types.SimpleNamespace(download_artifacts=download))
    env = {"MODEL_NAME": name, "MODEL_VERSION": version, "MLFLOW_REGISTRY_URI": "http://mlflow.invalid"}
    return fetch_model.fetch(env, os.path.join(work, "model"), mlflow=local), version


if __name__ == "__main__":
    model_dir, version = run(*sys.argv[1:4])
    print(f"MODEL_DIR={model_dir} MODEL_VERSION={version}")

"""MLflow side of a training run: experiment, parameters, metrics, model with signature, registration.

Only these mlflow calls are used (tests/mlflow_recording_stub.py records the same ones where the
mlflow library is not installed): set_registry_uri, set_experiment, start_run, set_tag, log_params,
log_metrics, models.infer_signature, pytorch.log_model, MlflowClient().set_model_version_tag.
"""
import json
import os
import tempfile

import torch

from .model import CLASSES

# Registry kind (mlops.config.yaml `registry:`) -> MLflow registry URI. `mlflow`: the tracking URI
# (MLFLOW_TRACKING_URI) is also the registry, so nothing is set.
REGISTRY_URIS = {"unity-catalog": "databricks-uc", "workspace": "databricks"}
RESULT_MARKER = "MLOPS_RESULT "
# Files that score.py loads with torch alone (no mlflow in the scoring process).
WEIGHTS_FILE = "weights.pt"
CARD_FILE = "model.json"


def scoring_files(model, directory):
    """Writes the weights and a description of the input contract; returns their paths."""
    weights = os.path.join(directory, WEIGHTS_FILE)
    card = os.path.join(directory, CARD_FILE)
    torch.save(model.state_dict(), weights)
    with open(card, "w", encoding="utf-8") as f:
        json.dump({"architecture": "FashionCnn", "input": {"shape": [784], "range": [0.0, 1.0], "layout": "row-major 28x28"},
                   "classes": CLASSES}, f)
    return [weights, card]


def log_and_register(mlflow, args, model, example):
    """Runs inside an active MLflow run: logs the model (signature + input example), registers it."""
    with torch.no_grad():
        output = torch.softmax(model(torch.from_numpy(example)), dim=1).numpy()
    # Unity Catalog refuses a model without a signature that has inputs and outputs.
    signature = mlflow.models.infer_signature(example.reshape(len(example), -1), output)
    with tempfile.TemporaryDirectory() as tmp:
        info = mlflow.pytorch.log_model(model, artifact_path="model", signature=signature,
                                        input_example=example.reshape(len(example), -1),
                                        registered_model_name=args.model_name, extra_files=scoring_files(model, tmp),
                                        # The model class travels with the model, so pyfunc can load it anywhere.
                                        code_paths=[os.path.dirname(os.path.abspath(__file__))])
    version = str(info.registered_model_version)
    if args.scoring_image:
        # The registries have no image field: the image that serves this version goes in a version tag.
        mlflow.MlflowClient().set_model_version_tag(args.model_name, version, "scoring_image", args.scoring_image)
    return version


def result_line(run, model_name, version):
    return RESULT_MARKER + json.dumps({"mlflow_run_id": run.info.run_id, "experiment_id": run.info.experiment_id,
                                       "model_name": model_name, "model_version": version})

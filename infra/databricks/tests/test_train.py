import json
import os

from mlops_training import cli
from mlops_training.trainer import METRICS


def run(data_dir, recorder, *extra):
    return cli.main(["--data-dir", data_dir, "--model-name", "main.mlops.fashion_cnn", "--epochs", "4", "--batch_size", "32",
                     "--lr", "0.003", "--databricks-run-id", "77", "--scoring-image", "acr.example/mlops-scoring:abc", *extra], mlflow=recorder)


def test_training_lowers_the_loss_and_logs_what_the_bot_reads(data_dir, recorder, capsys):
    version = run(data_dir, recorder)
    metrics = [m for (m,), k in recorder.calls_to("log_metrics")]
    steps = [k["step"] for _, k in recorder.calls_to("log_metrics")]
    assert steps == [1, 2, 3, 4]
    assert all(set(m) == set(METRICS) for m in metrics)
    assert metrics[-1]["train_loss"] < metrics[0]["train_loss"]
    assert metrics[-1]["val_accuracy"] > 0.5  # the generated classes are separable

    assert recorder.calls_to("set_registry_uri") == [(("databricks-uc",), {})]
    assert recorder.calls_to("set_experiment") == [(("/Shared/mlops-chatops/fashion-cnn",), {})]
    (logged,), _ = recorder.calls_to("log_params")[0]
    assert {k: logged[k] for k in ("lr", "epochs", "batch_size", "optimizer")} == {"lr": 0.003, "epochs": 4, "batch_size": 32, "optimizer": "adam"}
    assert recorder.calls_to("set_tag")[0][0] == ("mlops.databricks_run_id", "77")

    (_, path), kw = recorder.calls_to("pytorch.log_model")[0]
    assert path == "model" and kw["registered_model_name"] == "main.mlops.fashion_cnn"
    assert kw["signature"] == {"inputs": [1, 784], "outputs": [1, 10]}  # UC needs inputs and outputs
    assert kw["input_example"].shape == (1, 784)
    assert kw["code_paths"][0].endswith("mlops_training")  # the model class travels with the model
    assert recorder.calls_to("client.set_model_version_tag") == [(("main.mlops.fashion_cnn", "1", "scoring_image", "acr.example/mlops-scoring:abc"), {})]

    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("MLOPS_RESULT ")
    result = json.loads(last[len("MLOPS_RESULT "):])
    assert result["model_name"] == "main.mlops.fashion_cnn" and result["model_version"] == version == "1"
    assert result["mlflow_run_id"]


def test_scoring_files_travel_with_the_model(data_dir, recorder):
    run(data_dir, recorder)
    files = sorted(os.listdir(os.path.join(recorder.artifact_root, "model", "extra_files")))
    assert files == ["model.json", "weights.pt"]


def test_registry_kind_selects_the_registry_uri(data_dir, recorder):
    cli.main(["--data-dir", data_dir, "--model-name", "fashion-cnn", "--registry", "workspace", "--epochs", "1", "--max-samples", "32"], mlflow=recorder)
    assert recorder.calls_to("set_registry_uri") == [(("databricks",), {})]
    assert recorder.calls_to("client.set_model_version_tag") == []  # no image given, no tag

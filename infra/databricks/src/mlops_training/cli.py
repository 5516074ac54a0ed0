"""train.py's main: data from --data-dir, training, MLflow logging and registration, result line."""
import sys

import numpy as np

from . import idx
from .params import DECLARED, parse_args
from .tracking import REGISTRY_URIS, log_and_register, result_line
from .trainer import train


def _first(xy, n):
    return (xy[0][:n], xy[1][:n]) if n > 0 else xy


def main(argv, mlflow=None):
    args = parse_args(argv)
    if mlflow is None:
        import mlflow  # the real library on Databricks (library.json); tests pass a recording stand-in
        import mlflow.models  # noqa: F401
        import mlflow.pytorch  # noqa: F401
    train_xy = _first(idx.load_split(args.data_dir, "train"), args.max_samples)
    val_xy = _first(idx.load_split(args.data_dir, "test"), args.max_samples)
    if args.registry in REGISTRY_URIS:
        # Explicit, whatever the MLflow version's default (2.x: the tracking URI; 3.x: databricks-uc).
        mlflow.set_registry_uri(REGISTRY_URIS[args.registry])
    mlflow.set_experiment(args.experiment)
    with mlflow.start_run(run_name=f"train-{args.model_name}") as run:
        mlflow.set_tag("mlops.databricks_run_id", args.databricks_run_id)
        mlflow.log_params({name: getattr(args, name) for name in DECLARED} | {"train_samples": len(train_xy[1])})
        print(f"MLflow run: {run.info.run_id}", flush=True)

        def on_epoch(epoch, metrics):
            mlflow.log_metrics(metrics, step=epoch)
            print(f"epoch {epoch}/{args.epochs} " + " ".join(f"{k}={v:.4f}" for k, v in metrics.items()), flush=True)

        model, _ = train(args, train_xy, val_xy, on_epoch)
        example = np.ascontiguousarray(val_xy[0][:1])
        version = log_and_register(mlflow, args, model, example)
    # The bot reads this last line from jobs/runs/get-output (services/databricks/databricks.mappers.ts).
    print(result_line(run, args.model_name, version), flush=True)
    return version


if __name__ == "__main__":
    main(sys.argv[1:])

"""The command line of train.py, the same on Databricks and on a laptop.

One `--<name>` option per parameter declared under `models.<model>.parameters` in
mlops.config.yaml, with the same name (the bot passes `--batch_size 64`, never a renamed form;
test/unit/pipelines-names.test.ts fails if the two lists drift apart). The other options are set by
the bot or the job, not by users.
"""
import argparse

# Declared training parameters: name -> (type, default, help). Keep in step with mlops.config.yaml.
DECLARED = {
    "lr": (float, 0.001, "learning rate"),
    "epochs": (int, 5, "training epochs"),
    "batch_size": (int, 64, "mini-batch size"),
    "optimizer": (str, "adam", "optimizer: adam or sgd"),
}
OPTIMIZERS = ("adam", "sgd")
REGISTRIES = ("unity-catalog", "workspace", "mlflow")


def build_parser():
    p = argparse.ArgumentParser(prog="train.py", description="Train the Fashion-MNIST CNN, log it to MLflow and register it.")
    params = p.add_argument_group("training parameters (declared in mlops.config.yaml)")
    for name, (kind, default, text) in DECLARED.items():
        extra = {"choices": OPTIMIZERS} if name == "optimizer" else {}
        params.add_argument(f"--{name}", type=kind, default=default, help=f"{text} (default {default})", **extra)
    infra = p.add_argument_group("set by the bot or the job")
    infra.add_argument("--data-dir", required=True,
                       help="directory with the Fashion-MNIST IDX files, e.g. /Volumes/main/mlops/data/fashion-mnist")
    infra.add_argument("--model-name", required=True,
                       help="registered model: catalog.schema.model for unity-catalog, a flat name otherwise")
    infra.add_argument("--registry", choices=REGISTRIES, default="unity-catalog", help="which model registry (default unity-catalog)")
    infra.add_argument("--experiment", default="/Shared/mlops-chatops/fashion-cnn", help="MLflow experiment path")
    infra.add_argument("--databricks-run-id", default="", help="tags the MLflow run so the bot finds it")
    infra.add_argument("--scoring-image", default="",
                       help="image that serves this version (tag scoring_image), e.g. mlopsacr.azurecr.io/mlops-scoring:<commit>")
    infra.add_argument("--max-samples", type=int, default=0, help="train on the first N images only (0 = all)")
    return p


def parse_args(argv):
    args = build_parser().parse_args(argv)
    if args.registry == "unity-catalog" and args.model_name.count(".") != 2:
        raise SystemExit(f"--model-name {args.model_name!r}: Unity Catalog models have three-level names (catalog.schema.model)")
    for name in ("lr", "epochs", "batch_size"):
        if getattr(args, name) <= 0:
            raise SystemExit(f"--{name} must be positive")
    return args

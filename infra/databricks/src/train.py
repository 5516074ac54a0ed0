"""Train a small CNN on Fashion-MNIST with PyTorch, log it to MLflow and register it.

Runs as the `train` spark_python_task of the Databricks job (resources/train.job.yml) or of a
one-time run built by services/databricks/training-run.builder.ts. Parameters arrive as
`--name value` pairs; unknown `key=value` items are ignored so the bot can pass extra ones.

The last stdout line is `MLOPS_RESULT {json}` with the MLflow run id and the registered model
version: the bot reads it from jobs/runs/get-output of this task (see docs/sandbox/databricks.md).
"""
import argparse
import json
import os
import sys

import mlflow
import mlflow.pytorch
import torch
from mlflow.tracking import MlflowClient
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

RESULT_MARKER = "MLOPS_RESULT "


def parse_args(argv):
    p = argparse.ArgumentParser()
    p.add_argument("--model-name", default="fashion-cnn")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--databricks-run-id", default="")
    p.add_argument("--registry", default="mlopsacr.azurecr.io")
    p.add_argument("--synthetic", action="store_true", help="random data instead of Fashion-MNIST (smoke runs)")
    args, _unknown = p.parse_known_args(argv)
    return args


class SmallCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(32 * 7 * 7, 64), nn.ReLU(), nn.Linear(64, 10))

    def forward(self, x):
        return self.head(self.features(x))


def load_data(args):
    if args.synthetic:
        x = torch.randn(2048, 1, 28, 28)
        y = torch.randint(0, 10, (2048,))
        return DataLoader(TensorDataset(x[:1536], y[:1536]), batch_size=args.batch_size, shuffle=True), \
            DataLoader(TensorDataset(x[1536:], y[1536:]), batch_size=512)
    from torchvision import datasets, transforms  # imported here: synthetic runs do not need it
    root = os.environ.get("MLOPS_DATA_DIR", "/dbfs/tmp/mlops-chatops/data")
    tf = transforms.ToTensor()
    train = datasets.FashionMNIST(root, train=True, download=True, transform=tf)
    test = datasets.FashionMNIST(root, train=False, download=True, transform=tf)
    return DataLoader(train, batch_size=args.batch_size, shuffle=True), DataLoader(test, batch_size=512)


def evaluate(model, loader, device):
    model.eval()
    correct, total = 0, 0
    with torch.no_grad():
        for x, y in loader:
            pred = model(x.to(device)).argmax(dim=1)
            correct += (pred == y.to(device)).sum().item()
            total += y.numel()
    return correct / max(total, 1)


def main(argv):
    args = parse_args(argv)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    train_loader, test_loader = load_data(args)
    model = SmallCnn().to(device)
    optimiser = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()

    with mlflow.start_run(run_name=f"train-{args.model_name}") as run:
        # The bot finds this MLflow run from the Databricks run through this tag.
        mlflow.set_tag("mlops.databricks_run_id", args.databricks_run_id)
        mlflow.log_params({"model_name": args.model_name, "epochs": args.epochs, "lr": args.lr,
                           "batch_size": args.batch_size, "device": device, "torch": torch.__version__})
        print(f"MLflow run: {run.info.run_id}", flush=True)
        for epoch in range(1, args.epochs + 1):
            model.train()
            running, batches = 0.0, 0
            for x, y in train_loader:
                optimiser.zero_grad()
                loss = loss_fn(model(x.to(device)), y.to(device))
                loss.backward()
                optimiser.step()
                running += loss.item()
                batches += 1
            loss_avg = running / max(batches, 1)
            accuracy = evaluate(model, test_loader, device)
            mlflow.log_metrics({"loss": loss_avg, "accuracy": accuracy}, step=epoch)
            print(f"epoch {epoch}/{args.epochs} loss={loss_avg:.4f} accuracy={accuracy:.4f}", flush=True)

        example = torch.zeros(1, 1, 28, 28).numpy()
        info = mlflow.pytorch.log_model(model.cpu(), "model", registered_model_name=args.model_name, input_example=example)
        version = str(info.registered_model_version)
        # The registry has no image field: the scoring image the release pipeline builds goes in a tag.
        MlflowClient().set_model_version_tag(args.model_name, version, "scoring_image",
                                             f"{args.registry}/{args.model_name}:{version}")
        result = {"mlflow_run_id": run.info.run_id, "experiment_id": run.info.experiment_id,
                  "model_name": args.model_name, "model_version": version}
        print(RESULT_MARKER + json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])

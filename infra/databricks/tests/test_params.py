import subprocess
import sys
import os

import pytest
import torch

from mlops_training import model, params, trainer

SRC = os.path.join(os.path.dirname(__file__), "..", "src")


def test_help_lists_one_option_per_declared_parameter():
    out = subprocess.run([sys.executable, os.path.join(SRC, "train.py"), "--help"], capture_output=True, text=True, check=True).stdout
    for name in params.DECLARED:
        assert f"--{name} " in out
    assert "--data-dir" in out


def test_parameters_keep_their_names_and_types():
    args = params.parse_args(["--data-dir", "d", "--model-name", "main.ml.fashion_cnn", "--lr", "0.05", "--epochs", "2", "--batch_size", "16", "--optimizer", "sgd"])
    assert (args.lr, args.epochs, args.batch_size, args.optimizer) == (0.05, 2, 16, "sgd")


def test_refuses_bad_values():
    with pytest.raises(SystemExit):
        params.parse_args(["--data-dir", "d", "--model-name", "a.b.c", "--optimizer", "rmsprop"])
    with pytest.raises(SystemExit, match="three-level"):
        params.parse_args(["--data-dir", "d", "--model-name", "fashion-cnn"])
    assert params.parse_args(["--data-dir", "d", "--model-name", "fashion-cnn", "--registry", "workspace"]).registry == "workspace"


@pytest.mark.parametrize("name,cls", [("adam", torch.optim.Adam), ("sgd", torch.optim.SGD)])
def test_optimizer_parameter_builds_that_optimizer(name, cls, data_dir):
    from mlops_training import idx
    args = params.parse_args(["--data-dir", data_dir, "--model-name", "a.b.c", "--optimizer", name, "--lr", "0.02", "--epochs", "1", "--batch_size", "32"])
    xy = idx.load_split(data_dir, "test")
    seen = []
    _, optimizer = trainer.train(args, xy, xy, lambda e, m: seen.append(e))
    assert type(optimizer) is cls
    assert optimizer.param_groups[0]["lr"] == 0.02
    assert seen == [1]  # epochs=1 -> one epoch


def test_batch_size_reaches_the_loader(data_dir, monkeypatch):
    from mlops_training import idx
    sizes = []
    real = trainer._loader
    monkeypatch.setattr(trainer, "_loader", lambda x, y, b, s: sizes.append(b) or real(x, y, b, s))
    args = params.parse_args(["--data-dir", data_dir, "--model-name", "a.b.c", "--epochs", "1", "--batch_size", "24"])
    xy = idx.load_split(data_dir, "test")
    trainer.train(args, xy, xy, lambda e, m: None)
    assert sizes[0] == 24


def test_unknown_optimizer_is_refused():
    with pytest.raises(ValueError):
        model.build_optimizer("rmsprop", [torch.zeros(1, requires_grad=True)], 0.1)

"""Shared fixtures: a tiny generated Fashion-MNIST-shaped IDX data set (no download) and the mlflow stand-in."""
import os
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "src"))
sys.path.insert(0, HERE)

from mlops_training import idx  # noqa: E402
from mlflow_recording_stub import RecordingMlflow  # noqa: E402


def make_images(labels, rng):
    """Learnable images: class k lights up row band k (plus noise), so a few epochs lower the loss."""
    images = rng.integers(0, 40, size=(len(labels), 28, 28), dtype=np.uint8)
    for i, label in enumerate(labels):
        images[i, 2 + 2 * label: 4 + 2 * label, :] = 250
    return images


def write_dataset(directory, n_train=256, n_test=64, gz=False, seed=0):
    rng = np.random.default_rng(seed)
    suffix = ".gz" if gz else ""
    for split, n in (("train", n_train), ("test", n_test)):
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        images_name, labels_name = idx.FILES[split]
        idx.write_idx(os.path.join(directory, images_name + suffix), make_images(labels, rng))
        idx.write_idx(os.path.join(directory, labels_name + suffix), labels)
    return directory


@pytest.fixture
def data_dir(tmp_path):
    os.makedirs(tmp_path / "data")
    return write_dataset(str(tmp_path / "data"), gz=True)


@pytest.fixture
def recorder(tmp_path):
    return RecordingMlflow(str(tmp_path / "artifacts"))

import gzip
import os

import numpy as np
import pytest

from mlops_training import idx


def test_round_trip_plain_and_gzip(tmp_path):
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    for name in ("a-idx3-ubyte", "a-idx3-ubyte.gz"):
        path = str(tmp_path / name)
        idx.write_idx(path, images)
        assert np.array_equal(idx.read_idx(path), images)


def test_header_is_the_published_format(tmp_path):
    path = str(tmp_path / "labels")
    idx.write_idx(path, np.array([1, 2, 3], dtype=np.uint8))
    with open(path, "rb") as f:
        assert f.read() == bytes([0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 3])


def test_refuses_bad_magic_and_truncated_data(tmp_path):
    bad = tmp_path / "bad"
    bad.write_bytes(b"\x01\x02\x08\x01\x00\x00\x00\x01\x00")
    with pytest.raises(ValueError, match="magic"):
        idx.read_idx(str(bad))
    short = tmp_path / "short.gz"
    with gzip.open(short, "wb") as f:
        f.write(bytes([0, 0, 8, 1, 0, 0, 0, 5, 1]))
    with pytest.raises(ValueError, match="announces 5"):
        idx.read_idx(str(short))


def test_load_split_scales_to_unit_range_and_names_missing_files(data_dir, tmp_path):
    x, y = idx.load_split(data_dir, "train")
    assert x.shape == (256, 1, 28, 28) and x.dtype == np.float32
    assert 0.0 <= x.min() and x.max() <= 1.0 and y.dtype == np.int64
    os.makedirs(tmp_path / "empty")
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        idx.load_split(str(tmp_path / "empty"), "train")

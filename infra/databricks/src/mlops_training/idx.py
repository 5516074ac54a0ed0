"""IDX files (the Fashion-MNIST / MNIST format): read them with numpy, and write small ones for tests.

Format (http://yann.lecun.com/exdb/mnist/, "FILE FORMATS"): two zero bytes, a type byte (0x08 =
unsigned byte), the number of dimensions, one big-endian uint32 per dimension, then the data.
Files may be gzip-compressed (`*.gz`, as published) or not.
"""
import gzip
import os
import struct

import numpy as np

UBYTE = 0x08
# File names as published by zalandoresearch/fashion-mnist (same names as MNIST).
FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def _open(path):
    return gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")


def read_idx(path):
    with _open(path) as f:
        header = f.read(4)
        if len(header) != 4 or header[0] != 0 or header[1] != 0:
            raise ValueError(f"{path}: not an IDX file (bad magic number)")
        if header[2] != UBYTE:
            raise ValueError(f"{path}: IDX type 0x{header[2]:02x} is not unsigned byte")
        dims = struct.unpack(">" + "I" * header[3], f.read(4 * header[3]))
        data = np.frombuffer(f.read(), dtype=np.uint8)
    expected = int(np.prod(dims)) if dims else 0
    if data.size != expected:
        raise ValueError(f"{path}: {data.size} bytes of data, the header announces {expected}")
    return data.reshape(dims)


def write_idx(path, array):
    array = np.asarray(array, dtype=np.uint8)
    header = bytes([0, 0, UBYTE, array.ndim]) + struct.pack(">" + "I" * array.ndim, *array.shape)
    with (gzip.open(path, "wb") if path.endswith(".gz") else open(path, "wb")) as f:
        f.write(header + array.tobytes())


def find(data_dir, name):
    """The file `name` in data_dir, compressed or not."""
    for candidate in (name, name + ".gz"):
        path = os.path.join(data_dir, candidate)
        if os.path.exists(path):
            return path
    raise FileNotFoundError(f"{name}[.gz] not found in {data_dir} (see docs/deploy-azure.md: upload the Fashion-MNIST IDX files)")


def load_split(data_dir, split):
    """(images float32 in [0, 1] shaped N x 1 x 28 x 28, labels int64) of the 'train' or 'test' split."""
    images_name, labels_name = FILES[split]
    images = read_idx(find(data_dir, images_name))
    labels = read_idx(find(data_dir, labels_name))
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(f"{split} images are {images.shape}, expected N x 28 x 28")
    if labels.shape != (images.shape[0],):
        raise ValueError(f"{split}: {labels.shape[0]} labels for {images.shape[0]} images")
    return (images.astype(np.float32) / 255.0).reshape(-1, 1, 28, 28), labels.astype(np.int64)

"""Fashion-MNIST (Xiao, Rasul, Vollgraf, 2017; MIT licence) from its official IDX files.

Debian's package ``dataset-fashion-mnist`` installs them in /usr/share/datasets/fashion-mnist; any
folder holding the four files (gzipped or not) works. The repository also ships a small test subset.
"""
from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

#: Where Debian's ``dataset-fashion-mnist`` puts the files.
DEBIAN_FOLDER = Path("/usr/share/datasets/fashion-mnist")
#: The subset of the test set shipped with this package.
SUBSET = Path(__file__).resolve().parent / "data" / "fashion-mnist-test-subset.npz"

CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")

_FILES = {
    ("train", "images"): "train-images-idx3-ubyte",
    ("train", "labels"): "train-labels-idx1-ubyte",
    ("test", "images"): "t10k-images-idx3-ubyte",
    ("test", "labels"): "t10k-labels-idx1-ubyte",
}


def read_idx(path: Path) -> np.ndarray:
    """Reads an IDX file (optionally gzipped) into a uint8 array of its declared shape."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        data = handle.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path}: not an IDX file of unsigned bytes")
    dimensions = data[3]
    shape = struct.unpack(f">{dimensions}I", data[4:4 + 4 * dimensions])
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dimensions)
    if body.size != int(np.prod(shape)):
        raise ValueError(f"{path}: holds {body.size} values, its header says {shape}")
    return body.reshape(shape)


def find_file(folder: Path, split: str, part: str) -> Path:
    """The IDX file of ``split`` ("train" or "test") and ``part`` ("images" or "labels") in ``folder``."""
    name = _FILES[(split, part)]
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{folder} has neither {name} nor {name}.gz")


def load(split: str = "test", folder: Path | str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Images as float32 (n, 1, 28, 28) in [0, 1] and labels as int64 (n,), from ``folder`` or, by
    default, from Debian's package."""
    folder = Path(folder) if folder is not None else DEBIAN_FOLDER
    images = read_idx(find_file(folder, split, "images"))
    labels = read_idx(find_file(folder, split, "labels"))
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"{folder}: {images.shape[0]} images but {labels.shape[0]} labels")
    return (images.astype(np.float32) / 255.0)[:, None, :, :], labels.astype(np.int64)


def load_subset() -> tuple[np.ndarray, np.ndarray]:
    """The test subset shipped with the package: images (n, 1, 28, 28) float32, labels (n,) int64."""
    with np.load(SUBSET) as data:
        return (data["images"].astype(np.float32) / 255.0)[:, None, :, :], data["labels"].astype(np.int64)


def available(folder: Path | str | None = None) -> bool:
    """Whether the full test set is in ``folder`` (default: Debian's package)."""
    try:
        find_file(Path(folder) if folder is not None else DEBIAN_FOLDER, "test", "images")
        return True
    except FileNotFoundError:
        return False

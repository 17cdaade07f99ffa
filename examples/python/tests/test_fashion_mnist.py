"""Fashion-MNIST: the IDX reader, the shipped subset, and the shipped model's accuracy, which must equal
the recorded figures (gnruntime/data/fashion-mnist-qcfs.json) and the README's."""
from __future__ import annotations

import gzip
import json
import struct
from pathlib import Path

import numpy as np
import pytest

from gnruntime import Model, fashion_mnist
from gnruntime.evaluation import accuracy_curves, default_configurations

DATA = Path(fashion_mnist.__file__).resolve().parent / "data"
README = Path(__file__).resolve().parents[3] / "README.md"


def write_idx(path: Path, array: np.ndarray, compress: bool) -> None:
    header = struct.pack(">BBBB", 0, 0, 8, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(data) if compress else data)


def test_idx_reader(tmp_path) -> None:
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    labels = np.array([3, 9], dtype=np.uint8)
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", images, compress=True)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", labels, compress=False)
    x, y = fashion_mnist.load("test", tmp_path)
    assert x.shape == (2, 1, 28, 28) and x.dtype == np.float32
    np.testing.assert_array_equal(x[:, 0] * 255, images)
    np.testing.assert_array_equal(y, [3, 9])
    (tmp_path / "bad").write_bytes(b"\x00\x00\x0d\x01\x00\x00\x00\x01\x00")
    with pytest.raises(ValueError, match="not an IDX file"):
        fashion_mnist.read_idx(tmp_path / "bad")
    with pytest.raises(FileNotFoundError):
        fashion_mnist.load("train", tmp_path)


def test_subset() -> None:
    images, labels = fashion_mnist.load_subset()
    assert images.shape == (1000, 1, 28, 28) and labels.shape == (1000,)
    assert set(np.unique(labels)) == set(range(10))
    if fashion_mnist.available():
        full_images, full_labels = fashion_mnist.load("test")
        np.testing.assert_array_equal(images, full_images[:1000])
        np.testing.assert_array_equal(labels, full_labels[:1000])


def test_shipped_model_accuracy_on_the_subset_equals_the_record() -> None:
    record = json.loads((DATA / "fashion-mnist-qcfs.json").read_text())["subset"]
    images, labels = fashion_mnist.load_subset()
    with Model.load(DATA / "fashion-mnist-qcfs.gnrt") as model:
        curves = accuracy_curves(model, images, labels, max(record["steps"]), default_configurations(),
                                 progress=False)
    measured = {c.configuration.label: [round(c.at(t), 4) for t in record["steps"]] for c in curves}
    assert measured == record["accuracy"]
    # The paper's claims, on real images: GN with tau = L is the ANN at T = 1; IF lags at small T.
    assert measured["GN(tau=L)"][0] == measured["ANN"][0]
    assert measured["IF"][0] < measured["GN(tau=2)"][0] < measured["ANN"][0]


def test_readme_quotes_the_recorded_figures() -> None:
    record = json.loads((DATA / "fashion-mnist-qcfs.json").read_text())["subset"]
    readme = README.read_text()
    for label, values in record["accuracy"].items():
        row = f"| {label} | " + " | ".join(f"{100 * v:.1f}%" for v in values) + " |"
        assert row in readme, f"README lacks the subset row {row}"


def test_int8_export_on_the_subset_equals_the_record_and_stays_near_float32() -> None:
    record = json.loads((DATA / "fashion-mnist-qcfs.json").read_text())
    int8, float32 = record["int8"]["subset"], record["subset"]
    images, labels = fashion_mnist.load_subset()
    with Model.load(DATA / record["int8"]["model"]) as model:
        curves = accuracy_curves(model, images, labels, max(int8["steps"]), default_configurations(), progress=False)
    measured = {c.configuration.label: [round(c.at(t), 4) for t in int8["steps"]] for c in curves}
    assert measured == int8["accuracy"]
    # int8 weights cost the shipped network at most 3 of the 1000 images in every row (the issue's
    # bound on the full test set is 0.3 points; README, "Integer weights").
    for label, values in measured.items():
        assert max(abs(a - b) for a, b in zip(values, float32["accuracy"][label])) <= 0.003 + 1e-9, label
    assert measured["GN(tau=L)"][0] == measured["ANN"][0]
    assert (DATA / record["int8"]["model"]).stat().st_size <= 0.3 * (DATA / "fashion-mnist-qcfs.gnrt").stat().st_size


def test_readme_quotes_the_int8_test_set_figures() -> None:
    record = json.loads((DATA / "fashion-mnist-qcfs.json").read_text())["int8"]["test_set"]
    readme = README.read_text()
    names = {"ANN": "ANN (QCFS)", "GN(tau=L)": "GN, τ = L = 4", "GN(tau=2)": "GN, τ = 2", "IF": "IF"}
    for label, values in record["accuracy"].items():
        shown = values[:1] if label == "ANN" else values
        row = f"| {names[label]}, int8 | " + " | ".join(f"{100 * v:.2f}%" for v in shown)
        assert row in readme, f"README lacks the int8 row {row}"

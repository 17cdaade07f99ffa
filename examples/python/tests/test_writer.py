"""Models from numpy arrays (no torch): the writer's layouts and feature order, and its checks."""
from __future__ import annotations

import numpy as np
import pytest

import gnruntime
from gnruntime import writer as w


def nchw_conv(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, padding: int) -> np.ndarray:
    """A direct convolution in PyTorch's layouts, stride 1."""
    n, c, h, wd = x.shape
    out_channels, _, k, _ = weight.shape
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    oh, ow = h + 2 * padding - k + 1, wd + 2 * padding - k + 1
    out = np.zeros((n, out_channels, oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[:, :, i, j] = np.einsum("ncij,ocij->no", padded[:, :, i:i + k, j:j + k], weight)
    return out + bias[None, :, None, None]


def test_layouts_and_flatten_order_match_pytorch_conventions() -> None:
    # conv → flatten of a 3×4×5 map → linear: the writer must reorder the linear's columns.
    rng = np.random.default_rng(3)
    conv_w, conv_b = rng.standard_normal((3, 2, 3, 3)), rng.standard_normal(3)
    fc_w, fc_b = rng.standard_normal((7, 60)), rng.standard_normal(7)
    data = w.encode((2, 4, 5), [w.Conv2d(conv_w, conv_b, padding=1), w.Flatten(), w.Linear(fc_w, fc_b)])
    x = rng.random((2, 2, 4, 5), dtype=np.float32)
    expected = nchw_conv(x.astype(np.float64), conv_w, conv_b, 1).reshape(2, -1) @ fc_w.T + fc_b
    with gnruntime.Model.load(data) as model, gnruntime.Session(model, "ann", batch=2) as session:
        np.testing.assert_allclose(session.run(x), expected, rtol=1e-5, atol=1e-5)


def test_affine_after_flatten_follows_the_feature_order() -> None:
    rng = np.random.default_rng(4)
    scale, shift = rng.uniform(0.5, 2, 12), rng.uniform(-1, 1, 12)
    fc_w = rng.standard_normal((3, 12))
    data = w.encode((3, 2, 2), [w.Flatten(), w.Affine(scale, shift), w.Linear(fc_w, None)])
    x = rng.random((1, 3, 2, 2), dtype=np.float32)
    expected = (x.reshape(1, -1) * scale + shift) @ fc_w.T
    with gnruntime.Model.load(data) as model, gnruntime.Session(model, "ann") as session:
        np.testing.assert_allclose(session.run(x), expected, rtol=1e-5, atol=1e-5)


def test_named_inputs_and_residuals(model_bytes: bytes) -> None:
    with gnruntime.Model.load(model_bytes) as model:
        add = model.layers[6]
        assert add.kind == "add" and add.inputs == (3, 6)


@pytest.mark.parametrize("layers, message", [
    ([w.Conv2d(np.ones((2, 3, 3, 3)))], r"weight must be \[out\]\[1\]"),
    ([w.Linear(np.ones((2, 4)))], "input must be a vector"),
    ([w.Flatten(), w.Linear(np.ones((2, 5)))], r"weight must be \[out\]\[4\]"),
    ([w.QCFS(levels=0, threshold=1.0)], "levels must be in 1 ... 65535"),
    ([w.QCFS(levels=4, threshold=-1.0)], "threshold must be finite and positive"),
    ([w.Conv2d(np.full((1, 1, 1, 1), np.nan))], "NaN or infinity"),
    ([w.Add()], "takes 2 input"),
    ([w.Conv2d(np.ones((1, 1, 1, 1)), inputs=["nope"])], "unknown input 'nope'"),
    ([w.AvgPool2d(2, padding=2)], "at most half the kernel"),
    ([w.AvgPool2d(3)], "do not fit"),
    ([w.Flatten()], "ends in a flattened feature map"),
    ([], "at least one layer"),
])
def test_writer_rejects_bad_layers(layers, message) -> None:
    with pytest.raises(ValueError, match=message):
        w.encode((1, 2, 2), layers)


def test_from_arrays_writes_a_file(tmp_path) -> None:
    from gnruntime.export import from_arrays
    path = tmp_path / "tiny.gnrt"
    data = from_arrays((1, 2, 2), [w.Flatten(), w.Linear(np.eye(4), np.zeros(4))], path)
    assert path.read_bytes() == data
    with gnruntime.Model.load(path) as model, gnruntime.Session(model, "ann") as session:
        x = np.arange(4, dtype=np.float32).reshape(1, 1, 2, 2)
        np.testing.assert_array_equal(session.run(x), x.reshape(1, 4))

"""FP32 sums as accurate as PyTorch's: wide convolutions against a float64 evaluation, in every
instruction set this CPU runs (docs/semantics.md, "Summation order"). Needs torch (CI installs it)."""
from __future__ import annotations

import numpy as np
import pytest

import gnruntime
from gnruntime import writer
from gnruntime.export import from_arrays
from conftest import torch_or_skip

torch = torch_or_skip()


def relative_rms_error(values: np.ndarray, exact: np.ndarray) -> float:
    return float(np.sqrt(np.mean((values.astype(np.float64) - exact) ** 2)) / np.sqrt(np.mean(exact ** 2)))


@pytest.mark.parametrize("channels", [64, 256, 512])     # fan-in 576, 2304 and 4608
def test_wide_convolutions_are_as_accurate_as_pytorch(channels: int) -> None:
    rng = np.random.default_rng(channels)
    batch, size = 2, 6
    # Inputs in [0, 1) like spike rates; Kaiming-scaled weights; a small bias.
    x = rng.random((batch, channels, size, size), dtype=np.float32)
    weight = (rng.standard_normal((channels, channels, 3, 3)) * np.sqrt(2 / (9 * channels))).astype(np.float32)
    bias = (0.1 * rng.standard_normal(channels)).astype(np.float32)
    exact = torch.nn.functional.conv2d(torch.from_numpy(x).double(), torch.from_numpy(weight).double(),
                                       torch.from_numpy(bias).double(), padding=1).numpy().reshape(batch, -1)
    pytorch = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(weight), torch.from_numpy(bias),
                                         padding=1).numpy().reshape(batch, -1)
    pytorch_error = relative_rms_error(pytorch, exact)
    assert 0 < pytorch_error < 1e-5          # float32 against float64: a real, small difference

    data = from_arrays((channels, size, size), [writer.Conv2d(weight, bias, padding=1)])
    with gnruntime.Model.load(data) as model:
        for isa in gnruntime.runnable_isas():
            with gnruntime.Session(model, "ann", T=1, batch=batch, isa=isa) as session:
                output = session.run(x)
            error = relative_rms_error(output, exact)
            assert error <= pytorch_error, (
                f"{isa}, fan-in {9 * channels}: relative rms error {error:.3g} against PyTorch's {pytorch_error:.3g}")

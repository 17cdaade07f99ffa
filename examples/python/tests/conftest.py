"""Shared fixtures: small random models written with gnruntime.writer."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

REPOSITORY = Path(__file__).resolve().parents[3]
REFERENCE = REPOSITORY / "Tests" / "reference"


def random_model(seed: int, *, maxpool: bool = False) -> bytes:
    """A small residual QCFS network in PyTorch conventions: conv, BatchNorm-like affine, QCFS,
    a residual block, pooling, flatten of a spatial map, two linear layers."""
    from gnruntime import writer as w
    rng = np.random.default_rng(seed)

    def conv(out_channels: int, in_channels: int, k: int) -> np.ndarray:
        return rng.uniform(-1, 1, (out_channels, in_channels, k, k)) * np.sqrt(3.0 / (in_channels * k * k)) * 2

    pool = w.MaxPool2d(2) if maxpool else w.AvgPool2d(2)
    return w.encode((2, 8, 8), [
        w.Conv2d(conv(6, 2, 3), rng.uniform(-0.2, 0.2, 6), padding=1),
        w.Affine(rng.uniform(0.6, 1.4, 6), rng.uniform(-0.2, 0.2, 6)),
        w.QCFS(levels=4, threshold=1.0, name="stem"),
        w.Conv2d(conv(6, 6, 3), None, padding=1),
        w.QCFS(levels=8, threshold=1.5),
        w.Conv2d(conv(6, 6, 3), rng.uniform(-0.2, 0.2, 6), padding=1),
        w.Add(inputs=["stem", 5]),
        w.QCFS(levels=4, threshold=1.25),
        pool,
        w.Conv2d(conv(8, 6, 1), rng.uniform(-0.2, 0.2, 8), stride=2),
        w.QCFS(levels=3, threshold=0.8),
        w.Flatten(),
        w.Linear(rng.uniform(-0.5, 0.5, (12, 32)), rng.uniform(-0.2, 0.2, 12)),
        w.QCFS(levels=4, threshold=1.0),
        w.Linear(rng.uniform(-0.5, 0.5, (5, 12)), rng.uniform(-0.2, 0.2, 5)),
    ])


@pytest.fixture
def model_bytes() -> bytes:
    return random_model(1)


@pytest.fixture
def reference():
    """The independent numpy reference of the semantics (Tests/reference/gn_reference.py)."""
    sys.path.insert(0, str(REFERENCE))
    try:
        import gn_reference
        yield gn_reference
    finally:
        sys.path.remove(str(REFERENCE))


def _optional(modules: list[str], variable: str, what: str):
    """The first of ``modules`` once all import, or a skip — a failure instead when the environment
    variable ``variable`` is set (as CI sets it)."""
    import importlib
    try:
        imported = [importlib.import_module(name) for name in modules]
    except ImportError:
        if os.environ.get(variable):
            pytest.fail(f"{what} is required ({variable} is set) but cannot be imported")
        pytest.skip(f"{what} is not installed")
    return imported[0]


def torch_or_skip():
    """torch, or a skip — a failure instead when GN_REQUIRE_TORCH is set."""
    return _optional(["torch"], "GN_REQUIRE_TORCH", "torch")


def ray_or_skip():
    """Ray (with Ray Data and pyarrow), or a skip — a failure instead when GN_REQUIRE_RAY is set."""
    return _optional(["ray", "ray.data", "pyarrow"], "GN_REQUIRE_RAY",
                     "Ray with pyarrow (pip install ./examples/python[scale])")

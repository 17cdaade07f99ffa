"""The runtime through the binding against the independent numpy reference (Tests/reference)."""
from __future__ import annotations

import numpy as np
import pytest

import gnruntime
from conftest import random_model


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("neuron, tau, steps", [("ann", 4, 1), ("gn", 4, 1), ("gn", 2, 6), ("if", 4, 8)])
def test_runtime_matches_reference(reference, seed: int, neuron: str, tau: int, steps: int) -> None:
    data = random_model(seed)
    x = np.random.default_rng(seed).random((4, 2, 8, 8), dtype=np.float32)
    expected = reference.run(reference.load_model(data), x, neuron, tau, steps)
    with gnruntime.Model.load(data) as model, gnruntime.Session(model, neuron, tau=tau, T=steps, batch=4) as session:
        output = session.run(x)
        predictions = session.predictions()
    expected_output = expected.output.reshape(len(x), -1)
    scale = np.abs(expected_output).max()
    assert scale > 0
    assert np.abs(output - expected_output).max() <= 1e-4 * scale
    np.testing.assert_array_equal(predictions, expected.predictions)

"""Spike accounting, early exit and streams through the binding, against the numpy reference."""
from __future__ import annotations

import numpy as np
import pytest

import gnruntime
from gnruntime.accounting import ENERGY_PER_ACCUMULATE, ENERGY_PER_MULTIPLY_ACCUMULATE
from conftest import random_model


def dyadic_model(seed: int) -> bytes:
    """A residual net whose weights, and the inputs below, are multiples of 2^-6: every sum is exact,
    so the runtime and the reference agree on every spike."""
    from gnruntime import writer as w
    rng = np.random.default_rng(seed)

    def values(shape: tuple[int, ...], bound: float) -> np.ndarray:
        return np.round(rng.uniform(-bound, bound, shape) * 64) / 64

    return w.encode((2, 8, 8), [
        w.Conv2d(values((6, 2, 3, 3), 0.5), values(6, 0.25), padding=1),
        w.QCFS(levels=4, threshold=1.0, name="stem"),
        w.Conv2d(values((6, 6, 3, 3), 0.3), None, padding=1),
        w.Add(inputs=["stem", 2]),
        w.QCFS(levels=4, threshold=2.0),
        w.AvgPool2d(2),
        w.Conv2d(values((8, 6, 3, 3), 0.3), values(8, 0.25), stride=2, padding=1),
        w.QCFS(levels=2, threshold=1.0),
        w.Flatten(),
        w.Linear(values((5, 32), 0.5), values(5, 0.25)),
    ])


def dyadic_input(seed: int, samples: int) -> np.ndarray:
    return (np.floor(np.random.default_rng(seed).random((samples, 2, 8, 8)) * 16) / 16).astype(np.float32)


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("neuron, tau, steps", [("gn", 2, 5), ("gn", 4, 3), ("if", 1, 6)])
def test_spikes_and_synaptic_operations_match_the_reference(reference, seed: int, neuron: str, tau: int,
                                                            steps: int) -> None:
    data = dyadic_model(seed)
    x = dyadic_input(seed, 3)
    expected = reference.run(reference.load_model(data), x, neuron, tau, steps, accounting=True)
    with gnruntime.Model.load(data) as model, \
            gnruntime.Session(model, neuron, tau=tau, T=steps, batch=3, count_spikes=True) as session:
        session.run(x)
        counts = session.spike_counts()
    assert counts.spikes.sum() > 0
    np.testing.assert_array_equal(counts.spikes, expected.step_spikes)
    np.testing.assert_array_equal(counts.synaptic_operations, expected.step_synaptic_operations)
    assert counts.layers == (1, 4, 7)
    np.testing.assert_array_equal(counts.neurons, [384, 384, 32])
    np.testing.assert_array_equal(counts.members, [tau, tau, tau] if neuron == "gn" else [1, 1, 1])
    np.testing.assert_array_equal(counts.sample_steps, [steps] * 3)
    # Every neuron spiking once: the reference's operations for a count of 1 everywhere.
    ones = [np.ones((1, 6, 8, 8)), np.ones((1, 6, 8, 8)), np.ones((1, 8, 2, 2))]
    plan = reference.make_plan(reference.load_model(data))
    np.testing.assert_array_equal(counts.synapses, [reference.reach(plan, layer, one)[0]
                                                    for layer, one in zip(counts.layers, ones)])


def test_rates_energy_and_macs() -> None:
    with gnruntime.Model.load(dyadic_model(3)) as model, \
            gnruntime.Session(model, "gn", tau=2, T=4, batch=2, count_spikes=True) as session:
        # conv 2→6 3×3 p1 on 8×8: taps 22·22 = 484 (rows covered 2,3,3,3,3,3,3,2 → 22); 2·6·484
        # conv 6→6: 6·6·484; conv 6→8 3×3 s2 p1 on 4×4: rows 2,3 → 5, 5·5 = 25; 6·8·25; linear 32·5.
        assert model.mac_count == 2 * 6 * 484 + 6 * 6 * 484 + 6 * 8 * 25 + 32 * 5
        assert session.analog_mac_count == 2 * 6 * 484
        session.run(dyadic_input(3, 2))
        counts = session.spike_counts()
    rates = counts.firing_rates()
    assert rates.shape == (4, 3, 2)
    np.testing.assert_allclose(rates, counts.spikes / counts.neurons[None, :, None])
    np.testing.assert_allclose(counts.firing_rates(per_member=True), rates / 2)
    assert np.all(counts.firing_rates(per_member=True) <= 1)
    energy = counts.energy()
    np.testing.assert_allclose(energy, 2 * 6 * 484 * ENERGY_PER_MULTIPLY_ACCUMULATE
                               + counts.synaptic_operations.sum(axis=(0, 1)) * ENERGY_PER_ACCUMULATE)
    np.testing.assert_array_equal(counts.cumulative_operations()[-1], counts.synaptic_operations.sum(axis=(0, 1)))


def test_counting_is_off_by_default() -> None:
    with gnruntime.Model.load(dyadic_model(4)) as model, gnruntime.Session(model, "gn", T=2) as session:
        session.run(dyadic_input(4, 1))
        with pytest.raises(gnruntime.UnsupportedError, match="does not count spikes"):
            session.spike_counts()


@pytest.mark.parametrize("neuron", ["gn", "if"])
def test_early_exit_reports_the_full_run_at_its_step(neuron: str) -> None:
    x = np.random.default_rng(8).random((16, 2, 8, 8), dtype=np.float32)
    with gnruntime.Model.load(random_model(8)) as model:
        with gnruntime.Session(model, neuron, tau=2, T=8, batch=16, count_spikes=True) as full:
            full_output = full.run(x)
            full_predictions = full.predictions()
            full_counts = full.spike_counts()
        for rule in ({"exit_margin": 0.05}, {"exit_stable": 2}, {"exit_margin": 1e30}, {"exit_stable": 9}):
            with gnruntime.Session(model, neuron, tau=2, T=8, batch=16, count_spikes=True, **rule) as session:
                output = session.run(x)
                predictions = session.predictions()
                stops = session.sample_steps()
                counts = session.spike_counts()
            never = rule.get("exit_margin", 0) > 1 or rule.get("exit_stable", 0) > 8
            if never:
                np.testing.assert_array_equal(output, full_output)
                np.testing.assert_array_equal(predictions, full_predictions)
                np.testing.assert_array_equal(counts.spikes, full_counts.spikes)
                assert np.all(stops == 8)
                continue
            assert np.any(stops < 8), rule
            for sample, stop in enumerate(stops):
                np.testing.assert_array_equal(predictions[:, sample],
                                              full_predictions[np.minimum(np.arange(8), stop - 1), sample])
                np.testing.assert_array_equal(counts.spikes[:stop, :, sample], full_counts.spikes[:stop, :, sample])
                assert not counts.spikes[stop:, :, sample].any()


def test_a_stream_of_the_same_input_equals_a_run() -> None:
    x = np.random.default_rng(9).random((3, 2, 8, 8), dtype=np.float32)
    with gnruntime.Model.load(random_model(9)) as model:
        with gnruntime.Session(model, "gn", tau=2, T=5, batch=3, count_spikes=True) as session:
            expected = session.run(x)
            expected_predictions = session.predictions()
            expected_counts = session.spike_counts()
        with gnruntime.Session(model, "gn", tau=2, T=5, batch=3, count_spikes=True, schedule="step") as session:
            session.begin_stream(3)
            total = np.zeros_like(expected)
            for _ in range(5):
                total += session.step(x)     # float32, in step order, as the runtime sums
            np.testing.assert_array_equal(total / np.float32(5), expected)
            np.testing.assert_array_equal(session.predictions(), expected_predictions)
            np.testing.assert_array_equal(session.spike_counts().spikes, expected_counts.spikes)
            with pytest.raises(gnruntime.OutOfRangeError, match="T steps"):
                session.step(x)
            session.begin_stream(1)
            assert session.step(x[:1]).shape == (1, 5)
            assert session.predictions().shape == (1, 1)


def test_streams_need_a_step_by_step_session() -> None:
    with gnruntime.Model.load(random_model(10)) as model, gnruntime.Session(model, "gn", T=4) as session:
        with pytest.raises(gnruntime.InvalidStateError, match="step by step"):
            session.begin_stream(1)
        with pytest.raises(ValueError, match="samples must be in 1"):
            session.begin_stream(2)

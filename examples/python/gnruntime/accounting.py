"""Spike accounting: what a spiking run did, per neuron layer, step and sample, and what it would cost.

Energy uses the per-operation costs of 32-bit floating-point arithmetic in a 45 nm process that SNN
papers conventionally quote (M. Horowitz, "Computing's energy problem (and what we can do about it)",
ISSCC 2014): 0.9 pJ per addition — a synaptic operation, which only accumulates — and 3.7 pJ per
multiplication plus 0.9 pJ per addition, 4.6 pJ, per multiply-accumulate. Memory traffic and the
neurons' own updates are left out, as in those papers; the figures compare operation counts, not
measured energy.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Joules per accumulate (a synaptic operation): a 32-bit float addition at 45 nm (Horowitz 2014).
ENERGY_PER_ACCUMULATE = 0.9e-12
#: Joules per multiply-accumulate: a 32-bit float multiplication (3.7 pJ) and addition at 45 nm.
ENERGY_PER_MULTIPLY_ACCUMULATE = 4.6e-12


@dataclass(frozen=True)
class SpikeCounts:
    """The counts of one run (or stream) of a session created with ``count_spikes=True``.

    ``spikes`` and ``synaptic_operations`` are int64 arrays shaped (steps, neuron layers, samples):
    the spikes each neuron layer emitted at each step (for Group Neurons, the members that fired) and
    the accumulates they caused downstream (each spike times the number of weights it reaches).
    Steps a sample did not run (early exit) count 0.
    """

    spikes: np.ndarray
    synaptic_operations: np.ndarray
    #: Index in the model of each neuron layer.
    layers: tuple[int, ...]
    #: Neurons of one sample in each neuron layer.
    neurons: np.ndarray
    #: Members per neuron in each layer (τ for Group Neurons, 1 for IF): each fires at most once a step.
    members: np.ndarray
    #: Synaptic operations of one sample in each layer if each neuron spiked once.
    synapses: np.ndarray
    #: Multiply-accumulates of one sample on analog values (the layers reading the input), once per run.
    analog_macs: int
    #: The steps each sample ran.
    sample_steps: np.ndarray

    @property
    def steps(self) -> int:
        return int(self.spikes.shape[0])

    @property
    def samples(self) -> int:
        return int(self.spikes.shape[2])

    def firing_rates(self, per_member: bool = False) -> np.ndarray:
        """Spikes per neuron per step, (steps, layers, samples); with ``per_member``, per member
        (a Group Neuron's rate divided by τ: the share of its members that fired)."""
        per_step = self.neurons * (self.members if per_member else 1)
        return self.spikes / per_step[None, :, None]

    def cumulative_operations(self) -> np.ndarray:
        """Synaptic operations of all layers up to each step, (steps, samples)."""
        return np.cumsum(self.synaptic_operations.sum(axis=1), axis=0)

    def energy(self, synaptic_operations: np.ndarray | None = None) -> np.ndarray:
        """Joules per sample: the analog multiply-accumulates plus ``synaptic_operations`` accumulates
        (all the run's by default), at the 45 nm costs above."""
        if synaptic_operations is None:
            synaptic_operations = self.synaptic_operations.sum(axis=(0, 1))
        return self.analog_macs * ENERGY_PER_MULTIPLY_ACCUMULATE + synaptic_operations * ENERGY_PER_ACCUMULATE


def ann_energy(mac_count: int) -> float:
    """Joules of one sample through the ANN: every connection a multiply-accumulate."""
    return mac_count * ENERGY_PER_MULTIPLY_ACCUMULATE

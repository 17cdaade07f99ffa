"""Accuracy against time steps, and the per-layer error of the SNN against its ANN, for a model and
a labelled data set."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np

from .accounting import ENERGY_PER_ACCUMULATE, ENERGY_PER_MULTIPLY_ACCUMULATE
from .model import Model
from .progress import Progress
from .session import Session


@dataclass
class Configuration:
    """One way to run a model: the neuron kind and τ (None = τ = L of each layer)."""
    neuron: str
    tau: Optional[int] = None

    @property
    def label(self) -> str:
        if self.neuron == "ann":
            return "ANN"
        if self.neuron == "if":
            return "IF"
        return "GN(tau=L)" if self.tau is None else f"GN(tau={self.tau})"

    def session_tau(self, model: Model) -> int | list[int]:
        if self.tau is not None:
            return self.tau
        return [layer.levels for layer in model.layers if layer.kind == "qcfs"]


def default_configurations() -> list[Configuration]:
    """ANN, GN with τ = L, GN with τ = 2, IF: the paper's comparison."""
    return [Configuration("ann"), Configuration("gn"), Configuration("gn", 2), Configuration("if")]


@dataclass
class AccuracyCurve:
    """Accuracy after every step t = 1 … len(accuracy) of one configuration (one value for ANN), and
    what the first t steps cost per sample: synaptic operations (spiking configurations) and the
    multiply-accumulates on analog values (computed once), or the ANN's multiply-accumulates."""
    configuration: Configuration
    accuracy: list[float]
    samples: int
    #: Mean synaptic operations per sample of the first t steps (empty for ANN).
    synaptic_operations: list[float] = field(default_factory=list)
    #: Multiply-accumulates per sample: on analog values (spiking), or all of them (ANN).
    macs: int = 0

    def at(self, steps: int) -> float:
        return self.accuracy[0] if len(self.accuracy) == 1 else self.accuracy[steps - 1]

    def operations_at(self, steps: int) -> float:
        """Mean synaptic operations per sample of the first ``steps`` steps (0 for ANN)."""
        return self.synaptic_operations[steps - 1] if self.synaptic_operations else 0.0

    def energy_at(self, steps: int) -> float:
        """Joules per sample of the first ``steps`` steps, at the 45 nm costs of ``accounting``."""
        return self.macs * ENERGY_PER_MULTIPLY_ACCUMULATE + self.operations_at(steps) * ENERGY_PER_ACCUMULATE


def accuracy_curves(model: Model, images: np.ndarray, labels: np.ndarray, max_steps: int,
                    configurations: Sequence[Configuration], batch: int = 100,
                    progress: bool = True) -> list[AccuracyCurve]:
    """One run per configuration up to ``max_steps``; the running predictions and the per-step
    counts give the accuracy and the operations at every T ≤ ``max_steps`` from that single pass (a
    run of T steps does and predicts what this one did up to step T)."""
    curves = []
    for configuration in configurations:
        spiking = configuration.neuron != "ann"
        correct = None
        operations = np.zeros(max_steps if spiking else 0)
        with Session(model, neuron=configuration.neuron, tau=configuration.session_tau(model), T=max_steps,
                     batch=batch, count_spikes=spiking) as session, \
                Progress(f"{configuration.label:>10}", len(images), enabled=None if progress else False) as bar:
            for start in range(0, len(images), batch):
                x = np.ascontiguousarray(images[start:start + batch], dtype=np.float32)
                session.run(x)
                hits = (session.predictions() == labels[start:start + batch][None, :]).sum(axis=1)
                correct = hits if correct is None else correct + hits
                if spiking:
                    operations += session.spike_counts().cumulative_operations().sum(axis=1)
                bar.advance(len(x))
            macs = session.analog_mac_count if spiking else model.mac_count
        curves.append(AccuracyCurve(configuration, (correct / len(images)).tolist(), len(images),
                                    (operations / len(images)).tolist(), macs))
    return curves


@dataclass
class LayerActivity:
    """One neuron layer over a data set: its size and how much it fired, per sample and step."""
    layer: int
    neurons: int
    members: int
    #: Spikes per neuron per step (a Group Neuron's count of members fired), and per member.
    firing_rate: float
    member_firing_rate: float
    #: Mean synaptic operations per sample, over all its steps.
    synaptic_operations: float


def layer_activity(model: Model, images: np.ndarray, steps: int, configuration: Configuration,
                   batch: int = 100, progress: bool = True) -> list[LayerActivity]:
    """Per neuron layer, the firing rates and synaptic operations of ``configuration`` at T = ``steps``."""
    spikes = operations = None
    with Session(model, neuron=configuration.neuron, tau=configuration.session_tau(model), T=steps, batch=batch,
                 count_spikes=True) as session, \
            Progress(f"{configuration.label:>10}", len(images), enabled=None if progress else False) as bar:
        for start in range(0, len(images), batch):
            session.run(np.ascontiguousarray(images[start:start + batch], dtype=np.float32))
            counts = session.spike_counts()
            batch_spikes, batch_operations = counts.spikes.sum(axis=(0, 2)), counts.synaptic_operations.sum(axis=(0, 2))
            spikes = batch_spikes if spikes is None else spikes + batch_spikes
            operations = batch_operations if operations is None else operations + batch_operations
            bar.advance(min(batch, len(images) - start))
    neuron_steps = counts.neurons * steps * len(images)
    return [LayerActivity(layer=counts.layers[i], neurons=int(counts.neurons[i]), members=int(counts.members[i]),
                          firing_rate=float(spikes[i] / neuron_steps[i]),
                          member_firing_rate=float(spikes[i] / (neuron_steps[i] * counts.members[i])),
                          synaptic_operations=float(operations[i] / len(images)))
            for i in range(len(counts.layers))]


@dataclass
class ExitResult:
    """Early exit over a data set: a rule, the accuracy, and the steps and operations it used."""
    rule: str
    accuracy: float
    mean_steps: float
    synaptic_operations: float
    energy: float


def early_exit(model: Model, images: np.ndarray, labels: np.ndarray, max_steps: int, configuration: Configuration,
               margins: Sequence[float] = (), stable: Sequence[int] = (), batch: int = 100,
               progress: bool = True) -> list[ExitResult]:
    """Accuracy, mean steps and mean synaptic operations per sample under each exit rule (a margin,
    or k steps of a stable prediction), at most ``max_steps`` steps."""
    rules = [("margin", m, f"margin > {m:g}") for m in margins] + [("stable", k, f"stable for {k}") for k in stable]
    results = []
    for kind, value, label in rules:
        correct = steps = operations = 0
        rule = {"exit_margin": value} if kind == "margin" else {"exit_stable": value}
        with Session(model, neuron=configuration.neuron, tau=configuration.session_tau(model), T=max_steps,
                     batch=batch, count_spikes=True, **rule) as session, \
                Progress(f"{label:>14}", len(images), enabled=None if progress else False) as bar:
            for start in range(0, len(images), batch):
                x = np.ascontiguousarray(images[start:start + batch], dtype=np.float32)
                session.run(x)
                correct += int((session.predictions()[-1] == labels[start:start + batch]).sum())
                counts = session.spike_counts()
                steps += int(counts.sample_steps.sum())
                operations += int(counts.synaptic_operations.sum())
                bar.advance(len(x))
            macs = session.analog_mac_count
        mean_operations = operations / len(images)
        results.append(ExitResult(label, correct / len(images), steps / len(images), mean_operations,
                                  macs * ENERGY_PER_MULTIPLY_ACCUMULATE + mean_operations * ENERGY_PER_ACCUMULATE))
    return results


@dataclass
class LayerErrors:
    """Per QCFS layer, the mean squared error between the ANN's activation and the SNN's output
    averaged over the first t steps, for t = 1 … T: ``errors[layer][t - 1]``."""
    configuration: Configuration
    layers: list[int]
    errors: list[list[float]] = field(default_factory=list)


def layer_errors(model: Model, images: np.ndarray, max_steps: int, configurations: Sequence[Configuration],
                 batch: int = 50, progress: bool = True) -> list[LayerErrors]:
    """The MSE analysis of the paper: per layer and per T, how far the SNN's time-averaged output
    is from the ANN's QCFS activation, on ``images``."""
    qcfs_layers = [layer.index for layer in model.layers if layer.kind == "qcfs"]
    sums = {index: np.zeros(max_steps) for index in qcfs_layers}
    results = []
    for configuration in configurations:
        totals = {index: np.zeros(max_steps) for index in qcfs_layers}
        counts = {index: 0 for index in qcfs_layers}
        with Session(model, neuron="ann", batch=batch) as ann, \
                Session(model, neuron=configuration.neuron, tau=configuration.session_tau(model), T=max_steps,
                        batch=batch) as snn, \
                Progress(f"{configuration.label:>10}", len(images), enabled=None if progress else False) as bar:
            reference: dict[int, np.ndarray] = {}
            running: dict[int, np.ndarray] = {}
            ann.set_observer(lambda layer, _step, output: reference.__setitem__(layer, output.copy())
                             if layer in sums else None)

            def observe(layer: int, step: int, output: np.ndarray) -> None:
                if layer not in sums:
                    return
                running[layer] = output.astype(np.float64) if step == 0 else running[layer] + output
                difference = running[layer] / (step + 1) - reference[layer]
                totals[layer][step] += float(np.sum(difference * difference))

            snn.set_observer(observe)
            for start in range(0, len(images), batch):
                x = np.ascontiguousarray(images[start:start + batch], dtype=np.float32)
                ann.run(x)
                snn.run(x)
                for index in qcfs_layers:
                    counts[index] += reference[index].size
                bar.advance(len(x))
        results.append(LayerErrors(configuration, qcfs_layers,
                                   [(totals[index] / counts[index]).tolist() for index in qcfs_layers]))
    return results

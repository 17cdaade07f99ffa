"""Accuracy against time steps, and the per-layer error of the SNN against its ANN, for a model and
a labelled data set."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np

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
    """Accuracy after every step t = 1 … len(accuracy) of one configuration (one value for ANN)."""
    configuration: Configuration
    accuracy: list[float]
    samples: int

    def at(self, steps: int) -> float:
        return self.accuracy[0] if len(self.accuracy) == 1 else self.accuracy[steps - 1]


def accuracy_curves(model: Model, images: np.ndarray, labels: np.ndarray, max_steps: int,
                    configurations: Sequence[Configuration], batch: int = 100,
                    progress: bool = True) -> list[AccuracyCurve]:
    """One run per configuration up to ``max_steps``; the running predictions give the accuracy at
    every T ≤ ``max_steps`` from that single pass (a run of T steps predicts what this one did at step T)."""
    curves = []
    for configuration in configurations:
        correct = None
        with Session(model, neuron=configuration.neuron, tau=configuration.session_tau(model), T=max_steps,
                     batch=batch) as session, \
                Progress(f"{configuration.label:>10}", len(images), enabled=None if progress else False) as bar:
            for start in range(0, len(images), batch):
                x = np.ascontiguousarray(images[start:start + batch], dtype=np.float32)
                session.run(x)
                hits = (session.predictions() == labels[start:start + batch][None, :]).sum(axis=1)
                correct = hits if correct is None else correct + hits
                bar.advance(len(x))
        curves.append(AccuracyCurve(configuration, (correct / len(images)).tolist(), len(images)))
    return curves


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

"""PNG plots of the evaluation and the MSE analysis (needs matplotlib)."""
from __future__ import annotations

import os
from typing import Sequence, Union

from .evaluation import AccuracyCurve, LayerErrors


def _pyplot():
    try:
        import matplotlib
    except ImportError as error:
        raise RuntimeError("plotting needs matplotlib: pip install matplotlib (or gnruntime[plot])") from error
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def accuracy_plot(curves: Sequence[AccuracyCurve], steps: Sequence[int], path: Union[str, os.PathLike],
                  title: str = "") -> None:
    """Accuracy against the number of time steps T (log scale), one line per configuration; the
    ANN as a horizontal line."""
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(6.4, 4.2), dpi=120)
    for curve in curves:
        if len(curve.accuracy) == 1:
            axes.axhline(100 * curve.accuracy[0], color="black", linestyle="--", linewidth=1,
                         label=f"{curve.configuration.label} {100 * curve.accuracy[0]:.1f}%")
        else:
            axes.plot(steps, [100 * curve.at(t) for t in steps], marker="o", label=curve.configuration.label)
    axes.set_xscale("log", base=2)
    axes.set_xticks(list(steps))
    axes.set_xticklabels([str(t) for t in steps])
    axes.set_xlabel("time steps T")
    axes.set_ylabel("accuracy (%)")
    axes.set_title(title or f"accuracy against time steps ({curves[0].samples} samples)")
    axes.grid(True, alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def error_plot(results: Sequence[LayerErrors], path: Union[str, os.PathLike], title: str = "") -> None:
    """Per-layer MSE between the ANN's activations and the SNN's time-averaged outputs against T:
    one panel per configuration, one line per layer."""
    plt = _pyplot()
    figure, panels = plt.subplots(1, len(results), figsize=(5.2 * len(results), 4.2), dpi=120, squeeze=False)
    for axes, result in zip(panels[0], results):
        steps = list(range(1, len(result.errors[0]) + 1))
        for index, errors in zip(result.layers, result.errors):
            axes.plot(steps, errors, label=f"layer {index}")
        axes.set_yscale("symlog", linthresh=1e-6)
        axes.set_xscale("log", base=2)
        axes.set_xlabel("time steps T")
        axes.set_ylabel("MSE to the ANN activation")
        axes.set_title(result.configuration.label)
        axes.grid(True, alpha=0.3)
        axes.legend(fontsize="small")
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def sweep_plot(rows: Sequence[dict], path: Union[str, os.PathLike], title: str = "") -> None:
    """A sweep's summary (gnruntime.sweep): accuracy and energy per sample against T, one line per
    configuration; ANN rows (one step) as horizontal lines."""
    plt = _pyplot()
    figure, (accuracy_axes, energy_axes) = plt.subplots(1, 2, figsize=(11, 4.2), dpi=120)
    lines: dict[tuple, list[dict]] = {}
    for row in rows:
        lines.setdefault((row["model"], row["neuron"], row["tau"], row["exit"]), []).append(row)
    for (model, neuron, tau, rule), points in lines.items():
        label = f"{model}: {neuron.upper()}" + (f"(tau={tau})" if tau else "") + ("" if rule == "none" else f" {rule}")
        if neuron == "ann":
            accuracy_axes.axhline(100 * points[0]["accuracy"], linestyle="--", linewidth=1, color="black", label=label)
            energy_axes.axhline(1e6 * points[0]["energy_joules"], linestyle="--", linewidth=1, color="black", label=label)
            continue
        steps = [point["T"] for point in points]
        accuracy_axes.plot(steps, [100 * point["accuracy"] for point in points], marker=".", label=label)
        energy_axes.plot(steps, [1e6 * point["energy_joules"] for point in points], marker=".", label=label)
    for axes, name in ((accuracy_axes, "accuracy (%)"), (energy_axes, "energy per sample (µJ)")):
        axes.set_xscale("log", base=2)
        axes.set_xlabel("time steps T")
        axes.set_ylabel(name)
        axes.grid(True, alpha=0.3)
    accuracy_axes.legend(fontsize=7)
    figure.suptitle(title or "sweep")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)

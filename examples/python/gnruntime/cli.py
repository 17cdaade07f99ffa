"""``python -m gnruntime``: inspect, run, evaluate and export models; the MSE analysis; sweeps."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from . import fashion_mnist
from ._errors import GNRuntimeError
from .accounting import ENERGY_PER_ACCUMULATE, ENERGY_PER_MULTIPLY_ACCUMULATE, ann_energy
from .evaluation import (Configuration, accuracy_curves, default_configurations, early_exit, layer_activity,
                         layer_errors)
from .model import Model
from .session import Session, cpu_isa

#: The Fashion-MNIST model this package ships.
DEFAULT_MODEL = Path(__file__).resolve().parent / "data" / "fashion-mnist-qcfs.gnrt"


def _print(args: argparse.Namespace, data: Any, text: str) -> None:
    print(json.dumps(data, indent=1) if args.json else text)


def _configurations(args: argparse.Namespace) -> list[Configuration]:
    if args.neuron is None:
        return default_configurations()
    return [Configuration(args.neuron, args.tau)]


def _load_data(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray, str]:
    if args.subset or (args.data is None and not fashion_mnist.available()):
        images, labels = fashion_mnist.load_subset()
        source = f"the shipped test subset ({len(labels)} images)"
    else:
        images, labels = fashion_mnist.load("test", args.data)
        source = f"the test set in {args.data or fashion_mnist.DEBIAN_FOLDER} ({len(labels)} images)"
    if args.limit:
        images, labels = images[:args.limit], labels[:args.limit]
        source += f", first {len(labels)}"
    return images, labels, source


def command_info(args: argparse.Namespace) -> int:
    with Model.load(args.model) as model:
        layers = model.layers
        data = {"input_shape": model.input_shape, "output_shape": model.output_shape, "cpu_isa": cpu_isa(),
                "neuron_layers": model.neuron_layer_count,
                "layers": [{"index": l.index, "kind": l.kind, "inputs": l.inputs, "output_shape": l.output_shape,
                            **({"kernel": l.kernel, "stride": l.stride, "padding": l.padding}
                               if l.kind in ("conv2d", "avgpool2d", "maxpool2d") else {}),
                            **({"levels": l.levels, "threshold": l.threshold} if l.kind == "qcfs" else {}),
                            **({"weights": l.weights} if l.weights else {})}
                           for l in layers]}
        lines = [f"{args.model}: input {model.input_shape}, output {model.output_shape}, "
                 f"{len(layers)} layers, {model.neuron_layer_count} QCFS; kernels for this CPU: {cpu_isa()}"]
        for l in layers:
            detail = ""
            if l.kind in ("conv2d", "avgpool2d", "maxpool2d"):
                detail = f" kernel {l.kernel} stride {l.stride} padding {l.padding}"
            elif l.kind == "qcfs":
                detail = f" L={l.levels} lambda={l.threshold:.4g}"
            if l.weights:
                detail += f" weights {l.weights}"
            lines.append(f"  {l.index:3d} {l.kind:<14} <- {','.join(map(str, l.inputs)):<7} -> {l.output_shape}{detail}")
        _print(args, data, "\n".join(lines))
    return 0


def command_run(args: argparse.Namespace) -> int:
    if args.input.suffix == ".npy":
        x = np.load(args.input)
    else:
        x = np.fromfile(args.input, dtype="<f4")
    with Model.load(args.model) as model:
        x = np.ascontiguousarray(x, dtype=np.float32).reshape(-1, *model.input_shape)
        tau = args.tau if args.tau is not None else [l.levels for l in model.layers if l.kind == "qcfs"]
        with Session(model, neuron=args.neuron, tau=tau, T=args.T, batch=len(x)) as session:
            output = session.run(x)
            predictions = session.predictions()
    data = {"output": output.tolist(), "predictions_per_step": predictions.T.tolist()}
    lines = [f"sample {i}: prediction {int(predictions[-1, i])}, per step {predictions[:, i].tolist()}, "
             f"output {np.array2string(output[i], precision=4, max_line_width=200)}" for i in range(len(x))]
    _print(args, data, "\n".join(lines))
    return 0


def command_eval(args: argparse.Namespace) -> int:
    images, labels, source = _load_data(args)
    steps = sorted(set(args.steps))
    with Model.load(args.model) as model:
        curves = accuracy_curves(model, images, labels, max(steps), _configurations(args), batch=args.batch,
                                 progress=not args.json)
    data = {"model": str(args.model), "data": source, "samples": len(labels), "steps": steps,
            "accuracy": {c.configuration.label: ([c.accuracy[0]] if len(c.accuracy) == 1 else [c.at(t) for t in steps])
                         for c in curves}}
    data["synaptic_operations"] = {c.configuration.label: [c.operations_at(t) for t in steps]
                                   for c in curves if c.synaptic_operations}
    data["macs"] = {c.configuration.label: c.macs for c in curves}
    header = f"{'':>10} " + " ".join(f"{'T=' + str(t):>7}" for t in steps)
    rows = [f"{c.configuration.label:>10} " + " ".join(f"{100 * c.at(t):6.2f}%" for t in steps) for c in curves]
    operations = [f"{c.configuration.label:>10} " + " ".join(f"{c.operations_at(t) / 1e6:7.2f}" for t in steps)
                  for c in curves if c.synaptic_operations]
    ann_macs = [f"{c.configuration.label:>10} {c.macs / 1e6:7.2f} million multiply-accumulates"
                for c in curves if not c.synaptic_operations]
    text = f"accuracy on {source}\n{header}\n" + "\n".join(rows)
    if operations:
        text += (f"\nsynaptic operations per sample, millions (plus the multiply-accumulates on the input, "
                 f"once)\n{header}\n" + "\n".join(operations + ann_macs))
    _print(args, data, text)
    if args.plot:
        from .plots import accuracy_plot
        accuracy_plot(curves, steps, args.plot, title=f"{Path(args.model).name}, {len(labels)} test images")
        if not args.json:
            print(f"plot: {args.plot}")
    return 0


def command_stats(args: argparse.Namespace) -> int:
    images, labels, source = _load_data(args)
    configuration = Configuration(args.neuron, args.tau)
    steps = [t for t in (1, 2, 4, 8, 16, 32, 64, 128, 256) if t < args.T] + [args.T]
    progress = not args.json
    with Model.load(args.model) as model:
        layers = layer_activity(model, images, args.T, configuration, batch=args.batch, progress=progress)
        curve, ann = accuracy_curves(model, images, labels, args.T, [configuration, Configuration("ann")],
                                     batch=args.batch, progress=progress)
        exits = early_exit(model, images, labels, args.T, configuration, args.exit_margin, args.exit_stable,
                           batch=args.batch, progress=progress)
    ann_joules = ann_energy(ann.macs)
    data = {
        "model": str(args.model), "data": source, "samples": len(labels), "configuration": configuration.label,
        "T": args.T,
        "energy_per_operation": {"accumulate": ENERGY_PER_ACCUMULATE, "multiply_accumulate": ENERGY_PER_MULTIPLY_ACCUMULATE},
        "layers": [vars(layer) for layer in layers],
        "analog_macs": curve.macs, "ann": {"accuracy": ann.at(1), "macs": ann.macs, "energy": ann_joules},
        "steps": [{"T": t, "accuracy": curve.at(t), "synaptic_operations": curve.operations_at(t),
                   "energy": curve.energy_at(t)} for t in steps],
        "early_exit": [vars(result) for result in exits],
    }
    lines = [f"{configuration.label}, T = {args.T}, on {source}",
             f"{'layer':>6} {'neurons':>9} {'members':>8} {'spikes/neuron/step':>19} {'per member':>11} "
             f"{'SynOps/sample':>14}"]
    lines += [f"{l.layer:>6} {l.neurons:>9} {l.members:>8} {l.firing_rate:>19.4f} {l.member_firing_rate:>11.4f} "
              f"{l.synaptic_operations:>14.4g}" for l in layers]
    lines += ["", f"{'':>16} {'accuracy':>9} {'SynOps':>10} {'MACs':>10} {'energy':>10} {'of the ANN':>10}",
              f"{'ANN':>16} {100 * ann.at(1):8.2f}% {0:>10} {ann.macs:>10.4g} {ann_joules * 1e6:8.2f}µJ {1:>10.0%}"]
    lines += [f"{'T = ' + str(t):>16} {100 * curve.at(t):8.2f}% {curve.operations_at(t):>10.4g} {curve.macs:>10.4g} "
              f"{curve.energy_at(t) * 1e6:8.2f}µJ {curve.energy_at(t) / ann_joules:>10.0%}" for t in steps]
    lines += [f"{r.rule:>16} {100 * r.accuracy:8.2f}% {r.synaptic_operations:>10.4g} {curve.macs:>10.4g} "
              f"{r.energy * 1e6:8.2f}µJ {r.energy / ann_joules:>10.0%}   mean T {r.mean_steps:.2f}" for r in exits]
    lines.append(f"energy: {ENERGY_PER_ACCUMULATE * 1e12:g} pJ per synaptic operation (accumulate), "
                 f"{ENERGY_PER_MULTIPLY_ACCUMULATE * 1e12:g} pJ per multiply-accumulate (45 nm, Horowitz, ISSCC 2014)")
    _print(args, data, "\n".join(lines))
    return 0


def command_mse(args: argparse.Namespace) -> int:
    images, _, source = _load_data(args)
    configurations = _configurations(args) if args.neuron else [Configuration("gn", args.tau), Configuration("if")]
    configurations = [c for c in configurations if c.neuron != "ann"]
    with Model.load(args.model) as model:
        results = layer_errors(model, images, args.T, configurations, batch=args.batch, progress=not args.json)
    steps = [t for t in (1, 2, 4, 8, 16, 32, 64, 128) if t <= args.T]
    data = {"model": str(args.model), "data": source,
            "mse": {r.configuration.label: {str(layer): errors for layer, errors in zip(r.layers, r.errors)} for r in results}}
    lines = [f"MSE between the ANN's QCFS activations and the SNN's time-averaged outputs, {source}"]
    for r in results:
        lines.append(f"{r.configuration.label}:")
        lines.append(f"  {'layer':>6} " + " ".join(f"{'T=' + str(t):>10}" for t in steps))
        for layer, errors in zip(r.layers, r.errors):
            lines.append(f"  {layer:>6} " + " ".join(f"{errors[t - 1]:10.3e}" for t in steps))
    _print(args, data, "\n".join(lines))
    if args.plot:
        from .plots import error_plot
        error_plot(results, args.plot, title=f"{Path(args.model).name}, {len(images)} test images")
        if not args.json:
            print(f"plot: {args.plot}")
    return 0


def _module_factory(spec: str):
    """``package.module:function`` → the function (which returns an nn.Module)."""
    import importlib
    module_name, _, function_name = spec.partition(":")
    if not module_name or not function_name:
        raise ValueError(f"--module takes package.module:function, not {spec!r}")
    return getattr(importlib.import_module(module_name), function_name)


def command_export(args: argparse.Namespace) -> int:
    import torch
    from .export import from_torch, verify
    from .qcfs import fashion_mnist_net

    checkpoint = torch.load(args.checkpoint, map_location="cpu")
    state = checkpoint.get("state_dict", checkpoint) if isinstance(checkpoint, dict) else checkpoint
    if isinstance(state, torch.nn.Module):
        module = state
    elif args.module:
        module = _module_factory(args.module)()
        module.load_state_dict(state)
    else:
        module = fashion_mnist_net(int(checkpoint.get("levels", 4)))
        module.load_state_dict(state)
    input_shape = tuple(int(v) for v in args.input_shape.split(","))
    data = from_torch(module, args.output, input_shape, weights=args.weights)
    if input_shape == (1, 28, 28):
        inputs, _ = fashion_mnist.load_subset()
    else:
        inputs = np.random.default_rng(0).random((64, *input_shape), dtype=np.float32)
    check = verify(module, args.output, inputs=inputs)
    _print(args, {"output": str(args.output), "bytes": len(data), "weights": args.weights, "samples": check.samples,
                  "max_abs_difference": check.max_abs_difference, "differing_samples": check.differing_samples,
                  "different_predictions": check.different_predictions},
           f"wrote {args.output}: {len(data)} bytes, {args.weights} weights\nANN mode against the module on {check.samples} images: "
           f"largest difference {check.max_abs_difference:.3g} (outputs up to {check.max_abs_output:.3g}); "
           f"{check.differing_samples} samples beyond rounding, {check.different_predictions} different predictions")
    return 0


def command_sweep(args: argparse.Namespace) -> int:
    from . import sweep
    if args.per_sample and not args.output:
        raise ValueError("--per-sample needs --output")
    if args.shards:
        images, labels = sweep.load_arrays(args.shards)
        source = f"{len(args.shards)} shard file(s) ({len(labels)} samples)"
        if args.limit:
            images, labels = images[:args.limit], labels[:args.limit]
    else:
        images, labels, source = _load_data(args)
    engine = "ray" if args.ray or args.ray_address else "process"
    result = sweep.run(args.models or [DEFAULT_MODEL], images, labels, neurons=args.neuron,
                       taus=[sweep.parse_tau(text) for text in args.tau], exits=args.exit, max_steps=args.T,
                       engine=engine, threads=args.threads, workers=args.workers, actors=args.actors, cpus_per_actor=args.cpus_per_actor,
                       ray_address=args.ray_address, shard_size=args.shard_size, batch=args.batch,
                       per_sample=args.per_sample is not None, progress=not args.json)
    if args.output:
        result.write_parquet(args.output, args.per_sample)
    data = {"data": source, "engine": result.engine, "rows": result.rows}
    header = (f"{'model':<34} {'weights':>7} {'neuron':>6} {'tau':>7} {'exit':>10} {'T':>4} {'accuracy':>9} "
              f"{'SynOps':>10} {'energy':>9} {'mean T':>6}")
    lines = [f"{row['model']:<34} {row['weights']:>7} {row['neuron']:>6} {row['tau']:>7} {row['exit']:>10} "
             f"{row['T']:>4} {100 * row['accuracy']:8.2f}% {row['mean_synaptic_operations']:>10.4g} "
             f"{row['energy_joules'] * 1e6:7.2f}µJ {row['mean_steps']:>6.2f}" for row in result.rows]
    how = result.engine
    footer = (f"{how['samples']} samples × {how['configurations']} configurations on {how['engine']} "
              f"({how['workers']} worker(s) × {how['threads_per_worker']} thread(s), {how['shards']} shards"
              + (f", {how['nodes']} node(s)" if "nodes" in how else "") + f") in {how['seconds']:.1f} s")
    _print(args, data, f"sweep on {source}\n{header}\n" + "\n".join(lines) + f"\n{footer}")
    if args.output and not args.json:
        print(f"table: {args.output}" + (f", per sample: {args.per_sample}" if args.per_sample else ""))
    if args.plot:
        from .plots import sweep_plot
        sweep_plot(result.rows, args.plot, title=f"{len(labels)} samples")
        if not args.json:
            print(f"plot: {args.plot}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gnruntime", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    def common(sub: argparse.ArgumentParser, model_default: bool = False) -> None:
        if model_default:
            sub.add_argument("model", nargs="?", type=Path, default=DEFAULT_MODEL,
                             help="model file (default: the shipped Fashion-MNIST model)")
        else:
            sub.add_argument("model", type=Path, help="model file")
        sub.add_argument("--json", action="store_true", help="print JSON for machines")

    def neurons(sub: argparse.ArgumentParser, default_neuron: Optional[str]) -> None:
        sub.add_argument("--neuron", choices=["ann", "gn", "if"], default=default_neuron)
        sub.add_argument("--tau", type=int, default=None, help="Group Neuron members (default: L of each layer)")

    def data(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--data", type=Path, default=None,
                         help="folder of the Fashion-MNIST IDX files (default: Debian's dataset-fashion-mnist)")
        sub.add_argument("--subset", action="store_true", help="use the test subset shipped with the package")
        sub.add_argument("--limit", type=int, default=0, help="use only the first N images")
        sub.add_argument("--batch", type=int, default=100, help="samples per run")
        sub.add_argument("--plot", type=Path, default=None, help="write a PNG plot here")

    info = commands.add_parser("info", help="layers, shapes and QCFS parameters of a model")
    common(info, model_default=True)
    info.set_defaults(function=command_info)

    run = commands.add_parser("run", help="run inputs (.npy, or raw float32 NCHW) through a model")
    common(run)
    run.add_argument("input", type=Path)
    neurons(run, "gn")
    run.add_argument("--T", type=int, default=4)
    run.set_defaults(function=command_run)

    evaluate = commands.add_parser("eval", help="Fashion-MNIST accuracy against T for ANN, GN and IF")
    common(evaluate, model_default=True)
    data(evaluate)
    neurons(evaluate, None)
    evaluate.add_argument("--T", dest="steps", type=int, nargs="+", default=[1, 2, 4, 8, 16, 32],
                          help="time steps to report (one run to the largest gives all)")
    evaluate.set_defaults(function=command_eval)

    stats = commands.add_parser("stats", help="spikes, firing rates, synaptic operations and energy; early exit")
    common(stats, model_default=True)
    data(stats)
    stats.add_argument("--neuron", choices=["gn", "if"], default="gn")
    stats.add_argument("--tau", type=int, default=None, help="Group Neuron members (default: L of each layer)")
    stats.add_argument("--T", type=int, default=4, help="time steps (default 4)")
    stats.add_argument("--exit-margin", type=float, nargs="*", default=[],
                       help="early exit once the running output's top two values differ by more than this")
    stats.add_argument("--exit-stable", type=int, nargs="*", default=[],
                       help="early exit once the running prediction held for this many steps")
    stats.set_defaults(function=command_stats)

    mse = commands.add_parser("mse", help="per-layer MSE of the SNN's averaged outputs against the ANN")
    common(mse, model_default=True)
    data(mse)
    neurons(mse, None)
    mse.add_argument("--T", type=int, default=32, help="largest number of time steps")
    mse.set_defaults(function=command_mse, tau=2)

    sweep = commands.add_parser("sweep", help="accuracy, spikes, operations and energy over a grid of "
                                              "configurations at every T, in this process or on Ray")
    sweep.add_argument("models", nargs="*", type=Path,
                       help="model files, one grid axis (default: the shipped Fashion-MNIST model)")
    sweep.add_argument("--json", action="store_true", help="print JSON for machines")
    data(sweep)
    sweep.add_argument("--shards", type=Path, nargs="+", default=None,
                       help="the data set as .npz shards (images, labels) or *images*.npy beside *labels*.npy, "
                            "instead of Fashion-MNIST")
    sweep.add_argument("--neuron", choices=["ann", "gn", "if"], nargs="+", default=["gn"])
    sweep.add_argument("--tau", nargs="+", default=["L"],
                       help="Group Neuron members: L (each layer's), an integer, or one per QCFS layer "
                            "as 4,2,2,4 (default L)")
    sweep.add_argument("--T", type=int, default=8, help="the largest T; one run to it gives every T (default 8)")
    sweep.add_argument("--exit", nargs="+", default=["none"],
                       help="exit rules: none, margin:M, stable:K (default none)")
    sweep.add_argument("--threads", type=int, default=1, help="threads per session in this process (default 1)")
    sweep.add_argument("--workers", type=int, default=1,
                       help="shards run at once in this process, each with its own sessions (default 1)")
    sweep.add_argument("--ray", action="store_true", help="run on a local Ray started for the sweep")
    sweep.add_argument("--ray-address", default=None, help="run on the Ray cluster at this address")
    sweep.add_argument("--actors", type=int, default=2, help="Ray actors (default 2)")
    sweep.add_argument("--cpus-per-actor", type=int, default=1, help="CPUs (and threads) per Ray actor (default 1)")
    sweep.add_argument("--shard-size", type=int, default=100, help="samples per shard (default 100)")
    sweep.add_argument("--output", type=Path, default=None, help="write the table here, as Parquet")
    sweep.add_argument("--per-sample", type=Path, default=None,
                       help="write one row per configuration and sample here, as Parquet (with --output)")
    sweep.set_defaults(function=command_sweep)

    export = commands.add_parser("export", help="export a PyTorch checkpoint (a module, or a state dict)")
    export.add_argument("checkpoint", type=Path,
                        help="torch.save of a module, or of a state dict ({'state_dict': ...} as the training script saves)")
    export.add_argument("output", type=Path)
    export.add_argument("--module", default=None,
                        help="package.module:function building the module a state dict belongs to "
                             "(default: gnruntime.qcfs.fashion_mnist_net)")
    export.add_argument("--input-shape", default="1,28,28", help="C,H,W of one input (default 1,28,28)")
    export.add_argument("--weights", choices=("float32", "int8"), default="float32",
                        help="int8: int8 weights (one scale per output channel) in every layer that reads spike "
                             "counts; the first layer keeps float32 (default float32)")
    export.add_argument("--json", action="store_true")
    export.set_defaults(function=command_export)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.function(args))
    except (GNRuntimeError, OSError, ValueError) as error:
        print(f"gnruntime: {error}", file=sys.stderr)
        return 1

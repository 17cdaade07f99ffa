"""Seconds per ImageNet image and time step on one core, for the sweep cost model of docs/scale.md:
VGG-16 at 224 × 224 (random weights, QCFS L = 8), Group Neurons, one sample, one thread, step by step;
and the multiply-accumulates per step, to carry the rate over to other networks.

    python benchmarks/imagenet_step.py [--T 2] [--reps 3]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import gnruntime
from gnruntime import writer as w

#: VGG-16's convolution widths, "M" for the 2 × 2 pooling after a stage.
VGG16 = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]


def vgg16_imagenet(seed: int = 1) -> bytes:
    """VGG-16 for 3 × 224 × 224 inputs and 1000 classes, QCFS after every conv and hidden linear layer."""
    rng = np.random.default_rng(seed)
    layers: list[w.LayerSpec] = []
    channels = 3
    for item in VGG16:
        if item == "M":
            layers.append(w.AvgPool2d(2))
            continue
        fan_in = channels * 9
        layers.append(w.Conv2d(rng.normal(0, np.sqrt(2 / fan_in), (item, channels, 3, 3)).astype(np.float32),
                               np.zeros(item, np.float32), padding=1))
        layers.append(w.QCFS(levels=8, threshold=1.0))
        channels = item
    layers.append(w.Flatten())
    width = channels * 7 * 7
    for out in (4096, 4096):
        layers.append(w.Linear(rng.normal(0, np.sqrt(2 / width), (out, width)).astype(np.float32),
                               np.zeros(out, np.float32)))
        layers.append(w.QCFS(levels=8, threshold=1.0))
        width = out
    layers.append(w.Linear(rng.normal(0, np.sqrt(1 / width), (1000, width)).astype(np.float32),
                           np.zeros(1000, np.float32)))
    return w.encode((3, 224, 224), layers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--T", type=int, default=2)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    with gnruntime.Model.load(vgg16_imagenet()) as model, \
            gnruntime.Session(model, neuron="gn", tau=4, T=args.T, schedule="step", threads=1) as session:
        image = np.random.default_rng(2).uniform(0, 1, (1, 3, 224, 224)).astype(np.float32)
        session.run(image)  # warm
        times = []
        for _ in range(args.reps):
            started = time.perf_counter()
            session.run(image)
            times.append(time.perf_counter() - started)
        per_step = min(times) / args.T
        macs = model.mac_count
    print(f"VGG-16, 224 x 224, GN tau = 4, batch 1, 1 thread, kernels {gnruntime.cpu_isa()}: "
          f"{per_step:.3f} s per image and step (best of {args.reps}, T = {args.T}); {macs / 1e9:.2f} G MACs per "
          f"step: {macs / per_step / 1e9:.1f} G MAC/s")


if __name__ == "__main__":
    main()

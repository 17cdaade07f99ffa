"""Early exit against fixed T on the Fashion-MNIST test set: wall time of the same images through a
session of T steps and through one that stops each sample once its margin rule fires, interleaved,
on one machine in one run.

    python benchmarks/early_exit.py [--neuron if] [--T 16] [--margin 4] [--images 2000] [--reps 3]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import gnruntime
from gnruntime import fashion_mnist
from gnruntime.cli import DEFAULT_MODEL


def timed(model: gnruntime.Model, images: np.ndarray, neuron: str, steps: int, batch: int,
          **options: object) -> tuple[float, float, float]:
    """Seconds, mean steps per sample and accuracy of one pass over ``images``."""
    with gnruntime.Session(model, neuron, T=steps, batch=batch, **options) as session:
        start = time.perf_counter()
        used = 0
        predictions = []
        for first in range(0, len(images), batch):
            session.run(images[first:first + batch])
            used += int(session.sample_steps().sum())
            predictions.append(session.predictions()[-1])
        return time.perf_counter() - start, used / len(images), np.concatenate(predictions)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--neuron", choices=["gn", "if"], default="if")
    parser.add_argument("--T", type=int, default=16)
    parser.add_argument("--margin", type=float, default=4.0)
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    images, labels = fashion_mnist.load("test") if fashion_mnist.available() else fashion_mnist.load_subset()
    images = np.ascontiguousarray(images[:args.images], dtype=np.float32)
    labels = labels[:args.images]
    with gnruntime.Model.load(DEFAULT_MODEL) as model:
        for _ in range(args.reps):
            # Both step by step: the same schedule, so the ratio is what stopping saves.
            fixed, _, fixed_predictions = timed(model, images, args.neuron, args.T, args.batch, schedule="step")
            early, mean, early_predictions = timed(model, images, args.neuron, args.T, args.batch,
                                                   exit_margin=args.margin)
            print(f"{len(images)} images, {args.neuron} T={args.T}: fixed {fixed:.2f} s "
                  f"({np.mean(fixed_predictions == labels):.2%}); margin > {args.margin:g}: {early:.2f} s "
                  f"({np.mean(early_predictions == labels):.2%}, mean T {mean:.2f}); "
                  f"{fixed / early:.2f}x faster (steps saved: {args.T / mean:.2f}x)")


if __name__ == "__main__":
    main()

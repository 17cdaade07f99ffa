"""The cost of the sweep's engines (docs/scale.md): the same sweep over the Fashion-MNIST test set in
this process and on a local Ray, interleaved, in one run on one machine; Ray's fixed cost and its
overhead per shard.

    python benchmarks/sweep.py [--images 10000] [--T 8] [--reps 2] [--json]
"""
from __future__ import annotations

import argparse
import json
import time

from gnruntime import fashion_mnist, sweep
from gnruntime.cli import DEFAULT_MODEL

from machine import cpu_model  # benchmarks/machine.py


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=10000)
    parser.add_argument("--T", type=int, default=8)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--shard-size", type=int, default=500)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    images, labels = fashion_mnist.load("test") if fashion_mnist.available() else fashion_mnist.load_subset()
    images, labels = images[:args.images], labels[:args.images]
    grid = {"neurons": ["gn", "if"], "taus": [None, (2,)], "exits": ["none"], "max_steps": args.T,
            "progress": False}
    engines = {
        "in process, 2 threads": {"engine": "process", "threads": 2, "shard_size": args.shard_size},
        "in process, 2 workers x 1 thread": {"engine": "process", "workers": 2, "shard_size": args.shard_size},
        "Ray, 2 actors x 1 thread": {"engine": "ray", "actors": 2, "cpus_per_actor": 1, "shard_size": args.shard_size},
    }
    seconds: dict[str, list[float]] = {name: [] for name in engines}
    tables = {}
    for _ in range(args.reps):
        for name, options in engines.items():
            started = time.perf_counter()
            result = sweep.run([DEFAULT_MODEL], images, labels, **grid, **options)
            seconds[name].append(time.perf_counter() - started)
            tables[name] = result.rows
    same = all(rows == next(iter(tables.values())) for rows in tables.values())
    configurations = 3
    work = len(labels) * configurations

    # Ray's fixed cost: a sweep of 10 images on a Ray started for it (ray.init, the actor and its
    # model, shutdown) against the same in this process; and its cost per shard: the same 1000-image
    # sweep on one actor in 1 and in 500 shards.
    tiny = {"neurons": ["gn"], "max_steps": 1, "progress": False}
    fixed = []
    for _ in range(args.reps):
        begun = time.perf_counter()
        sweep.run([DEFAULT_MODEL], images[:10], labels[:10], engine="ray", actors=1, **tiny)
        on_ray = time.perf_counter() - begun
        begun = time.perf_counter()
        sweep.run([DEFAULT_MODEL], images[:10], labels[:10], **tiny)
        fixed.append(on_ray - (time.perf_counter() - begun))
    startup = min(fixed)
    import ray
    ray.init(num_cpus=1, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    per_shard = {}
    try:
        for shard_size in (1000, 2):
            timings = []
            for _ in range(args.reps):
                begun = time.perf_counter()
                sweep.run([DEFAULT_MODEL], images[:1000], labels[:1000], engine="ray", actors=1,
                          shard_size=shard_size, **tiny)
                timings.append(time.perf_counter() - begun)
            per_shard[shard_size] = min(timings)
    finally:
        ray.shutdown()
    overhead = (per_shard[2] - per_shard[1000]) / (500 - 1)

    report = {
        "cpu": cpu_model(), "images": len(labels), "configurations": configurations, "T": args.T,
        "shard_size": args.shard_size, "seconds": seconds, "same_table": same,
        "samples_per_second": {name: work / min(values) for name, values in seconds.items()},
        "ray_time_over": {name: min(seconds["Ray, 2 actors x 1 thread"]) / min(values)
                          for name, values in seconds.items() if name.startswith("in process")},
        "ray_fixed_seconds": startup, "small_sweep_seconds_by_shard_size": per_shard,
        "ray_overhead_per_shard_seconds": overhead,
    }
    if args.json:
        print(json.dumps(report, indent=1))
        return
    print(f"{report['cpu']}; {len(labels)} images x {configurations} configurations (GN tau=L, GN tau=2, IF), "
          f"T = {args.T}, shards of {args.shard_size}")
    for name, values in seconds.items():
        print(f"  {name:<34} {' '.join(f'{v:7.1f} s' for v in values)}   "
              f"{report['samples_per_second'][name]:7.0f} sample-configurations/s (best)")
    for name, ratio in report["ray_time_over"].items():
        print(f"  Ray's time / {name} (best of each): {ratio:.3f}")
    print(f"  tables equal: {same}")
    print(f"  Ray's fixed cost (start-up, actor, shutdown): {startup:.1f} s; a 1000-image sweep on 1 actor in "
          f"1 / 500 shards: {per_shard[1000]:.2f} / {per_shard[2]:.2f} s, {1000 * overhead:.1f} ms per shard")


if __name__ == "__main__":
    main()

"""The sweep's worker as a Ray Data actor (gnruntime.sweep, engine "ray"): imported only when Ray is."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import ray

from .sweep import ShardWorker, SweepConfiguration


class RayShardWorker(ShardWorker):
    """A ShardWorker that takes the data set from Ray's object store (once per actor) and runs as many
    threads as CPUs Ray gives the actor; it tags its records with its node."""

    def __init__(self, models: dict[str, bytes], configurations: Sequence[SweepConfiguration], max_steps: int,
                 data: list, batch: int) -> None:
        images, labels = ray.get(data)
        context = ray.get_runtime_context()
        threads = max(1, int(context.get_assigned_resources().get("CPU", 1)))
        super().__init__(models, configurations, max_steps, images, labels, batch=batch, threads=threads)
        self.node = context.get_node_id()

    def __call__(self, shard: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        records = super().__call__(shard)
        records["node"] = np.full(len(records["index"]), self.node)
        return records

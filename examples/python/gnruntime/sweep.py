"""Sweeps: accuracy, spikes, synaptic operations and energy of every configuration of a grid (model ×
neuron kind × τ × exit rule) at every T up to Tmax, over a whole data set, in this process or on Ray.

One run to Tmax per configuration and sample gives every T ≤ Tmax: the prediction after step t of a
longer run is the prediction of a run of t steps, an exit rule decides the same at each step, and the
counts of the first t steps are those of a run of t. Every sample gives one record per configuration
(its prediction after every step, its stop step, its spikes and synaptic operations per step); the
table is computed from the records in sample order, so it does not depend on the engine, the number
of workers, or the order in which shards finish.

Engines: ``engine="process"`` (the default) runs the shards here: ``workers`` Python threads take
shards in turn, each with its own sessions of ``threads`` threads (the runtime releases the GIL); ``engine="ray"`` runs them on Ray Data — ``map_batches`` over an actor pool, each actor
holding the models and one session per configuration, with as many threads as CPUs Ray gives it —
on a local Ray started for the sweep, or on the cluster at ``ray_address``. Ray and pyarrow are
optional (``pip install ./examples/python[scale]``).
"""
from __future__ import annotations

import math
import os
import struct
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence, Union

import numpy as np

from .accounting import ENERGY_PER_ACCUMULATE, ENERGY_PER_MULTIPLY_ACCUMULATE
from .model import Model
from .progress import Progress
from .session import Session

EXIT_NONE = "none"


def parse_tau(text: str) -> Optional[tuple[int, ...]]:
    """``"L"`` (τ = L of each layer) → None; ``"4"`` → (4,); ``"4,2,2,4"`` → one τ per QCFS layer."""
    if text.upper() == "L":
        return None
    try:
        values = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise ValueError(f"tau must be L, an integer or a comma-separated list of integers, not {text!r}") from None
    if any(value < 1 for value in values):
        raise ValueError(f"tau values must be at least 1: {text!r}")
    return values


def parse_exit(text: str) -> str:
    """``none``, ``margin:M`` (M ≥ 0) or ``stable:K`` (K ≥ 1), checked and normalised."""
    if text == EXIT_NONE:
        return text
    kind, _, value = text.partition(":")
    try:
        if kind == "margin" and float(value) >= 0 and math.isfinite(float(value)):
            return f"margin:{float(value):g}"
        if kind == "stable" and int(value) >= 1:
            return f"stable:{int(value)}"
    except ValueError:
        pass
    raise ValueError(f"an exit rule is none, margin:M (M >= 0) or stable:K (K >= 1), not {text!r}")


def weights_of(model_bytes: bytes) -> str:
    """``"int8"`` when the model file has int8 layers (format 1.1: writers give minor version 1 only
    then), else ``"float32"`` (docs/model-format.md)."""
    if len(model_bytes) < 8:
        return "float32"
    _magic, _major, minor = struct.unpack_from("<4sHH", model_bytes, 0)
    return "int8" if minor >= 1 else "float32"


@dataclass(frozen=True)
class SweepConfiguration:
    """One way to run one model: the neuron kind, τ (None = L of each layer; one value; or one per QCFS
    layer) and the exit rule."""
    model: str
    neuron: str
    tau: Optional[tuple[int, ...]] = None
    exit: str = EXIT_NONE

    @property
    def tau_text(self) -> str:
        """τ as the table shows it: "" for ANN and IF, "L", "4", or "4,2,2,4"."""
        if self.neuron != "gn":
            return ""
        return "L" if self.tau is None else ",".join(map(str, self.tau))

    @property
    def label(self) -> str:
        name = {"ann": "ANN", "if": "IF"}.get(self.neuron, f"GN(tau={self.tau_text})")
        rule = "" if self.exit == EXIT_NONE else f" exit {self.exit}"
        return f"{self.model}: {name}{rule}"

    def session_options(self, model: Model, max_steps: int) -> dict[str, Any]:
        """The Session keywords of this configuration (step by step, so memory does not grow with T)."""
        options: dict[str, Any] = {"neuron": self.neuron, "T": max_steps if self.neuron != "ann" else 1,
                                   "schedule": "step", "count_spikes": self.neuron != "ann"}
        if self.neuron == "gn":
            levels = [layer.levels for layer in model.layers if layer.kind == "qcfs"]
            options["tau"] = levels if self.tau is None else (self.tau[0] if len(self.tau) == 1 else list(self.tau))
        if self.exit != EXIT_NONE and self.neuron != "ann":
            kind, _, value = self.exit.partition(":")
            options["exit_margin" if kind == "margin" else "exit_stable"] = \
                float(value) if kind == "margin" else int(value)
        return options


def grid(models: Sequence[str], neurons: Sequence[str], taus: Sequence[Optional[tuple[int, ...]]] = (None,),
         exits: Sequence[str] = (EXIT_NONE,)) -> list[SweepConfiguration]:
    """Every combination, in the order given: τ applies to Group Neurons, exit rules to spiking kinds
    (ANN runs once, with no exit rule)."""
    configurations = []
    for model in models:
        for neuron in neurons:
            if neuron not in ("ann", "gn", "if"):
                raise ValueError(f"neuron must be ann, gn or if, not {neuron!r}")
            for tau in (taus if neuron == "gn" else (None,)):
                for rule in (exits if neuron != "ann" else (EXIT_NONE,)):
                    configuration = SweepConfiguration(model, neuron, tau, rule)
                    if configuration not in configurations:
                        configurations.append(configuration)
    return configurations


class ShardWorker:
    """Runs shards of a data set under every configuration: holds the models and, once made, one
    session per configuration. A shard is a batch of sample indices (column ``id``); the worker returns
    one record per configuration and sample."""

    def __init__(self, models: dict[str, bytes], configurations: Sequence[SweepConfiguration], max_steps: int,
                 images: np.ndarray, labels: np.ndarray, batch: int = 100, threads: int = 1) -> None:
        self.models = {name: Model.load(data) for name, data in models.items()}
        self.configurations = list(configurations)
        self.max_steps, self.batch, self.threads = max_steps, batch, threads
        self.images, self.labels = images, labels
        self.sessions: dict[int, Session] = {}

    def _session(self, index: int) -> Session:
        if index not in self.sessions:
            configuration = self.configurations[index]
            model = self.models[configuration.model]
            self.sessions[index] = Session(model, batch=self.batch, threads=self.threads,
                                           **configuration.session_options(model, self.max_steps))
        return self.sessions[index]

    def __call__(self, shard: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        indices = np.asarray(shard["id"], dtype=np.int64)
        columns: dict[str, list[np.ndarray]] = {name: [] for name in
                                                ("configuration", "index", "stop_step", "predictions", "spikes",
                                                 "operations")}
        steps = self.max_steps
        for number, configuration in enumerate(self.configurations):
            session = self._session(number)
            for start in range(0, len(indices), self.batch):
                chosen = indices[start:start + self.batch]
                session.run(np.ascontiguousarray(self.images[chosen], dtype=np.float32))
                count = len(chosen)
                predictions = session.predictions().T  # (n, steps run)
                if configuration.neuron == "ann":
                    predictions = np.repeat(predictions[:, :1], steps, axis=1)
                    stop = np.ones(count, dtype=np.int64)
                    spikes = operations = np.zeros((count, steps), dtype=np.int64)
                else:
                    counts = session.spike_counts()
                    stop = counts.sample_steps.astype(np.int64)
                    spikes = counts.spikes.sum(axis=1).T.astype(np.int64)  # (n, steps)
                    operations = counts.synaptic_operations.sum(axis=1).T.astype(np.int64)
                columns["configuration"].append(np.full(count, number, dtype=np.int64))
                columns["index"].append(chosen)
                columns["stop_step"].append(stop)
                columns["predictions"].append(predictions.astype(np.int32))
                columns["spikes"].append(spikes)
                columns["operations"].append(operations)
        return {name: np.concatenate(parts) for name, parts in columns.items()}

    def close(self) -> None:
        for session in self.sessions.values():
            session.close()
        self.sessions.clear()
        for model in self.models.values():
            model.close()


@dataclass
class SweepResult:
    """The summary (one row per configuration × T; one row for ANN) and, on request, the per-sample
    records (one row per configuration × sample), as lists of dicts in a fixed order."""
    rows: list[dict[str, Any]]
    samples: list[dict[str, Any]] = field(default_factory=list)
    #: How it ran: engine, workers, threads per worker, shards, seconds, and the Ray nodes used.
    engine: dict[str, Any] = field(default_factory=dict)

    def write_parquet(self, path: Union[str, os.PathLike], per_sample: Optional[Union[str, os.PathLike]] = None) -> None:
        """Writes the summary (and the per-sample records) as Parquet tables (needs pyarrow)."""
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise ImportError("writing Parquet needs pyarrow: pip install ./examples/python[scale]") from None
        pq.write_table(pa.Table.from_pylist(self.rows), str(path))
        if per_sample is not None:
            pq.write_table(pa.Table.from_pylist(self.samples), str(per_sample))


def _analog_macs(models: dict[str, Model], configuration: SweepConfiguration, max_steps: int) -> int:
    model = models[configuration.model]
    if configuration.neuron == "ann":
        return model.mac_count
    with Session(model, **configuration.session_options(model, max_steps)) as session:
        return session.analog_mac_count


def summarize(records: dict[str, np.ndarray], configurations: Sequence[SweepConfiguration], labels: np.ndarray,
              models: dict[str, Model], model_weights: dict[str, str], max_steps: int,
              per_sample: bool = False) -> SweepResult:
    """The table from the records: sorted by configuration and sample first, so that every sum is
    taken in one order whatever produced the records."""
    order = np.lexsort((records["index"], records["configuration"]))
    records = {name: column[order] for name, column in records.items()}
    result = SweepResult(rows=[])
    for number, configuration in enumerate(configurations):
        chosen = records["configuration"] == number
        indices = records["index"][chosen]
        if len(np.unique(indices)) != len(indices) or len(indices) != len(labels):
            raise RuntimeError(f"{configuration.label}: {len(indices)} records for {len(labels)} samples")
        truth = labels[indices]
        predictions, stop = records["predictions"][chosen], records["stop_step"][chosen]
        spikes = np.cumsum(records["spikes"][chosen], axis=1)
        operations = np.cumsum(records["operations"][chosen], axis=1)
        macs = _analog_macs(models, configuration, max_steps)
        count = len(indices)
        for steps in (range(1, 2) if configuration.neuron == "ann" else range(1, max_steps + 1)):
            mean_operations = int(operations[:, steps - 1].sum()) / count
            result.rows.append({
                "model": configuration.model, "weights": model_weights[configuration.model],
                "neuron": configuration.neuron, "tau": configuration.tau_text, "exit": configuration.exit,
                "T": steps, "samples": count,
                "accuracy": int((predictions[:, steps - 1] == truth).sum()) / count,
                "mean_spikes": int(spikes[:, steps - 1].sum()) / count,
                "mean_synaptic_operations": mean_operations,
                "energy_joules": macs * ENERGY_PER_MULTIPLY_ACCUMULATE + mean_operations * ENERGY_PER_ACCUMULATE,
                "mean_steps": int(np.minimum(stop, steps).sum()) / count,
            })
        if per_sample:
            for row, index in enumerate(indices):
                result.samples.append({
                    "model": configuration.model, "weights": model_weights[configuration.model],
                    "neuron": configuration.neuron, "tau": configuration.tau_text, "exit": configuration.exit,
                    "index": int(index), "label": int(labels[index]), "stop_step": int(stop[row]),
                    "predictions": predictions[row].tolist(),
                })
    return result


def load_arrays(paths: Sequence[Union[str, os.PathLike]]) -> tuple[np.ndarray, np.ndarray]:
    """A data set from shards: ``.npz`` files holding ``images`` (n, C, H, W) and ``labels`` (n,), or
    ``.npy`` files of images named ``*images*.npy`` beside their labels (the same name with ``labels``
    for ``images``), concatenated in the order given. Images become float32."""
    images, labels = [], []
    for path in map(Path, paths):
        if path.suffix == ".npz":
            with np.load(path) as arrays:
                if "images" not in arrays or "labels" not in arrays:
                    raise ValueError(f"{path}: a .npz shard holds arrays named images and labels")
                images.append(np.asarray(arrays["images"], dtype=np.float32))
                labels.append(np.asarray(arrays["labels"], dtype=np.int64))
        elif path.suffix == ".npy" and "images" in path.name:
            images.append(np.load(path).astype(np.float32))
            labels.append(np.load(path.with_name(path.name.replace("images", "labels"))).astype(np.int64))
        else:
            raise ValueError(f"{path}: a shard is a .npz (images, labels) or an *images*.npy beside its *labels*.npy")
        if images[-1].ndim != 4 or len(images[-1]) != len(labels[-1]):
            raise ValueError(f"{path}: images must be (n, C, H, W) with one label each, not {images[-1].shape} "
                             f"and {labels[-1].shape}")
    if not images:
        raise ValueError("no shards given")
    return np.ascontiguousarray(np.concatenate(images)), np.concatenate(labels)


def _shards(count: int, shard_size: int) -> list[np.ndarray]:
    return [np.arange(start, min(start + shard_size, count)) for start in range(0, count, shard_size)]


def _merge(parts: Iterable[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    parts = list(parts)
    return {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}


def _run_in_process(models: dict[str, bytes], configurations: Sequence[SweepConfiguration], images: np.ndarray,
                    labels: np.ndarray, max_steps: int, shard_size: int, batch: int, threads: int, workers: int,
                    progress: bool) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """``workers`` Python threads, each with its own ShardWorker of ``threads``-thread sessions, take
    shards in turn (the runtime releases the GIL while it runs, so they run at once)."""
    from concurrent.futures import ThreadPoolExecutor, as_completed
    shards = _shards(len(labels), shard_size)
    local = threading.local()
    made: list[ShardWorker] = []
    lock = threading.Lock()

    def run_shard(shard: np.ndarray) -> dict[str, np.ndarray]:
        if not hasattr(local, "worker"):
            local.worker = ShardWorker(models, configurations, max_steps, images, labels, batch=batch, threads=threads)
            with lock:
                made.append(local.worker)
        return local.worker({"id": shard})

    parts = []
    try:
        with ThreadPoolExecutor(max_workers=workers) as pool, \
                Progress("sweep", len(labels) * len(configurations), enabled=None if progress else False) as bar:
            for done in as_completed([pool.submit(run_shard, shard) for shard in shards]):
                part = done.result()
                parts.append(part)
                bar.advance(len(part["index"]))
    finally:
        for worker in made:
            worker.close()
    return _merge(parts), {"engine": "process", "workers": workers, "threads_per_worker": threads,
                           "shards": len(shards)}


def _run_on_ray(models: dict[str, bytes], configurations: Sequence[SweepConfiguration], images: np.ndarray,
                labels: np.ndarray, max_steps: int, shard_size: int, batch: int, actors: int, cpus_per_actor: int,
                ray_address: Optional[str], progress: bool,
                worker_class: Optional[type] = None) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    try:
        import ray
        import ray.data
    except ImportError:
        raise ImportError("the Ray engine needs Ray: pip install ./examples/python[scale]") from None
    import logging
    from ._ray_worker import RayShardWorker
    logging.getLogger("ray.data").setLevel(logging.ERROR)  # its progress lines; ours is the progress bar
    started = not ray.is_initialized()
    if started:
        ray.init(address=ray_address, include_dashboard=False, logging_level="ERROR", log_to_driver=False,
                 **({} if ray_address else {"num_cpus": actors * cpus_per_actor}))
    try:
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        context.print_on_execution_start = False
        data = [ray.put(images), ray.put(labels)]
        shards = _shards(len(labels), shard_size)
        # The sample indices, one block per shard; each actor call takes one shard. Made in this
        # process (no read tasks to compete with the actors for CPUs).
        dataset = ray.data.from_items([{"id": index} for index in range(len(labels))],
                                      override_num_blocks=len(shards))
        mapped = dataset.map_batches(
            worker_class or RayShardWorker, batch_size=shard_size,
            fn_constructor_kwargs={"models": models, "configurations": configurations, "max_steps": max_steps,
                                   "data": data, "batch": batch},
            compute=ray.data.ActorPoolStrategy(size=actors), num_cpus=cpus_per_actor,
            max_restarts=-1, max_task_retries=-1)
        parts, nodes = [], set()
        with Progress("sweep", len(labels) * len(configurations), enabled=None if progress else False) as bar:
            for part in mapped.iter_batches(batch_size=None, batch_format="numpy"):
                nodes.update(part.pop("node").tolist())
                parts.append(part)
                bar.advance(len(part["index"]))
        return _merge(parts), {"engine": "ray", "workers": actors, "threads_per_worker": cpus_per_actor,
                               "shards": len(shards), "nodes": len(nodes)}
    finally:
        if started:
            ray.shutdown()


def run(models: Sequence[Union[str, os.PathLike]], images: np.ndarray, labels: np.ndarray, *,
        neurons: Sequence[str] = ("gn",), taus: Sequence[Optional[tuple[int, ...]]] = (None,),
        exits: Sequence[str] = (EXIT_NONE,), max_steps: int = 8, engine: str = "process",
        threads: int = 1, workers: int = 1, actors: int = 2, cpus_per_actor: int = 1, ray_address: Optional[str] = None,
        shard_size: int = 100, batch: int = 100, per_sample: bool = False, progress: bool = True,
        _worker_class: Optional[type] = None) -> SweepResult:
    """Sweeps ``models`` (files) × ``neurons`` × ``taus`` × ``exits`` over ``images`` (float32, (n, C, H,
    W)) and ``labels`` (n,), every T from 1 to ``max_steps``. See the module's documentation."""
    if max_steps < 1:
        raise ValueError(f"max_steps must be at least 1, not {max_steps}")
    if len(images) != len(labels) or len(labels) == 0:
        raise ValueError(f"images and labels must be as many and not empty: {len(images)} and {len(labels)}")
    if min(threads, workers, actors, cpus_per_actor, shard_size, batch) < 1:
        raise ValueError("threads, workers, actors, cpus_per_actor, shard_size and batch must be at least 1")
    if engine not in ("process", "ray"):
        raise ValueError(f"engine must be process or ray, not {engine!r}")
    paths = [Path(path) for path in models]
    names = [path.name for path in paths]
    if len(set(names)) != len(names):
        raise ValueError(f"the models' file names must differ: {names}")
    model_bytes = {name: path.read_bytes() for name, path in zip(names, paths)}
    loaded = {name: Model.load(data) for name, data in model_bytes.items()}
    configurations = grid(names, neurons, taus, [parse_exit(rule) for rule in exits])
    batch = min(batch, shard_size)
    labels = np.asarray(labels, dtype=np.int64)
    started = time.monotonic()
    try:
        if engine == "process":
            records, how = _run_in_process(model_bytes, configurations, images, labels, max_steps, shard_size, batch,
                                           threads, workers, progress)
        else:
            records, how = _run_on_ray(model_bytes, configurations, images, labels, max_steps, shard_size, batch,
                                       actors, cpus_per_actor, ray_address, progress, _worker_class)
        seconds = time.monotonic() - started
        result = summarize(records, configurations, labels, loaded, {name: weights_of(data) for name, data in
                                                                      model_bytes.items()}, max_steps, per_sample)
    finally:
        for model in loaded.values():
            model.close()
    result.engine = {**how, "seconds": seconds, "samples": len(labels), "configurations": len(configurations)}
    return result

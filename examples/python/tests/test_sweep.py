"""Sweeps (gnruntime.sweep, python -m gnruntime sweep): the in-process table equals what eval and stats
compute; Ray with two actors, Ray with an actor killed partway, and a two-node Ray cluster on loopback
give that same table, row for row. Ray is stopped at the end of every test."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gnruntime
from conftest import ray_or_skip
from gnruntime import fashion_mnist, sweep
from gnruntime.evaluation import Configuration, accuracy_curves, early_exit

DATA = Path(gnruntime.__file__).resolve().parent / "data"
MODELS = [DATA / "fashion-mnist-qcfs.gnrt", DATA / "fashion-mnist-qcfs-int8.gnrt"]
SAMPLES = 150
GRID = {"neurons": ["ann", "gn", "if"], "taus": [None, (2,)], "exits": ["none", "stable:2"], "max_steps": 4}


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    images, labels = fashion_mnist.load_subset()
    return images[:SAMPLES], labels[:SAMPLES]


@pytest.fixture(scope="module")
def in_process(data) -> sweep.SweepResult:
    return sweep.run(MODELS, *data, threads=2, shard_size=40, batch=20, per_sample=True, progress=False, **GRID)


def test_in_process_table_equals_eval_and_stats(data, in_process):
    images, labels = data
    rows = {(r["model"], r["neuron"], r["tau"], r["exit"], r["T"]): r for r in in_process.rows}
    # 2 models × (ANN + GN τ=L, τ=2 × 2 rules + IF × 2 rules), each 4 steps but the ANN's one.
    assert len(rows) == len(in_process.rows) == 2 * (1 + 6 * 4)
    for path in MODELS:
        with gnruntime.Model.load(path) as model:
            configurations = [Configuration("ann"), Configuration("gn"), Configuration("gn", 2), Configuration("if")]
            curves = accuracy_curves(model, images, labels, 4, configurations, batch=50, progress=False)
            for configuration, curve in zip(configurations, curves):
                tau = {"ann": "", "if": ""}.get(configuration.neuron, "L" if configuration.tau is None else "2")
                for steps in ([1] if configuration.neuron == "ann" else [1, 2, 3, 4]):
                    row = rows[(path.name, configuration.neuron, tau, "none", steps)]
                    assert row["accuracy"] == curve.at(steps)
                    assert row["mean_synaptic_operations"] == pytest.approx(curve.operations_at(steps), rel=1e-12)
                    assert row["energy_joules"] == pytest.approx(curve.energy_at(steps), rel=1e-12)
                    assert row["mean_steps"] == steps and row["samples"] == SAMPLES
            for configuration, tau in ((Configuration("gn", 2), "2"), (Configuration("if"), "")):
                (result,) = early_exit(model, images, labels, 4, configuration, stable=[2], batch=50, progress=False)
                row = rows[(path.name, configuration.neuron, tau, "stable:2", 4)]
                assert row["accuracy"] == result.accuracy
                assert row["mean_steps"] == pytest.approx(result.mean_steps, rel=1e-12)
                assert row["mean_synaptic_operations"] == pytest.approx(result.synaptic_operations, rel=1e-12)
    weights = {r["model"]: r["weights"] for r in in_process.rows}
    assert weights == {MODELS[0].name: "float32", MODELS[1].name: "int8"}
    # GN with τ = L at T = 1 is the ANN, in float32 and in int8.
    for path in MODELS:
        assert rows[(path.name, "gn", "L", "none", 1)]["accuracy"] == rows[(path.name, "ann", "", "none", 1)]["accuracy"]
    # Per sample: every sample once per configuration, with its prediction at every step.
    assert len(in_process.samples) == SAMPLES * 2 * 7
    assert all(len(sample["predictions"]) == 4 and 1 <= sample["stop_step"] <= 4 for sample in in_process.samples)


def test_results_do_not_depend_on_shards_threads_or_batch(data, in_process):
    other = sweep.run(MODELS, *data, threads=1, shard_size=150, batch=150, per_sample=True, progress=False, **GRID)
    assert other.rows == in_process.rows and other.samples == in_process.samples
    concurrent = sweep.run(MODELS, *data, workers=3, shard_size=15, batch=10, per_sample=True, progress=False, **GRID)
    assert concurrent.engine["workers"] == 3
    assert concurrent.rows == in_process.rows and concurrent.samples == in_process.samples


def test_bad_grids_are_refused(data):
    with pytest.raises(ValueError, match="exit rule"):
        sweep.parse_exit("margin:-1")
    with pytest.raises(ValueError, match="tau must be"):
        sweep.parse_tau("four")
    with pytest.raises(ValueError, match="neuron must be"):
        sweep.run(MODELS[:1], *data, neurons=["lif"], progress=False)
    with pytest.raises(ValueError, match="as many"):
        sweep.run(MODELS[:1], data[0], data[1][:3], progress=False)


def test_command_line_writes_parquet_and_json(tmp_path, data):
    ray_or_skip()  # pyarrow comes with it
    import pyarrow.parquet as pyarrow
    images, labels = data
    np.savez(tmp_path / "shard0.npz", images=images[:70], labels=labels[:70])
    np.save(tmp_path / "rest-images.npy", images[70:])
    np.save(tmp_path / "rest-labels.npy", labels[70:])
    table, samples = tmp_path / "sweep.parquet", tmp_path / "samples.parquet"
    completed = subprocess.run(
        [sys.executable, "-m", "gnruntime", "sweep", str(MODELS[0]), "--shards", str(tmp_path / "shard0.npz"),
         str(tmp_path / "rest-images.npy"), "--neuron", "gn", "if", "--tau", "L", "2", "--T", "4", "--exit", "none",
         "stable:2", "--output", str(table), "--per-sample", str(samples), "--json", "--plot", str(tmp_path / "s.png")],
        capture_output=True, text=True, check=True)
    printed = json.loads(completed.stdout)
    written = pyarrow.read_table(table).to_pylist()
    assert written == printed["rows"]
    expected = sweep.run(MODELS[:1], images, labels, neurons=["gn", "if"], taus=[None, (2,)],
                         exits=["none", "stable:2"], max_steps=4, progress=False)
    assert written == expected.rows
    assert pyarrow.read_table(samples).num_rows == SAMPLES * 6
    assert (tmp_path / "s.png").stat().st_size > 0


def _ray_sweep(data, **options) -> sweep.SweepResult:
    return sweep.run(MODELS, *data, engine="ray", shard_size=25, batch=25, per_sample=True, progress=False,
                     **GRID, **options)


def test_ray_with_two_actors_gives_the_in_process_table(data, in_process):
    ray = ray_or_skip()
    try:
        result = _ray_sweep(data, actors=2)
    finally:
        ray.shutdown()
    assert result.engine["engine"] == "ray" and result.engine["workers"] == 2
    assert result.rows == in_process.rows
    assert result.samples == in_process.samples


class _DiesOnce:
    """Mixed into the Ray worker: the first actor to reach the shard holding sample 75 exits the
    process (as a crashed or preempted node would), once, marked by a file."""
    marker: str = ""

    def __call__(self, shard):
        if 75 in np.asarray(shard["id"]) and not os.path.exists(self.marker):
            open(self.marker, "w").close()
            os._exit(1)
        return super().__call__(shard)


def test_ray_with_an_actor_killed_partway_gives_the_same_table(tmp_path, data, in_process):
    ray = ray_or_skip()
    import ray.cloudpickle
    from gnruntime._ray_worker import RayShardWorker
    worker = type("DyingWorker", (_DiesOnce, RayShardWorker), {"marker": str(tmp_path / "died")})
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    try:
        result = _ray_sweep(data, actors=2, _worker_class=worker)
    finally:
        ray.shutdown()
        ray.cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    assert (tmp_path / "died").exists(), "no actor died: the test did not test"
    assert result.rows == in_process.rows
    assert result.samples == in_process.samples


def test_two_node_cluster_on_loopback_gives_the_same_table(data, in_process):
    ray = ray_or_skip()
    from ray.cluster_utils import Cluster
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    try:
        cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
        result = _ray_sweep(data, actors=2, ray_address=cluster.address)
    finally:
        ray.shutdown()
        cluster.shutdown()
    assert result.engine["nodes"] == 2
    assert result.rows == in_process.rows
    assert result.samples == in_process.samples

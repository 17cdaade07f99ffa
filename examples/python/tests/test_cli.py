"""``python -m gnruntime``: the commands, their JSON output and their errors."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from conftest import random_model


def gnruntime_cli(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gnruntime", *arguments], capture_output=True, text=True)


def test_info(tmp_path) -> None:
    path = tmp_path / "m.gnrt"
    path.write_bytes(random_model(1))
    result = gnruntime_cli("info", str(path), "--json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["input_shape"] == [2, 8, 8] and info["neuron_layers"] == 5
    assert [layer["kind"] for layer in info["layers"]][:3] == ["conv2d", "affine", "qcfs"]
    text = gnruntime_cli("info", str(path))
    assert "L=8 lambda=1.5" in text.stdout


def test_run_npy(tmp_path) -> None:
    path = tmp_path / "m.gnrt"
    path.write_bytes(random_model(2))
    x = np.random.default_rng(0).random((3, 2, 8, 8), dtype=np.float32)
    np.save(tmp_path / "x.npy", x)
    result = gnruntime_cli("run", str(path), str(tmp_path / "x.npy"), "--neuron", "gn", "--tau", "2", "--T", "3", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert np.array(data["output"]).shape == (3, 5)
    assert np.array(data["predictions_per_step"]).shape == (3, 3)
    x.tofile(tmp_path / "x.f32")
    raw = gnruntime_cli("run", str(path), str(tmp_path / "x.f32"), "--neuron", "gn", "--tau", "2", "--T", "3", "--json")
    assert json.loads(raw.stdout) == data


def test_eval_on_the_shipped_subset(tmp_path) -> None:
    plot = tmp_path / "accuracy.png"
    result = gnruntime_cli("eval", "--subset", "--limit", "50", "--T", "1", "2", "--json", "--plot", str(plot))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["samples"] == 50 and data["steps"] == [1, 2]
    assert set(data["accuracy"]) == {"ANN", "GN(tau=L)", "GN(tau=2)", "IF"}
    # The exactness property on real images: GN with tau = L at T = 1 is the ANN.
    assert data["accuracy"]["GN(tau=L)"][0] == data["accuracy"]["ANN"][0]
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_stats_on_the_shipped_subset() -> None:
    result = gnruntime_cli("stats", "--subset", "--limit", "40", "--T", "4", "--exit-margin", "0.5",
                           "--exit-stable", "2", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["samples"] == 40 and data["configuration"] == "GN(tau=L)"
    layers = data["layers"]
    assert [layer["layer"] for layer in layers] == [1, 3, 6, 8]
    for layer in layers:
        assert 0 < layer["member_firing_rate"] <= 1
        assert layer["firing_rate"] == pytest.approx(layer["member_firing_rate"] * layer["members"])
    steps = data["steps"]
    assert [row["T"] for row in steps] == [1, 2, 4]
    # Operations grow with T; the totals over the layers are the T = 4 row's.
    assert steps[0]["synaptic_operations"] < steps[1]["synaptic_operations"] < steps[2]["synaptic_operations"]
    assert sum(layer["synaptic_operations"] for layer in layers) == pytest.approx(steps[2]["synaptic_operations"])
    assert steps[0]["accuracy"] == data["ann"]["accuracy"]          # GN(tau = L) at T = 1 is the ANN
    assert data["ann"]["energy"] == pytest.approx(data["ann"]["macs"] * 4.6e-12)
    assert steps[2]["energy"] == pytest.approx(data["analog_macs"] * 4.6e-12 + steps[2]["synaptic_operations"] * 0.9e-12)
    exits = data["early_exit"]
    assert [row["rule"] for row in exits] == ["margin > 0.5", "stable for 2"]
    assert all(1 <= row["mean_steps"] <= 4 for row in exits)
    assert exits[1]["mean_steps"] >= 2


def test_mse_on_the_shipped_subset() -> None:
    result = gnruntime_cli("mse", "--subset", "--limit", "20", "--T", "8", "--json")
    assert result.returncode == 0, result.stderr
    mse = json.loads(result.stdout)["mse"]
    gn, if_ = mse["GN(tau=2)"], mse["IF"]
    assert len(gn) == 4 and len(gn["1"]) == 8
    # Averaged over more steps, the SNN's outputs approach the ANN's activations.
    assert gn["1"][7] < gn["1"][0] and if_["1"][7] < if_["1"][0]


def test_errors_are_reported_not_raised(tmp_path) -> None:
    bad = tmp_path / "bad.gnrt"
    bad.write_bytes(b"GNRT" + bytes(100))
    result = gnruntime_cli("info", str(bad))
    assert result.returncode == 1 and result.stderr.startswith("gnruntime: bad model:")
    result = gnruntime_cli("eval", "--subset", "--tau", "0", "--neuron", "gn")
    assert result.returncode == 1 and "tau must be in 1...64" in result.stderr


def test_export_a_checkpoint(tmp_path) -> None:
    from conftest import torch_or_skip
    torch = torch_or_skip()
    from gnruntime.qcfs import QCFS
    module = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), QCFS(4, 1.0), torch.nn.Flatten(),
                                 torch.nn.Linear(4 * 6 * 6, 3))
    torch.save(module, tmp_path / "module.pt")
    result = gnruntime_cli("export", str(tmp_path / "module.pt"), str(tmp_path / "m.gnrt"), "--input-shape", "3,6,6",
                           "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["different_predictions"] == 0 and data["max_abs_difference"] < 1e-4
    info = json.loads(gnruntime_cli("info", str(tmp_path / "m.gnrt"), "--json").stdout)
    assert [layer["kind"] for layer in info["layers"]] == ["conv2d", "qcfs", "flatten", "linear"]
    assert [layer.get("weights") for layer in info["layers"]] == ["float32", None, None, "float32"]
    # With int8 weights every weighted layer but the first (which reads the analog input) is int8.
    result = gnruntime_cli("export", str(tmp_path / "module.pt"), str(tmp_path / "m8.gnrt"), "--input-shape", "3,6,6",
                           "--weights", "int8")
    assert result.returncode == 0, result.stderr
    info = json.loads(gnruntime_cli("info", str(tmp_path / "m8.gnrt"), "--json").stdout)
    assert [layer.get("weights") for layer in info["layers"]] == ["float32", None, None, "int8"]
    assert "weights int8" in gnruntime_cli("info", str(tmp_path / "m8.gnrt")).stdout

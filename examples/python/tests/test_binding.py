"""The ctypes binding: loading, sessions, array checks before the ABI, typed errors, lifetimes."""
from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import gnruntime


def test_model_from_bytes_and_path(model_bytes: bytes, tmp_path) -> None:
    path = tmp_path / "m.gnrt"
    path.write_bytes(model_bytes)
    with gnruntime.Model.load(model_bytes) as a, gnruntime.Model.load(path) as b, gnruntime.Model.load(str(path)) as c:
        assert a.input_shape == b.input_shape == c.input_shape == (2, 8, 8)
        assert a.output_shape == (5, 1, 1)
        assert a.neuron_layer_count == 5
        kinds = [layer.kind for layer in a.layers]
        assert kinds[:3] == ["conv2d", "affine", "qcfs"] and kinds[6] == "add" and kinds[-1] == "linear"
        assert a.layers[6].inputs == (3, 6)
        assert a.layers[4].levels == 8 and a.layers[4].threshold == pytest.approx(1.5)


def test_run_and_predictions(model_bytes: bytes) -> None:
    x = np.random.default_rng(0).random((3, 2, 8, 8), dtype=np.float32)
    with gnruntime.Model.load(model_bytes) as model, gnruntime.Session(model, "gn", tau=4, T=5, batch=4) as session:
        out = session.run(x)
        assert out.shape == (3, 5) and out.dtype == np.float32
        predictions = session.predictions()
        assert predictions.shape == (5, 3)
        assert (predictions[-1] == out.argmax(axis=1)).all()
        # One sample alone gives what it gave in the batch.
        np.testing.assert_array_equal(session.run(x[1:2]), out[1:2])
        assert session.predictions().shape == (5, 1)


def test_input_checks_happen_before_the_abi(model_bytes: bytes) -> None:
    x = np.zeros((2, 2, 8, 8), dtype=np.float32)
    with gnruntime.Model.load(model_bytes) as model, gnruntime.Session(model, batch=2) as session:
        with pytest.raises(TypeError, match="float32"):
            session.run(x.astype(np.float64))
        with pytest.raises(TypeError, match="numpy array"):
            session.run(x.tolist())  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="shape"):
            session.run(np.zeros((2, 2, 8, 7), dtype=np.float32))
        with pytest.raises(ValueError, match="1 ... 2"):
            session.run(np.zeros((3, 2, 8, 8), dtype=np.float32))
        with pytest.raises(ValueError, match="C-contiguous"):
            session.run(np.zeros((2, 2, 8, 16), dtype=np.float32)[:, :, :, ::2])
        with pytest.raises(gnruntime.NoResultError, match="has not run"):
            session.predictions()
        nan = x.copy()
        nan[1, 0, 3, 3] = np.nan
        with pytest.raises(gnruntime.InvalidInputError, match="NaN or infinity") as raised:
            session.run(nan)
        assert raised.value.status == 4 and isinstance(raised.value, ValueError)
        session.run(x)  # still usable


def test_option_errors_carry_the_runtime_message(model_bytes: bytes) -> None:
    with gnruntime.Model.load(model_bytes) as model:
        with pytest.raises(gnruntime.InvalidOptionError, match="tau must be in 1...64"):
            gnruntime.Session(model, tau=0)
        with pytest.raises(gnruntime.InvalidOptionError, match="tau must be in 1...64"):
            gnruntime.Session(model, tau=65)
        with pytest.raises(gnruntime.InvalidOptionError, match="time_steps must be at least 1"):
            gnruntime.Session(model, T=0)
        with pytest.raises(gnruntime.InvalidOptionError, match="layer_tau_count must equal"):
            gnruntime.Session(model, tau=[1, 2])
        with pytest.raises(gnruntime.InvalidOptionError, match="time_steps x batch"):
            gnruntime.Session(model, T=65536, batch=65536)
        with pytest.raises(ValueError, match="neuron"):
            gnruntime.Session(model, neuron="relu")
        with pytest.raises(gnruntime.InvalidOptionError, match="threads must be in 1...64"):
            gnruntime.Session(model, threads=0)


def test_bad_models(model_bytes: bytes, tmp_path) -> None:
    corrupted = bytearray(model_bytes)
    corrupted[200] ^= 0x01
    with pytest.raises(gnruntime.BadModelError, match="checksum"):
        gnruntime.Model.load(bytes(corrupted))
    with pytest.raises(gnruntime.BadModelError, match="shorter than the 64-byte header"):
        gnruntime.Model.load(model_bytes[:10])
    with pytest.raises(gnruntime.ModelIOError, match="cannot open") as raised:
        gnruntime.Model.load(tmp_path / "missing.gnrt")
    assert isinstance(raised.value, OSError)
    with pytest.raises(TypeError):
        gnruntime.Model.load(42)  # type: ignore[arg-type]


def test_maxpool_is_refused_in_spiking_sessions() -> None:
    from conftest import random_model
    with gnruntime.Model.load(random_model(2, maxpool=True)) as model:
        with pytest.raises(gnruntime.UnsupportedError, match=r"layer 8 \(maxpool2d\)"):
            gnruntime.Session(model, "gn")
        with gnruntime.Session(model, "ann") as session:
            session.run(np.zeros((1, 2, 8, 8), dtype=np.float32))


def test_threads_give_the_same_results(model_bytes: bytes) -> None:
    x = np.random.default_rng(5).random((8, 2, 8, 8), dtype=np.float32)
    with gnruntime.Model.load(model_bytes) as model:
        results = []
        for threads in (1, 2, 3):
            with gnruntime.Session(model, "gn", tau=3, T=4, batch=8, threads=threads) as session:
                results.append((session.run(x), session.predictions()))
    for output, predictions in results[1:]:
        np.testing.assert_array_equal(output, results[0][0])
        np.testing.assert_array_equal(predictions, results[0][1])


def test_schedules_give_the_same_results_and_report_their_memory(model_bytes: bytes) -> None:
    x = np.random.default_rng(6).random((4, 2, 8, 8), dtype=np.float32)
    with gnruntime.Model.load(model_bytes) as model:
        sessions = {schedule: gnruntime.Session(model, "gn", tau=3, T=8, batch=4, schedule=schedule)
                    for schedule in ("layer", "step", "lean")}
        results = {schedule: (session.run(x), session.predictions()) for schedule, session in sessions.items()}
        # Step by step keeps one step of activations; layer by layer keeps all eight; lean never takes
        # more than layer by layer.
        assert 0 < sessions["step"].arena_bytes < sessions["layer"].arena_bytes
        assert 0 < sessions["lean"].arena_bytes <= sessions["layer"].arena_bytes
        for session in sessions.values():
            session.close()
    for schedule in ("step", "lean"):
        np.testing.assert_array_equal(results[schedule][0], results["layer"][0])
        np.testing.assert_array_equal(results[schedule][1], results["layer"][1])


def test_lean_sessions_show_what_they_do_not_hold_as_floats_as_none() -> None:
    # The shipped int8 Fashion-MNIST network: lean computes its convolutions in bands (none is whole in
    # memory) and keeps its spike maps as bytes (none is held as floats).
    x = np.random.default_rng(7).random((2, 1, 28, 28), dtype=np.float32)
    path = Path(gnruntime.__file__).resolve().parent / "data" / "fashion-mnist-qcfs-int8.gnrt"
    with gnruntime.Model.load(path) as model:
        seen = {}
        for schedule in ("layer", "lean"):
            with gnruntime.Session(model, "gn", tau=4, T=4, batch=2, schedule=schedule) as session:
                outputs = {}
                session.set_observer(lambda layer, step, output: outputs.__setitem__(
                    (layer, step), None if output is None else output.copy()))
                session.run(x)
                seen[schedule] = outputs
        assert seen["lean"].keys() == seen["layer"].keys()
        unseen = {layer for (layer, _), output in seen["lean"].items() if output is None}
        kinds = [layer.kind for layer in model.layers]
        banded = {layer for layer in unseen if kinds[layer] == "conv2d"}
        assert banded and all(kinds[layer + 1] == "qcfs" for layer in banded)
        assert {kinds[layer] for layer in unseen - banded} == {"qcfs", "avgpool2d", "flatten"}
        for key, output in seen["lean"].items():
            if output is not None:
                np.testing.assert_array_equal(output, seen["layer"][key])


def test_lifetimes(model_bytes: bytes) -> None:
    model = gnruntime.Model.load(model_bytes)
    session = gnruntime.Session(model, "if", T=3)
    x = np.full((1, 2, 8, 8), 0.5, dtype=np.float32)
    before = session.run(x)
    model.close()   # the session keeps the model alive
    model.close()   # idempotent
    np.testing.assert_array_equal(session.run(x), before)
    with pytest.raises(ValueError, match="closed"):
        model.layers
    session.close()
    with pytest.raises(ValueError, match="closed"):
        session.run(x)


def test_observer_sees_layers_in_nchw(model_bytes: bytes) -> None:
    seen = []
    x = np.random.default_rng(1).random((2, 2, 8, 8), dtype=np.float32)
    with gnruntime.Model.load(model_bytes) as model, gnruntime.Session(model, "ann", batch=2) as session:
        session.set_observer(lambda layer, step, output: seen.append((layer, step, output.copy())))
        out = session.run(x)
        session.set_observer(None)
        session.run(x)
    assert [layer for layer, _, _ in seen] == list(range(15))
    assert seen[0][2].shape == (2, 6, 8, 8)
    np.testing.assert_array_equal(seen[-1][2].reshape(2, 5), out)
    # QCFS outputs are multiples of λ/L.
    qcfs = seen[2][2]
    np.testing.assert_allclose(qcfs * 4, np.round(qcfs * 4), atol=1e-6)


def test_observer_sees_the_input_first_when_asked(model_bytes: bytes) -> None:
    seen = []
    x = np.random.default_rng(2).random((2, 2, 8, 8), dtype=np.float32)
    with gnruntime.Model.load(model_bytes) as model, gnruntime.Session(model, "ann", batch=2) as session:
        session.set_observer(lambda layer, step, output: seen.append((layer, step, output.copy())), observe_input=True)
        out = session.run(x)
        with_input = list(seen)
        seen.clear()
        # Set again without it: the input is no longer shown, and results never change.
        session.set_observer(lambda layer, step, output: seen.append((layer, step, output.copy())))
        np.testing.assert_array_equal(session.run(x), out)
    assert [layer for layer, _, _ in with_input] == [-1] + list(range(15))
    assert [layer for layer, _, _ in seen] == list(range(15))
    # The input as the session holds it, shown (like every layer) as (samples, C, H, W).
    assert with_input[0][1] == 0
    np.testing.assert_array_equal(with_input[0][2], x)


def test_layer_times_as_the_session_runs(model_bytes: bytes) -> None:
    x = np.random.default_rng(3).random((2, 2, 8, 8), dtype=np.float32)
    with gnruntime.Model.load(model_bytes) as model, gnruntime.Session(model, "gn", T=4, batch=2) as session:
        out = session.run(x)
        session.time_layers()
        np.testing.assert_array_equal(session.run(x), out)   # timing changes no result
        times = session.layer_times()
        assert times.shape == (len(session.layer_kernels()),) and times.dtype == np.float64
        # Layer by layer at T = 4 no convolution computes its neuron layer; an add may be computed by the
        # neuron layer after it (0 here), every other layer that computes has a time of its own.
        kernels = [name for name, _ in session.layer_kernels()]
        assert all(t > 0 for t, name in zip(times, kernels) if name not in ("none", "add"))
        # With an observer every layer runs on its own, so each that computes has one.
        session.set_observer(lambda layer, step, output: None)
        np.testing.assert_array_equal(session.run(x), out)
        assert all(t > 0 for t, name in zip(session.layer_times(), kernels) if name != "none")
        session.set_observer(None)
        # One thread: the layers' times fit in the time of the run around them.
        start = time.perf_counter()
        session.run(x)
        assert session.layer_times().sum() <= time.perf_counter() - start
        session.time_layers(False)
        with pytest.raises(gnruntime.InvalidStateError):
            session.layer_times()


def test_library_found_through_the_environment(tmp_path) -> None:
    code = "import gnruntime; print(gnruntime.version())"
    env = dict(os.environ, GNRUNTIME_LIBRARY=str(gnruntime.library()._name))
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == gnruntime.version()
    env["GNRUNTIME_LIBRARY"] = str(tmp_path / "nothing.so")
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.returncode != 0 and "does not name a file" in result.stderr


def test_instruction_sets(model_bytes: bytes) -> None:
    from gnruntime.session import ISA_ORDER, ISAS
    lib = gnruntime.library()
    for name, value in ISAS.items():
        assert lib.gn_isa_name(value).decode() == name      # the binding's names are the library's
    assert sorted(ISA_ORDER) == sorted(name for name in ISAS if name != "auto")
    runnable = gnruntime.runnable_isas()
    assert runnable[0] == "baseline" and runnable[-1] == gnruntime.cpu_isa()
    x = np.random.default_rng(1).random((2, 2, 8, 8), dtype=np.float32)
    outputs = {}
    with gnruntime.Model.load(model_bytes) as model:
        for isa in runnable:
            with gnruntime.Session(model, "gn", tau=4, T=3, batch=2, isa=isa) as session:
                assert session.isa == isa
                assert {kernel_isa for name, kernel_isa in session.layer_kernels() if name != "none"} == {isa}
                outputs[isa] = session.run(x)
        with gnruntime.Session(model, "gn", tau=4, T=3, batch=2) as automatic:
            assert automatic.isa == gnruntime.cpu_isa()
    # The variants that fuse multiply-add agree bit for bit (the baseline rounds each product: the
    # Swift tests bound its kernels' difference and check it equal where sums are exact).
    fused = [isa for isa in runnable if isa != "baseline"]
    for isa in fused[1:]:
        np.testing.assert_array_equal(outputs[isa], outputs[fused[0]])


class _FakeFunction:
    """A C function of a fake library: returns what it is told, accepts restype and argtypes."""

    def __init__(self, result):
        self.result = result

    def __call__(self, *arguments):
        return self.result(*arguments) if callable(self.result) else self.result


class _FakeLibrary:
    """Stands for a libgnruntime of another version or other struct layouts."""

    def __init__(self, version: int, sizes: dict[int, int]):
        self.gn_version = _FakeFunction(version)
        self.gn_struct_size = _FakeFunction(lambda which: sizes.get(which, 0))


def _sizes() -> dict[int, int]:
    from gnruntime._library import _STRUCTS
    return {which: ctypes.sizeof(structure) for which, structure in _STRUCTS.items()}


def test_the_loaded_library_is_the_one_the_binding_declares():
    from gnruntime._library import API_VERSION
    assert gnruntime.version() == ".".join(map(str, API_VERSION))
    for which, size in _sizes().items():
        assert gnruntime.library().gn_struct_size(which) == size


def test_a_library_of_another_version_or_layout_is_refused_naming_both_versions():
    from gnruntime._library import API_VERSION, check_compatible
    mine = ".".join(map(str, API_VERSION))
    major, minor, patch = API_VERSION
    check_compatible(_FakeLibrary((major << 16) | ((minor + 1) << 8), _sizes()), "newer.so")  # a later minor: fine
    with pytest.raises(gnruntime.LibraryMismatchError, match=rf"older\.so is libgnruntime 0\.3\.0.*needs {mine}"):
        check_compatible(_FakeLibrary(3 << 8, _sizes()), "older.so")
    with pytest.raises(gnruntime.LibraryMismatchError, match=rf"libgnruntime {major + 1}\.0\.0.*needs {mine}"):
        check_compatible(_FakeLibrary((major + 1) << 16, _sizes()), "next.so")
    sizes = _sizes()
    sizes[3] += 8
    with pytest.raises(gnruntime.LibraryMismatchError, match=rf"SessionOptions of {sizes[3]} bytes.*declares {sizes[3] - 8}"):
        check_compatible(_FakeLibrary((major << 16) | (minor << 8) | patch, sizes), "other.so")

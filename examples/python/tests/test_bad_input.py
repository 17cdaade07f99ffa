"""The bad-input contract (docs/bad-input.md) through the Python binding, row by row: each test names
its row, and test_every_row_is_tested checks that the C test and this file cover every row."""
from __future__ import annotations

import ctypes
import re
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

import gnruntime
from conftest import random_model
from gnruntime.session import ISA_ORDER
from gnruntime._library import LayerInfo, NeuronLayerInfo, SessionOptions, Shape, check, default_options, library

DOC = Path(__file__).resolve().parents[3] / "docs" / "bad-input.md"
C_TEST = Path(__file__).resolve().parents[3] / "Tests" / "c" / "capi_test.c"


def fix_checksum(data: bytearray) -> bytes:
    data[12:16] = b"\0\0\0\0"
    struct.pack_into("<I", data, 12, zlib.crc32(bytes(data)) & 0xFFFFFFFF)
    return bytes(data)


@pytest.fixture
def model() -> gnruntime.Model:
    with gnruntime.Model.load(random_model(1)) as model:
        yield model


def expect(row: str, status: int, exception: type, words: str) -> None:
    """Checks that a raw call's status raises `exception` with `words` in its message."""
    try:
        check(status)
    except exception as error:
        assert words in error.message, f"{row}: {error.message}"
        return
    pytest.fail(f"{row}: the call succeeded")


def test_every_row_is_tested() -> None:
    rows = re.findall(r"^\| (B\d\d|P\d\d) \|", DOC.read_text(), flags=re.MULTILINE)
    assert len(rows) == len(set(rows)) >= 40
    this_file, c_test = Path(__file__).read_text(), C_TEST.read_text()
    for row in rows:
        assert f'"{row}"' in this_file or f"_{row.lower()}_" in this_file, f"{row} has no Python test"
        if row.startswith("B"):
            assert f'"{row}"' in c_test, f"{row} has no C test"


def test_b01_b03_files(tmp_path) -> None:
    with pytest.raises(gnruntime.ModelIOError, match="cannot open the model file"):
        gnruntime.Model.load(tmp_path / "missing.gnrt")                          # "B02"
    with pytest.raises(gnruntime.ModelIOError, match="not a regular file"):
        gnruntime.Model.load(tmp_path)                                            # "B03"
    with pytest.raises(TypeError):
        gnruntime.Model.load(None)  # type: ignore[arg-type]  # "B01": refused before the ABI


def test_b04_b05_null_bytes_and_out() -> None:
    # The binding never passes NULL: a missing buffer or out-parameter is a TypeError in Python.
    with pytest.raises(TypeError):
        gnruntime.Model.load(3.5)  # type: ignore[arg-type]  # "B04", "B05"


def test_b06_b11_bad_bytes() -> None:
    data = bytearray(random_model(1))
    with pytest.raises(gnruntime.BadModelError, match="shorter than the 64-byte header"):
        gnruntime.Model.load(bytes(data[:10]))                                    # "B06"
    with pytest.raises(gnruntime.BadModelError, match="magic is not GNRT"):
        gnruntime.Model.load(b"PNG!" + bytes(data[4:]))                           # "B07"
    with pytest.raises(gnruntime.BadModelError, match="file size field does not match"):
        gnruntime.Model.load(bytes(data[:-7]))                                    # "B08"
    changed = bytearray(data)
    changed[len(changed) // 2] ^= 0x40
    with pytest.raises(gnruntime.BadModelError, match="checksum mismatch") as raised:
        gnruntime.Model.load(bytes(changed))                                      # "B09"
    assert raised.value.status == 5
    future = bytearray(data)
    future[4] = 2
    with pytest.raises(gnruntime.UnsupportedError, match="major version is not supported"):
        gnruntime.Model.load(fix_checksum(future))                                # "B10"
    broken = bytearray(data)
    broken[64] = 17
    with pytest.raises(gnruntime.BadModelError, match="unknown layer kind"):
        gnruntime.Model.load(fix_checksum(broken))                                # "B11"


def test_b12_b13_flags_and_alignment() -> None:
    # The binding has no raw flags (verify_checksum is a bool, "B12") and always copies ("B13").
    with gnruntime.Model.load(random_model(1), verify_checksum=False) as model:
        assert model.input_shape == (2, 8, 8)


def test_b14_b25_options(model: gnruntime.Model) -> None:
    cases = [
        ({"T": 0}, "time_steps must be at least 1"),                              # "B16"
        ({"tau": 0}, "tau must be in 1...64"),                                    # "B17"
        ({"tau": 65}, "tau must be in 1...64"),                                   # "B17"
        ({"batch": 0}, "batch must be at least 1"),                               # "B18"
        ({"T": 65536, "batch": 65536}, "time_steps x batch exceeds"),             # "B19"
        ({"threads": 0}, "threads must be in 1...64"),                            # "B20"
        ({"threads": 65}, "threads must be in 1...64"),                           # "B20"
        ({"tau": [1, 2]}, "layer_tau_count must equal"),                          # "B24"
        ({"tau": [1, 2, 3, 4, 65]}, "layer_tau entries"),                         # "B25"
    ]
    for options, words in cases:
        with pytest.raises(gnruntime.InvalidOptionError, match=re.escape(words)):
            gnruntime.Session(model, **options)
    # "B14", "B15", "B21", "B22", "B23": the binding builds the options itself; what it cannot pass on
    # is refused in Python.
    with pytest.raises(ValueError, match="neuron"):
        gnruntime.Session(model, neuron="relu")
    with pytest.raises(ValueError, match="schedule"):
        gnruntime.Session(model, schedule="random")


def test_b26_maxpool() -> None:
    with gnruntime.Model.load(random_model(2, maxpool=True)) as model:
        for neuron in ("gn", "if"):
            with pytest.raises(gnruntime.UnsupportedError, match=r"\(maxpool2d\): max pooling has no spiking equivalent"):
                gnruntime.Session(model, neuron)                                  # "B26"


def test_b27_b30_memory(model: gnruntime.Model) -> None:
    # "B27", "B28", "B29": the binding lets the library allocate the arena.
    with pytest.raises(gnruntime.OutOfMemoryError, match="could not allocate memory") as raised:
        gnruntime.Session(model, T=1, batch=0x7FFFFFFF)                           # "B30"
    assert isinstance(raised.value, MemoryError)


def test_b31_b38_runs(model: gnruntime.Model) -> None:
    x = np.random.default_rng(0).random((2, 2, 8, 8), dtype=np.float32)
    with gnruntime.Session(model, "gn", tau=3, T=2, batch=2) as session:
        with pytest.raises(gnruntime.NoResultError, match="has not run yet"):
            session.predictions()                                                 # "B37"
        first = session.run(x)
        bad = x.copy()
        bad[1, 0, 2, 2] = np.inf
        with pytest.raises(gnruntime.InvalidInputError, match="NaN or infinity"):
            session.run(bad)                                                      # "B36"
        bad[1, 0, 2, 2] = np.nan
        with pytest.raises(gnruntime.InvalidInputError, match="NaN or infinity"):
            session.run(bad)                                                      # "B36"
        np.testing.assert_array_equal(session.run(x), first)   # still usable, same result
        # "B31"–"B35", "B38": the binding checks sizes and samples before the ABI (P03, P05) and sizes
        # the output and the predictions itself.
        assert session.predictions().shape == (2, 2)
    with pytest.raises(ValueError, match="closed"):
        session.run(x)                                                            # "B31" / "P07"


def test_b39_b40_queries(model: gnruntime.Model) -> None:
    layers = model.layers        # "B39": the binding asks for the layers that exist
    assert len(layers) == 15
    assert model.output_size == 5  # "B40": the binding passes its own out-parameters


def test_b41_b52_accounting_exits_and_streams(model: gnruntime.Model) -> None:
    with pytest.raises(gnruntime.InvalidOptionError, match="count_spikes needs a spiking session"):
        gnruntime.Session(model, "ann", count_spikes=True)                        # "B42"
    with pytest.raises(gnruntime.InvalidOptionError, match="exit_margin must be finite and at least 0"):
        gnruntime.Session(model, "gn", exit_margin=float("nan"))                  # "B44"
    with pytest.raises(gnruntime.InvalidOptionError, match="exit_margin must be finite and at least 0"):
        gnruntime.Session(model, "gn", exit_margin=-1.0)                          # "B44"
    with pytest.raises(gnruntime.InvalidOptionError, match="exit_steps must be at least 1"):
        gnruntime.Session(model, "gn", exit_stable=0)                             # "B45"
    x = np.zeros((1, 2, 8, 8), dtype=np.float32)
    with gnruntime.Session(model, "gn", T=2) as layered:
        layered.run(x)
        with pytest.raises(gnruntime.UnsupportedError, match="does not count spikes"):
            layered.spike_counts()                                                # "B49"
        with pytest.raises(gnruntime.InvalidStateError, match="no stream has begun"):
            layered.step(x)                                                       # "B46"
        with pytest.raises(gnruntime.InvalidStateError, match="streaming needs a session that runs step by step"):
            layered.begin_stream(1)                                               # "B47"
    with gnruntime.Session(model, "gn", T=2, schedule="step", count_spikes=True) as stream:
        stream.begin_stream(1)
        stream.step(x)
        stream.step(x)
        with pytest.raises(gnruntime.OutOfRangeError, match="the stream has taken the session's T steps"):
            stream.step(x)                                                        # "B48"
        assert stream.spike_counts().spikes.shape == (2, model.neuron_layer_count, 1)
        lib = library()
        spikes = (ctypes.c_uint64 * 64)()
        expect("B50", lib.gn_session_spike_counts(stream.handle, spikes, spikes, 3), gnruntime.SizeMismatchError,
               "counts must hold steps x neuron layers x samples values")
        info = NeuronLayerInfo()
        expect("B51", lib.gn_session_neuron_layer(stream.handle, model.neuron_layer_count, ctypes.byref(info)),
               gnruntime.OutOfRangeError, "past the last qcfs layer")
        steps = (ctypes.c_uint32 * 4)()
        expect("B52", lib.gn_session_sample_steps(stream.handle, steps, 2), gnruntime.SizeMismatchError,
               "steps must hold one value per sample")
    options = default_options()
    session = ctypes.c_void_p()
    options.count_spikes = 2
    expect("B41", lib.gn_session_create(model.handle, ctypes.byref(options), ctypes.byref(session)),
           gnruntime.InvalidOptionError, "count_spikes must be 0 or 1")
    options = default_options()
    options.exit_rule = 9
    expect("B43", lib.gn_session_create(model.handle, ctypes.byref(options), ctypes.byref(session)),
           gnruntime.InvalidOptionError, "exit_rule is not a gn_exit_rule")
    assert not session.value


def test_p01_p05_arrays(model: gnruntime.Model) -> None:
    x = np.zeros((2, 2, 8, 8), dtype=np.float32)
    with gnruntime.Session(model, batch=2) as session:
        with pytest.raises(TypeError, match="numpy array"):
            session.run(x.tolist())  # type: ignore[arg-type]                    # "P01"
        with pytest.raises(TypeError, match="float32"):
            session.run(x.astype(np.float64))                                     # "P02"
        with pytest.raises(ValueError, match="shape"):
            session.run(np.zeros((2, 2, 8), dtype=np.float32))                    # "P03"
        with pytest.raises(ValueError, match="C-contiguous"):
            session.run(np.zeros((2, 2, 8, 16), dtype=np.float32)[..., ::2])      # "P04"
        with pytest.raises(ValueError, match="1 ... 2"):
            session.run(np.zeros((3, 2, 8, 8), dtype=np.float32))                 # "P05"


def test_p06_p07_names_and_lifetimes(model: gnruntime.Model) -> None:
    with pytest.raises(ValueError, match="neuron must be one of"):
        gnruntime.Session(model, neuron="lif")                                    # "P06"
    with pytest.raises(ValueError, match="isa must be one of"):
        gnruntime.Session(model, isa="avx1024")                                   # "P06"
    with gnruntime.Session(model) as session:
        assert session.handle
    session.close()                                                               # idempotent
    with pytest.raises(ValueError, match="the session is closed"):
        session.run(np.zeros((1, *model.input_shape), dtype=np.float32))         # "P07"
    model.close()
    with pytest.raises(ValueError, match="the model is closed"):
        gnruntime.Session(model)                                                  # "P07"


def test_p08_model_from_anything_but_a_handle(model_bytes: bytes) -> None:
    for source in ("model.gnrt", model_bytes, 0, ctypes.c_void_p()):
        with pytest.raises(TypeError, match=r"Model\.load"):
            gnruntime.Model(source)  # type: ignore[arg-type]                    # "P08"


def test_b53_b56_instruction_sets(model: gnruntime.Model, monkeypatch: pytest.MonkeyPatch) -> None:
    lib = library()
    options = default_options()
    created = ctypes.c_void_p()
    options.isa = 7
    expect("B53", lib.gn_session_create(model.handle, ctypes.byref(options), ctypes.byref(created)),
           gnruntime.InvalidOptionError, "isa is not a gn_isa")
    assert not created.value
    runnable = gnruntime.runnable_isas()
    missing = [isa for isa in ISA_ORDER if isa not in runnable]
    if missing:
        with pytest.raises(gnruntime.UnsupportedError, match="no kernels of the requested instruction set"):
            gnruntime.Session(model, isa=missing[-1])                             # "B54"
    monkeypatch.setenv("GNRUNTIME_ISA", "avx1024")
    with pytest.raises(gnruntime.InvalidOptionError, match="GNRUNTIME_ISA must be baseline, avx2, avx2vnni, avx512 or avx512vnni"):
        gnruntime.Session(model)                                                  # "B55"
    monkeypatch.setenv("GNRUNTIME_ISA", "baseline")
    with gnruntime.Session(model) as forced:
        assert forced.isa == "baseline"
    monkeypatch.delenv("GNRUNTIME_ISA")
    with gnruntime.Session(model) as session:
        name = ctypes.c_char_p()
        isa = ctypes.c_int()
        expect("B56", lib.gn_session_layer_kernel(session.handle, len(model.layers), ctypes.byref(name), ctypes.byref(isa)),
               gnruntime.OutOfRangeError, "past the last layer")
        assert session.isa == gnruntime.cpu_isa()
        assert all(kernel_isa in (session.isa, "auto") for _, kernel_isa in session.layer_kernels())


def test_rows_the_binding_guards_through_its_ctypes_layer(model: gnruntime.Model) -> None:
    """The rows that the binding's own checks stop before the ABI, sent to the library anyway through
    the binding's ctypes declarations: the library must answer them itself."""

    lib = library()
    data = random_model(1)
    handle = ctypes.c_void_p()


    expect("B01", lib.gn_model_load_file(None, 0, ctypes.byref(handle)), gnruntime.GNRuntimeError, "path is NULL")
    expect("B04", lib.gn_model_load_bytes(None, 10, 0, ctypes.byref(handle)), gnruntime.GNRuntimeError, "bytes is NULL")
    expect("B05", lib.gn_model_load_bytes(data, len(data), 0, None), gnruntime.GNRuntimeError, "model_out is NULL")
    expect("B12", lib.gn_model_load_bytes(data, len(data), 0x80, ctypes.byref(handle)), gnruntime.InvalidOptionError,
           "unknown load flags")
    aligned = (ctypes.c_ubyte * (len(data) + 128))()
    start = (64 - ctypes.addressof(aligned) % 64) % 64 + 8
    ctypes.memmove(ctypes.addressof(aligned) + start, data, len(data))
    expect("B13", lib.gn_model_borrow_bytes(ctypes.addressof(aligned) + start, len(data), 0, ctypes.byref(handle)),
           gnruntime.GNRuntimeError, "64-byte aligned")
    options = default_options()
    session = ctypes.c_void_p()
    expect("B14", lib.gn_session_create(model.handle, None, ctypes.byref(session)), gnruntime.GNRuntimeError,
           "options is NULL")
    expect("B15", lib.gn_session_create(None, ctypes.byref(options), ctypes.byref(session)), gnruntime.GNRuntimeError,
           "model is NULL")
    bad = SessionOptions.from_buffer_copy(options)
    bad.size = 40
    expect("B63", lib.gn_session_create(model.handle, ctypes.byref(bad), ctypes.byref(session)),
           gnruntime.InvalidOptionError, "size is smaller than any gn_session_options")
    bad.size = 4097
    expect("B63", lib.gn_session_create(model.handle, ctypes.byref(bad), ctypes.byref(session)),
           gnruntime.InvalidOptionError, "size is larger than any gn_session_options")

    class NewerOptions(ctypes.Structure):
        """A newer header's struct: this library's fields, then one it does not know."""
        _fields_ = [("known", SessionOptions), ("later_field", ctypes.c_uint32), ("padding", ctypes.c_uint32)]

    newer = NewerOptions()
    check(lib.gn_session_options_init(ctypes.byref(newer.known), ctypes.sizeof(newer)))
    assert newer.known.size == ctypes.sizeof(newer) and newer.later_field == 0
    newer.later_field = 1
    expect("B64", lib.gn_session_create(model.handle, ctypes.byref(newer.known), ctypes.byref(session)),
           gnruntime.UnsupportedError, "set a field this library does not know")
    expect("B65", lib.gn_session_options_init(ctypes.byref(bad), 40), gnruntime.InvalidOptionError,
           "size is not that of a gn_session_options")
    expect("B65", lib.gn_session_options_init(None, ctypes.sizeof(bad)), gnruntime.GNRuntimeError,
           "options is NULL")
    bad = SessionOptions.from_buffer_copy(options)
    bad.neuron = 7
    expect("B21", lib.gn_session_create(model.handle, ctypes.byref(bad), ctypes.byref(session)),
           gnruntime.InvalidOptionError, "neuron is not a gn_neuron_kind")
    bad = SessionOptions.from_buffer_copy(options)
    bad.schedule = 9
    expect("B22", lib.gn_session_create(model.handle, ctypes.byref(bad), ctypes.byref(session)),
           gnruntime.InvalidOptionError, "schedule is not a gn_schedule")
    bad = SessionOptions.from_buffer_copy(options)
    bad.layer_tau_count = 3
    expect("B23", lib.gn_session_create(model.handle, ctypes.byref(bad), ctypes.byref(session)),
           gnruntime.GNRuntimeError, "layer_tau is NULL")
    needed = ctypes.c_size_t()
    check(lib.gn_session_arena_size(model.handle, ctypes.byref(options), ctypes.byref(needed)))
    arena = (ctypes.c_ubyte * (needed.value + 128))()
    base = ctypes.addressof(arena) + (64 - ctypes.addressof(arena) % 64) % 64
    create_in_arena = lib.gn_session_create_in_arena
    create_in_arena.restype = ctypes.c_int
    create_in_arena.argtypes = [ctypes.c_void_p, ctypes.POINTER(SessionOptions), ctypes.c_void_p, ctypes.c_size_t,
                                ctypes.POINTER(ctypes.c_void_p)]
    expect("B27", create_in_arena(model.handle, ctypes.byref(options), None, needed.value, ctypes.byref(session)),
           gnruntime.GNRuntimeError, "arena is NULL")
    expect("B28", create_in_arena(model.handle, ctypes.byref(options), base + 4, needed.value, ctypes.byref(session)),
           gnruntime.ArenaError, "arena must be 64-byte aligned")
    expect("B29", create_in_arena(model.handle, ctypes.byref(options), base, needed.value - 1, ctypes.byref(session)),
           gnruntime.ArenaError, "arena is smaller than the session needs")
    check(create_in_arena(model.handle, ctypes.byref(options), base, needed.value, ctypes.byref(session)))
    try:
        floats = ctypes.POINTER(ctypes.c_float)
        x = np.zeros((1, 2, 8, 8), dtype=np.float32)
        out = np.zeros((1, 5), dtype=np.float32)
        px, po = x.ctypes.data_as(floats), out.ctypes.data_as(floats)
        expect("B31", lib.gn_session_run(None, px, x.size, 1, po, out.size), gnruntime.GNRuntimeError, "session is NULL")
        expect("B32", lib.gn_session_run(session, None, x.size, 1, po, out.size), gnruntime.GNRuntimeError, "input is NULL")
        expect("B33", lib.gn_session_run(session, px, x.size - 1, 1, po, out.size), gnruntime.SizeMismatchError,
               "input has the wrong number of floats")
        expect("B34", lib.gn_session_run(session, px, x.size, 1, po, out.size + 1), gnruntime.SizeMismatchError,
               "output has the wrong number of floats")
        expect("B35", lib.gn_session_run(session, px, x.size, 2, po, out.size), gnruntime.SizeMismatchError,
               "sample count must be in 1...batch")
        check(lib.gn_session_run(session, px, x.size, 1, po, out.size))
        predictions = (ctypes.c_int32 * 8)()
        expect("B38", lib.gn_session_predictions(session, predictions, 3), gnruntime.SizeMismatchError,
               "predictions must hold steps x samples values")
        info = LayerInfo()
        expect("B39", lib.gn_model_layer(model.handle, 15, ctypes.byref(info)), gnruntime.OutOfRangeError,
               "past the last layer")
        weight_type = ctypes.c_int()
        expect("B39", lib.gn_model_layer_weights(model.handle, 15, ctypes.byref(weight_type)), gnruntime.OutOfRangeError,
               "past the last layer")
        expect("B40", lib.gn_model_layer_weights(model.handle, 0, None), gnruntime.GNRuntimeError, "type_out is NULL")
        expect("B40", lib.gn_model_input_shape(model.handle, None), gnruntime.GNRuntimeError, "shape_out is NULL")
        shape = Shape()
        check(lib.gn_model_output_shape(model.handle, ctypes.byref(shape)))
        assert (shape.channels, shape.height, shape.width) == (5, 1, 1)
    finally:
        lib.gn_session_free(session)


def int8_model() -> bytes:
    """Layer 0 conv2d (float32, reads the input), 1 qcfs, 2 avgpool 2x2, 3 conv2d with int8 weights,
    4 qcfs, 5 global average pool, 6 linear with int8 weights."""
    from gnruntime import writer as w
    rng = np.random.default_rng(8)
    return w.encode((3, 8, 8), [
        w.Conv2d(rng.normal(0, 0.3, (16, 3, 3, 3)), rng.normal(0, 0.1, 16), padding=1),
        w.QCFS(levels=4, threshold=1.0),
        w.AvgPool2d(2),
        w.Conv2d(rng.normal(0, 0.1, (16, 16, 3, 3)), rng.normal(0, 0.1, 16), padding=1),
        w.QCFS(levels=4, threshold=1.0),
        w.GlobalAvgPool(),
        w.Linear(rng.normal(0, 0.2, (10, 16)), rng.normal(0, 0.1, 10)),
    ], weights="int8")


def record(index: int) -> int:
    return 64 + 64 * index


def test_b57_b60_int8_models() -> None:
    data = int8_model()
    scales = struct.unpack_from("<Q", data, record(3) + 56)[0]
    for value, row, exception, words in [
            (0.0, "B57", gnruntime.BadModelError, "int8 weight scale must be positive"),
            (-1.0, "B57", gnruntime.BadModelError, "int8 weight scale must be positive"),
            (float("nan"), "B58", gnruntime.BadModelError, "blob holds NaN or infinity"),
            (float("inf"), "B58", gnruntime.BadModelError, "blob holds NaN or infinity")]:
        changed = bytearray(data)
        struct.pack_into("<f", changed, scales, value)
        with pytest.raises(exception, match=re.escape(words)):
            gnruntime.Model.load(fix_checksum(changed))                        # "B57", "B58"
    changed = bytearray(data)
    struct.pack_into("<Q", changed, record(3) + 48, (len(data) - 1) // 64 * 64)
    with pytest.raises(gnruntime.BadModelError, match="lies outside the file"):
        gnruntime.Model.load(fix_checksum(changed))                            # "B59"
    changed = bytearray(data)
    struct.pack_into("<H", changed, record(0) + 2, 3)
    with pytest.raises(gnruntime.BadModelError, match="int8 weights on a layer whose input is not integer-valued"):
        gnruntime.Model.load(fix_checksum(changed))                            # "B60"


def test_b66_group_neuron_unit_below_the_normal_floats() -> None:
    changed = bytearray(int8_model())
    struct.pack_into("<f", changed, record(1) + 40, 1e-37)  # lambda of the qcfs layer
    with gnruntime.Model.load(fix_checksum(changed)) as model:
        with gnruntime.Session(model, "gn", tau=1, T=2) as session:          # lambda / 1 is normal
            assert session.run(np.zeros((1, 3, 8, 8), np.float32)).shape == (1, 10)
        with pytest.raises(gnruntime.UnsupportedError, match="below the smallest normal float"):
            gnruntime.Session(model, "gn", tau=64, T=2)                        # "B66"


def test_b67_observe_input_other_than_0_or_1(model: gnruntime.Model) -> None:
    """The binding passes a bool; the library checks the raw value itself."""
    with gnruntime.Session(model, "ann") as session:
        expect("B67", library().gn_session_observe_input(session.handle, 2), gnruntime.InvalidOptionError,
               "observe must be 0 or 1")
        assert session.run(np.zeros((1, 2, 8, 8), np.float32)).shape == (1, 5)   # still usable


def test_b68_to_b71_layer_times(model: gnruntime.Model) -> None:
    with gnruntime.Session(model, "ann") as session:
        expect("B68", library().gn_session_time_layers(session.handle, 2), gnruntime.InvalidOptionError,
               "time must be 0 or 1")
        with pytest.raises(gnruntime.InvalidStateError, match="does not time its layers"):
            session.layer_times()                                               # "B70"
        session.time_layers()
        with pytest.raises(gnruntime.NoResultError, match="no run or stream has started"):
            session.layer_times()                                               # "B71"
        session.run(np.zeros((1, 2, 8, 8), np.float32))
        nanoseconds = ctypes.c_uint64(7)
        expect("B69", library().gn_session_layer_time(session.handle, len(session.layer_kernels()), ctypes.byref(nanoseconds)),
               gnruntime.OutOfRangeError, "past the last layer")
        assert nanoseconds.value == 7                                           # nothing written
        assert session.layer_times()[0] > 0                                     # still usable


def test_b61_b62_int8_sessions() -> None:
    changed = bytearray(int8_model())
    struct.pack_into("<I", changed, record(1) + 36, 65535)   # L = 65535 before the 2x2 pool
    with gnruntime.Model.load(fix_checksum(changed)) as model:
        with pytest.raises(gnruntime.UnsupportedError, match="sums could overflow int32"):
            gnruntime.Session(model, "ann")                                    # "B61"
        with gnruntime.Session(model, "gn", tau=8, T=2) as session:           # tau = 8: it fits
            assert session.run(np.zeros((1, 3, 8, 8), np.float32)).shape == (1, 10)
    struct.pack_into("<6H", changed, record(2) + 24, 4, 4, 2, 2, 1, 1)   # a 4x4 pool, the same shape
    with gnruntime.Model.load(fix_checksum(changed)) as model:
        with pytest.raises(gnruntime.UnsupportedError, match="to carry exactly"):
            gnruntime.Session(model, "ann")                                    # "B62"

"""int8 weights (format 1.1) through the binding: bit for bit the numpy reference's integer
semantics, GN with tau = L at T = 1 equal to the int8 ANN, the exporter's int8 files, and the
overflow the planner refuses."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import gnruntime
from gnruntime import writer as w
from gnruntime.export import from_arrays


def integer_network(seed: int, *, dyadic: bool = False, levels: int = 4) -> list[w.LayerSpec]:
    """A residual network whose every layer but the int8 ones is exact float32 arithmetic that the
    reference and the runtime do alike: the input goes straight into a QCFS layer, so every conv2d
    and linear layer reads integers and has int8 weights. `dyadic`: scales, thresholds and biases are
    powers of two or small multiples of them, so every float operation is exact."""
    rng = np.random.default_rng(seed)

    def integers(*shape: int) -> np.ndarray:
        return rng.integers(-127, 128, shape).astype(np.int8)

    def scales(channels: int, fan_in: int) -> np.ndarray:
        if dyadic:
            return (2.0 ** rng.integers(-10, -7, channels)).astype(np.float32)
        return (rng.uniform(0.5, 1.5, channels) / (127 * np.sqrt(fan_in)) * 3).astype(np.float32)

    def bias(channels: int) -> np.ndarray:
        if dyadic:
            return (rng.integers(-8, 9, channels) / 64).astype(np.float32)
        return rng.uniform(-0.2, 0.2, channels).astype(np.float32)

    threshold = 1.0 if dyadic else 1.3
    return [
        w.QCFS(levels=levels, threshold=threshold, name="input_levels"),
        w.Conv2d(integers(8, 3, 3, 3), bias(8), padding=1, weight_scale=scales(8, 27)),
        w.QCFS(levels=levels, threshold=threshold, name="stem"),
        w.Conv2d(integers(8, 8, 3, 3), None, padding=1, weight_scale=scales(8, 72)),
        w.QCFS(levels=levels, threshold=threshold),
        w.Conv2d(integers(8, 8, 3, 3), bias(8), padding=1, weight_scale=scales(8, 72)),
        w.Add(inputs=["stem", 5]),
        w.QCFS(levels=levels, threshold=threshold),
        w.AvgPool2d(2),
        w.Conv2d(integers(16, 8, 1, 1), bias(16), stride=2, weight_scale=scales(16, 8)),
        w.QCFS(levels=levels, threshold=threshold),
        w.Flatten(),
        w.Linear(integers(12, 64), bias(12), weight_scale=scales(12, 64)),
        w.QCFS(levels=levels, threshold=threshold),
        w.Linear(integers(5, 12), bias(5), weight_scale=scales(5, 12)),
    ]


INPUT_SHAPE = (3, 8, 8)


def inputs(seed: int, count: int = 4, dyadic: bool = False) -> np.ndarray:
    rng = np.random.default_rng(seed + 100)
    x = rng.random((count, *INPUT_SHAPE), dtype=np.float32) * 1.5
    return (np.round(x * 64) / 64).astype(np.float32) if dyadic else x


def run(data: bytes, x: np.ndarray, neuron: str, tau: int, steps: int, **options) -> tuple[np.ndarray, np.ndarray]:
    with gnruntime.Model.load(data) as model, \
            gnruntime.Session(model, neuron, tau=tau, T=steps, batch=len(x), **options) as session:
        return session.run(x), session.predictions()


def test_writer_marks_int8_files_as_format_1_1() -> None:
    data = w.encode(INPUT_SHAPE, integer_network(1))
    assert data[4:8] == bytes([1, 0, 1, 0])          # major 1, minor 1
    with gnruntime.Model.load(data) as model:
        assert len(model.layers) == 15


@pytest.mark.parametrize("seed", [1, 2])
# τ = 64: the pooled counts reach 256, past a byte, so the layer after the pooling takes 16-bit words.
@pytest.mark.parametrize("neuron, tau, steps", [("ann", 4, 1), ("gn", 4, 1), ("gn", 2, 6), ("gn", 8, 3), ("gn", 64, 2),
                                                ("if", 4, 8)])
@pytest.mark.parametrize("schedule", ["layer", "step"])
@pytest.mark.parametrize("threads", [1, 2])
def test_int8_equals_the_reference_bit_for_bit(reference, seed: int, neuron: str, tau: int, steps: int,
                                               schedule: str, threads: int) -> None:
    data = w.encode(INPUT_SHAPE, integer_network(seed))
    x = inputs(seed)
    expected = reference.run(reference.load_model(data), x, neuron, tau, steps)
    output, predictions = run(data, x, neuron, tau, steps, schedule=schedule, threads=threads)
    np.testing.assert_array_equal(output, expected.output.reshape(len(x), -1))
    np.testing.assert_array_equal(predictions, expected.predictions)
    assert np.abs(output).max() > 0


def test_every_instruction_set_gives_the_same_int8_bits() -> None:
    data = w.encode(INPUT_SHAPE, integer_network(3))
    x = inputs(3)
    for tau in (4, 64):
        widest, _ = run(data, x, "gn", tau, 4)
        for isa in gnruntime.runnable_isas():
            narrower, _ = run(data, x, "gn", tau, 4, isa=isa)
            np.testing.assert_array_equal(narrower, widest, err_msg=f"{isa}, tau {tau}")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_gn_with_tau_equal_to_levels_at_one_step_is_the_int8_ann(seed: int) -> None:
    data = w.encode(INPUT_SHAPE, integer_network(seed, dyadic=True, levels=8))
    x = inputs(seed, dyadic=True)
    ann, ann_predictions = run(data, x, "ann", 8, 1)
    gn, gn_predictions = run(data, x, "gn", 8, 1)
    np.testing.assert_array_equal(gn, ann)
    np.testing.assert_array_equal(gn_predictions, ann_predictions)
    assert len(np.unique(ann)) > 4


def float_network(seed: int) -> list[w.LayerSpec]:
    """A float32 network of the Fashion-MNIST shape for the exporter's int8 option."""
    rng = np.random.default_rng(seed)
    return [
        w.Conv2d(rng.normal(0, 0.3, (16, 1, 3, 3)), rng.normal(0, 0.1, 16), padding=1),
        w.QCFS(levels=4, threshold=1.0),
        w.AvgPool2d(2),
        w.Conv2d(rng.normal(0, 0.1, (32, 16, 3, 3)), rng.normal(0, 0.1, 32), padding=1),
        w.QCFS(levels=4, threshold=1.0),
        w.AvgPool2d(2),
        w.Flatten(),
        w.Linear(rng.normal(0, 0.05, (64, 32 * 7 * 7)), rng.normal(0, 0.1, 64)),
        w.QCFS(levels=4, threshold=1.0),
        w.Linear(rng.normal(0, 0.2, (10, 64)), rng.normal(0, 0.1, 10)),
    ]


def test_exporter_int8_keeps_the_first_layer_float_and_shrinks_the_file(reference) -> None:
    layers = float_network(4)
    float_file = from_arrays((1, 28, 28), layers)
    int8_file = from_arrays((1, 28, 28), layers, weights="int8")
    assert len(int8_file) <= 0.3 * len(float_file)
    parsed = reference.load_model(int8_file)
    assert [layer.int8 for layer in parsed.layers if layer.kind in (reference.Kind.CONV2D, reference.Kind.LINEAR)] \
        == [False, True, True, True]
    # The runtime reports the same of each layer (gn_model_layer_weights).
    with gnruntime.Model.load(int8_file) as model:
        assert [layer.weights for layer in model.layers] == \
            [{True: "int8", False: "float32"}[layer.int8] if layer.kind in (reference.Kind.CONV2D, reference.Kind.LINEAR)
             else None for layer in parsed.layers]
    with gnruntime.Model.load(float_file) as model:
        assert {layer.weights for layer in model.layers} == {"float32", None}
    # Per-channel max-abs: each channel's largest integer is 127, and integer x scale is the weight
    # to within half a scale step.
    second = parsed.layers[3]
    assert np.all(np.abs(second.weights).reshape(-1, 32).max(axis=0) == 127)
    original = np.asarray(layers[3].weight).transpose(2, 3, 1, 0)
    assert np.all(np.abs(second.weights * second.weight_scale - original) <= second.weight_scale / 2 + 1e-7)
    # It agrees with a float32 file of the dequantised weights (integer x scale) up to the rounding of
    # float sums, which a QCFS boundary can amplify: most predictions agree.
    dequantised = [layers[0]]
    for spec in layers[1:]:
        if isinstance(spec, (w.Conv2d, w.Linear)):
            integers, scale = w.quantize_per_channel(spec.weight)
            weight = integers * scale.astype(np.float64).reshape((-1,) + (1,) * (integers.ndim - 1))
            spec = replace(spec, weight=weight)
        dequantised.append(spec)
    x = np.random.default_rng(4).random((64, 1, 28, 28), dtype=np.float32)
    _, int8_predictions = run(int8_file, x, "ann", 4, 1)
    _, float_predictions = run(from_arrays((1, 28, 28), dequantised), x, "ann", 4, 1)
    assert np.mean(int8_predictions == float_predictions) >= 0.9


def test_writer_refuses_int8_weights_on_the_analog_input() -> None:
    with pytest.raises(ValueError, match="int8 weights need an input that holds integers"):
        w.encode((1, 4, 4), [w.Conv2d(np.ones((2, 1, 3, 3), np.int8), None, padding=1, weight_scale=np.ones(2))])


def overflowing_network(levels: int) -> list[w.LayerSpec]:
    """A linear layer of fan-in 4096 over QCFS levels up to `levels`: its int32 sums can overflow
    when 4096 x 128 x levels > 2^31 - 1, that is from levels = 4096 = 2^12 on."""
    return [w.QCFS(levels=levels, threshold=1.0), w.Flatten(),
            w.Linear(np.full((2, 4096), 127, np.int8), None, weight_scale=np.full(2, 1e-3, np.float32))]


def test_overflow_is_refused_when_the_session_is_planned(reference) -> None:
    x = np.random.default_rng(5).random((1, 1, 64, 64), dtype=np.float32)
    fits = w.encode((1, 64, 64), overflowing_network(4095))
    output, _ = run(fits, x, "ann", 4, 1)
    np.testing.assert_array_equal(output, reference.run(reference.load_model(fits), x, "ann").output.reshape(1, -1))
    overflows = w.encode((1, 64, 64), overflowing_network(4096))
    with gnruntime.Model.load(overflows) as model:
        with pytest.raises(gnruntime.UnsupportedError, match="could overflow int32"):
            gnruntime.Session(model, "ann")
        # A spiking session of small tau reads integers up to tau only: it fits.
        with gnruntime.Session(model, "gn", tau=8, T=2) as session:
            assert np.all(np.isfinite(session.run(x)))
    with pytest.raises(ValueError, match="overflow int32"):
        reference.run(reference.load_model(overflows), x, "ann")

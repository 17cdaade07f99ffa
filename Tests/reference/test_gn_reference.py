"""Checks of the numpy reference (gn_reference.py) against hand-worked cases.

Run with:  python3 -m pytest Tests/reference -q
"""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import gn_reference as ref  # noqa: E402
from model_writer import ADD, LINEAR, ModelWriter, Record, fix_checksum  # noqa: E402

F32 = np.float32


def nchw(values, c: int, h: int, w: int, batch: int = 1) -> np.ndarray:
    return np.asarray(values, dtype=F32).reshape(batch, c, h, w)


def single_qcfs_model(c: int, levels: int, lam: float) -> ref.Model:
    w = ModelWriter(c, 1, 1)
    w.qcfs(levels, lam)
    return ref.load_model(w.to_bytes())


# ---------------------------------------------------------------------------
# Group Neuron by hand
# ---------------------------------------------------------------------------


def test_gn_sequence_by_hand():
    # GN(tau=2, lambda=1): u = 0.5, thresholds 0.5 and 1.0, v starts at 0.25.
    # Channel 0, constant input 0.3:
    #   t=1: v = 0.25+0.3 = 0.55 -> s=1 (0.55 >= 0.5, < 1.0) -> v = 0.05, out 0.5
    #   t=2: v = 0.35            -> s=0                      -> v = 0.35, out 0
    #   t=3: v = 0.65            -> s=1                      -> v = 0.15, out 0.5
    #   t=4: v = 0.45            -> s=0                      -> v = 0.45, out 0
    #   spikes per step 1,0,1,0 (cumulative 1,1,2,2); mean output 1.0/4 = 0.25
    # Channel 1, constant input 0.6:
    #   t=1: v = 0.85 -> s=1 -> v = 0.35, out 0.5
    #   t=2: v = 0.95 -> s=1 -> v = 0.45, out 0.5
    #   t=3: v = 1.05 -> s=2 -> v = 0.05, out 1.0
    #   t=4: v = 0.65 -> s=1 -> v = 0.15, out 0.5
    #   spikes per step 1,1,2,1 (cumulative 1,2,4,5); mean output 2.5/4 = 0.625
    # Running sums (ch0, ch1): (0.5,0.5) (0.5,1.0) (1.0,2.0) (1.0,2.5)
    #   -> predictions 0 (tie: first index), 1, 1, 1
    model = single_qcfs_model(2, levels=2, lam=1.0)
    x = nchw([0.3, 0.6], 2, 1, 1)

    neuron = ref.GroupNeuron((2,), tau=2, lam=F32(1.0))
    per_step = [neuron.step(x.reshape(2)).tolist() for _ in range(4)]
    assert per_step == [[0.5, 0.5], [0.0, 0.5], [0.5, 1.0], [0.0, 0.5]]
    np.testing.assert_allclose(neuron.v, [0.45, 0.15], rtol=1e-6)

    for T, cumulative in zip(range(1, 5), [(1, 1), (1, 2), (2, 4), (2, 5)]):
        r = ref.run(model, x, "gn", tau=2, T=T)
        assert r.spike_counts[0].reshape(-1).tolist() == list(cumulative)

    r = ref.run(model, x, "gn", tau=2, T=4)
    assert r.output.reshape(-1).tolist() == [0.25, 0.625]
    assert r.predictions.reshape(-1).tolist() == [0, 1, 1, 1]
    assert r.predictions.shape == (4, 1)
    # GN(2) over 4 steps with a constant input = QCFS with 8 levels:
    #   0.3*8+0.5 = 2.9 -> 2 -> 0.25;  0.6*8+0.5 = 5.3 -> 5 -> 0.625
    big = single_qcfs_model(2, levels=8, lam=1.0)
    assert ref.run(big, x, "ann").output.reshape(-1).tolist() == [0.25, 0.625]


def test_gn_exact_threshold_simple():
    # GN(tau=4, lambda=1): u = 0.25, thresholds 0.25, 0.5, 0.75, 1.0, v0 = 0.125.
    # Input 0.375: t=1 v = 0.5 exactly = theta_2 -> s = 2 (>= counts), v = 0, out 0.5
    #              t=2 v = 0.375 -> s = 1, v = 0.125, out 0.25
    #              t=3 v = 0.5 again -> s = 2.
    # Input 0.875: v = 1.0 = theta_4 -> s = 4 (all members), v = 0.
    n = ref.GroupNeuron((2,), tau=4, lam=F32(1.0))
    x = np.array([0.375, 0.875], dtype=F32)
    assert n.step(x).tolist() == [0.5, 1.0]
    assert n.v.tolist() == [0.0, 0.0]
    assert n.step(x).tolist() == [0.25, 0.75]   # ch1: v = 0.875 -> s = 3, v = 0.125
    assert n.step(x).tolist() == [0.5, 1.0]     # ch0: 0.5 again; ch1: 1.0 again
    assert n.total_spikes.tolist() == [5, 11]


def test_gn_member_comparison_differs_from_float_floor():
    # GN(tau=7, lambda=1): u = float32(1/7) = 0.142857149243... (just above 1/7),
    # theta_7 = float32(7*u) = float32(1.00000004470348) = 1.0.
    # Choose x with v0 + x == 1.0 exactly; then member comparison says all 7 members
    # fire (1.0 >= theta_7 = 1.0), whereas float32 floor(v/u) = floor(6.9999995) = 6.
    # The documented definition is the member comparison: s = 7, output 7*u = 1.0.
    u = F32(F32(1.0) / F32(7))
    theta7 = F32(F32(7) * u)
    assert theta7 == F32(1.0)
    v0 = F32(F32(0.5) * u)
    x = F32(F32(1.0) - v0)
    assert F32(v0 + x) == F32(1.0)                   # premise: v lands on theta_7
    assert int(np.floor(F32(F32(1.0) / u))) == 6     # premise: float32 floor differs
    n = ref.GroupNeuron((1,), tau=7, lam=F32(1.0))
    out = n.step(np.array([x], dtype=F32))
    assert n.total_spikes.tolist() == [7]
    assert out.tolist() == [1.0]
    assert n.v.tolist() == [0.0]
    # the same through a model
    model = single_qcfs_model(1, levels=7, lam=1.0)
    r = ref.run(model, nchw([x], 1, 1, 1), "gn", tau=7, T=1)
    assert r.spike_counts[0].reshape(-1).tolist() == [7]


def test_gn_threshold_values_are_float32_k_times_u():
    n = ref.GroupNeuron((1,), tau=13, lam=F32(0.7))
    u = F32(F32(0.7) / F32(13))
    assert n.u == u
    assert [float(t) for t in n.thresholds] == [float(F32(F32(k) * u)) for k in range(1, 14)]
    assert n.v.tolist() == [float(F32(F32(0.5) * u))]


def test_per_layer_tau_override():
    # Two qcfs layers; override tau of the second only (0 = default).
    w = ModelWriter(1, 1, 1)
    w.qcfs(4, 1.0)
    w.qcfs(4, 1.0)
    model = ref.load_model(w.to_bytes())
    x = nchw([0.6], 1, 1, 1)
    # layer 1, tau=2: u=0.5, v = 0.25+0.6 = 0.85 -> s=1 -> out 0.5
    # layer 2, tau=4: u=0.25, v = 0.125+0.5 = 0.625 -> s=2 -> out 0.5
    r = ref.run(model, x, "gn", tau=2, T=1, layer_tau=[0, 4])
    assert [c.reshape(-1).tolist() for c in r.spike_counts] == [[1], [2]]
    # layer 2 with default tau=2: v = 0.25+0.5 = 0.75 -> s=1
    r = ref.run(model, x, "gn", tau=2, T=1)
    assert [c.reshape(-1).tolist() for c in r.spike_counts] == [[1], [1]]
    with pytest.raises(ValueError, match="layer tau"):
        ref.run(model, x, "gn", tau=2, T=1, layer_tau=[0])
    with pytest.raises(ValueError, match="outside"):
        ref.run(model, x, "gn", tau=65, T=1)


# ---------------------------------------------------------------------------
# IF and QCFS by hand
# ---------------------------------------------------------------------------


def test_if_by_hand():
    # IF(lambda=1): v starts at 0.5.
    # input 0.3: v 0.8 (0) ; 1.1 -> spike, 0.1 ; 0.4 (0) ; 0.7 (0)      -> 1 spike, mean 0.25
    # input 0.6: v 1.1 -> spike, 0.1 ; 0.7 (0) ; 1.3 -> spike, 0.3 ; 0.9 -> 2 spikes, mean 0.5
    # input 0.5: v 1.0 = lambda exactly -> spike, 0 ; 0.5 ; 1.0 -> spike ; 0.5 -> 2 spikes
    # running sums: t1 (0,1,1) -> 1 ; t2 (1,1,1) -> 0 ; t3 (1,2,2) -> 1 ; t4 (1,2,2) -> 1
    model = single_qcfs_model(3, levels=16, lam=1.0)
    r = ref.run(model, nchw([0.3, 0.6, 0.5], 3, 1, 1), "if", tau=None, T=4)
    assert r.spike_counts[0].reshape(-1).tolist() == [1, 2, 2]
    assert r.output.reshape(-1).tolist() == [0.25, 0.5, 0.5]
    assert r.predictions.reshape(-1).tolist() == [1, 0, 1, 1]


def test_qcfs_by_hand():
    # L=4, lambda=2:  q = clamp(floor(x*4/2 + 0.5), 0, 4), y = q*2/4
    #   x=-1    -> -2+0.5 = -1.5 -> -2 -> 0 -> 0.0
    #   x=0.24  -> 0.48+0.5 = 0.98 -> 0 -> 0.0
    #   x=0.25  -> 0.5+0.5 = 1.0  -> 1 -> 0.5   (exactly on a rounding boundary)
    #   x=0.75  -> 1.5+0.5 = 2.0  -> 2 -> 1.0
    #   x=1.3   -> 2.6+0.5 = 3.1  -> 3 -> 1.5
    #   x=1.74  -> 3.48+0.5=3.98  -> 3 -> 1.5
    #   x=5     -> 10.5 -> 10 -> clamp 4 -> 2.0
    xs = [-1, 0.24, 0.25, 0.75, 1.3, 1.74, 5]
    model = single_qcfs_model(len(xs), levels=4, lam=2.0)
    r = ref.run(model, nchw(xs, len(xs), 1, 1), "ann", tau=None, T=7)
    assert r.spike_counts[0].reshape(-1).tolist() == [0, 0, 1, 2, 3, 3, 4]
    assert r.output.reshape(-1).tolist() == [0.0, 0.0, 0.5, 1.0, 1.5, 1.5, 2.0]
    # ANN mode computes exactly one step whatever T is
    assert r.predictions.shape == (1, 1)
    assert r.predictions.tolist() == [[6]]


def test_qcfs_float32_order():
    # (x*L)/lam, not x*(L/lam): with L=3, lambda=0.1 the two orders differ in float32 for
    # some x; the reference must follow the documented order exactly.
    L, lam = 3, F32(0.1)
    xs = np.linspace(-0.05, 0.15, 2001, dtype=F32)
    q = ref.qcfs_levels(xs, L, lam)
    expect = np.clip(np.floor(((xs * F32(L)) / lam) + F32(0.5)), 0, L).astype(F32)
    assert q.dtype == F32 and np.array_equal(q, expect)
    y = ref.qcfs_output(q, L, lam)
    assert np.array_equal(y, ((q * lam) / F32(L)).astype(F32))


# ---------------------------------------------------------------------------
# conv2d, linear, flatten, pooling
# ---------------------------------------------------------------------------


def conv_direct(x_hwc: np.ndarray, w: np.ndarray, b, stride, pad) -> np.ndarray:
    """The formula of model-format.md, channels-last, float64 loops."""
    hi, wi, ci = x_hwc.shape
    kh, kw, _, co = w.shape
    ho = (hi + 2 * pad[0] - kh) // stride[0] + 1
    wo = (wi + 2 * pad[1] - kw) // stride[1] + 1
    y = np.zeros((ho, wo, co))
    for oh in range(ho):
        for ow in range(wo):
            for o in range(co):
                s = 0.0 if b is None else float(b[o])
                for i in range(kh):
                    for j in range(kw):
                        r, c = oh * stride[0] - pad[0] + i, ow * stride[1] - pad[1] + j
                        if 0 <= r < hi and 0 <= c < wi:
                            s += float(np.dot(x_hwc[r, c].astype(np.float64), w[i, j, :, o]))
                y[oh, ow, o] = s
    return y.astype(F32)


def test_conv2d_by_hand_padding_stride2():
    # input 1x3x3 = [[1,2,3],[4,5,6],[7,8,9]], kernel 3x3 = identity diagonal, bias 0.5,
    # padding 1, stride 2 -> out(3,3,2,1) = 2, output 2x2:
    #   (0,0): window rows -1..1, cols -1..1, diagonal (-1,-1)=0 (0,0)=1 (1,1)=5 -> 6
    #   (0,1): rows -1..1, cols 1..3: (-1,1)=0 (0,2)=3 (1,3)=0           -> 3
    #   (1,0): rows 1..3, cols -1..1: (1,-1)=0 (2,0)=7 (3,1)=0           -> 7
    #   (1,1): rows 1..3, cols 1..3: (1,1)=5 (2,2)=9 (3,3)=0             -> 14
    # plus bias: 6.5, 3.5, 7.5, 14.5
    x = np.arange(1, 10, dtype=F32).reshape(1, 1, 3, 3)
    w = np.eye(3, dtype=F32).reshape(3, 3, 1, 1)
    mw = ModelWriter(1, 3, 3)
    mw.conv2d(w, [0.5], stride=(2, 2), padding=(1, 1))
    model = ref.load_model(mw.to_bytes())
    assert model.output_shape == ref.Shape(1, 2, 2)
    r = ref.run(model, x, "ann")
    assert r.output.reshape(-1).tolist() == [6.5, 3.5, 7.5, 14.5]
    assert np.array_equal(r.output[0, 0], conv_direct(x[0].transpose(1, 2, 0), w, [0.5], (2, 2), (1, 1))[:, :, 0])


def test_conv2d_multichannel_against_direct_loop():
    rng = np.random.default_rng(1)
    ci, co, hi, wi = 3, 4, 7, 6
    x = rng.standard_normal((2, ci, hi, wi)).astype(F32)
    w = rng.standard_normal((3, 2, ci, co)).astype(F32)
    b = rng.standard_normal(co).astype(F32)
    mw = ModelWriter(ci, hi, wi)
    mw.conv2d(w, b, stride=(2, 1), padding=(1, 2))
    model = ref.load_model(mw.to_bytes())
    r = ref.run(model, x, "ann")
    for n in range(2):
        direct = conv_direct(x[n].transpose(1, 2, 0), w, b, (2, 1), (1, 2))   # Ho Wo Co
        np.testing.assert_allclose(r.output[n], direct.transpose(2, 0, 1), rtol=1e-6, atol=1e-6)


def flatten_model() -> tuple[ModelWriter, int, int]:
    mw = ModelWriter(2, 1, 2)
    flat = mw.flatten()
    return mw, 0, flat


def test_flatten_linear_ordering_by_hand():
    # NCHW input (C=2, H=1, W=2): channel 0 = [1, 2], channel 1 = [10, 20].
    # The file flattens channels-last: f = (h*W + w)*C + c, so the features are
    #   f0 = (w0,c0) = 1, f1 = (w0,c1) = 10, f2 = (w1,c0) = 2, f3 = (w1,c1) = 20.
    # Linear weights [Ci=4][Co=3] (file layout), columns:
    #   out0 = f0                    = 1
    #   out1 = f1 + 100*f2           = 10 + 200    = 210
    #   out2 = 1000*f0 + f3 + bias 7 = 1000+20+7   = 1027
    x = nchw([1, 2, 10, 20], 2, 1, 2)
    wts = np.zeros((4, 3), dtype=F32)
    wts[0, 0] = 1
    wts[1, 1], wts[2, 1] = 1, 100
    wts[0, 2], wts[3, 2] = 1000, 1
    mw, _, _ = flatten_model()
    mw.linear(wts, [0, 0, 7])
    model = ref.load_model(mw.to_bytes())
    r = ref.run(model, x, "ann")
    assert r.output.reshape(-1).tolist() == [1, 210, 1027]
    assert r.predictions.tolist() == [[2]]
    # the PyTorch-layout weight built by the plan: w.reshape(C,H,W,Co) -> [Co][c*H*W + h*W + w]
    plan = ref.make_plan(model)
    torch_w = wts.reshape(1, 2, 2, 3).transpose(3, 2, 0, 1).reshape(3, 4)   # [Co][C][H][W]
    assert np.array_equal(plan.layers[1].weight, torch_w)


def test_flatten_output_is_in_file_feature_order():
    # A model whose last layer is flatten reports the vector in the file's order
    # (it is a (4,1,1) tensor: NCHW order of that tensor is the feature index f).
    mw, _, _ = flatten_model()
    model = ref.load_model(mw.to_bytes())
    r = ref.run(model, nchw([1, 2, 10, 20], 2, 1, 2), "ann")
    assert r.output.reshape(-1).tolist() == [1, 10, 2, 20]
    assert r.predictions.tolist() == [[3]]


def test_flatten_then_affine_add_conv_and_qcfs_counts():
    # Features in file order: [1, 10, 2, 20] (see above).
    #   lin  = identity linear           -> [1, 10, 2, 20] (natural order)
    #   sum  = flatten + lin             -> [2, 20, 4, 40]
    #   aff  = sum*[1,2,3,4] + [0,0,0,.5] -> [2, 40, 12, 160.5]
    #   conv = 1x1 conv on aff, weights [1][1][4][1] = [1, 0, 0, 0.5]^T -> 2 + 80.25 = 82.25
    x = nchw([1, 2, 10, 20], 2, 1, 2)
    mw, _, flat = flatten_model()
    lin = mw.linear(np.eye(4, dtype=F32))
    s = mw.add(flat, lin)
    mw.affine([1, 2, 3, 4], [0, 0, 0, 0.5])
    q = mw.qcfs(levels=256, lam=256.0)     # q = floor(x + 0.5) clamped to 0..256 -> 2, 40, 12, 161
    model = ref.load_model(mw.to_bytes())
    r = ref.run(model, x, "ann")
    assert r.output.reshape(-1).tolist() == [2, 40, 12, 161]
    assert r.spike_counts[0].reshape(-1).tolist() == [2, 40, 12, 161]
    assert s == 3 and q == 5

    mw2, _, flat2 = flatten_model()
    lin2 = mw2.linear(np.eye(4, dtype=F32))
    mw2.add(lin2, flat2)      # other operand order
    mw2.affine([1, 2, 3, 4], [0, 0, 0, 0.5])
    mw2.conv2d(np.array([1, 0, 0, 0.5], dtype=F32).reshape(1, 1, 4, 1))
    r2 = ref.run(ref.load_model(mw2.to_bytes()), x, "ann")
    assert r2.output.reshape(-1).tolist() == [82.25]


def test_avgpool_count_include_pad_by_hand():
    # input 1x2x2 [[1,2],[3,4]], kernel 2, stride 2, padding 1 -> out(2,2,2,1) = 2.
    # Each window holds one real element and three zeros of padding, divided by 4:
    #   0.25, 0.5, 0.75, 1.0
    mw = ModelWriter(1, 2, 2)
    mw.avgpool2d((2, 2), (2, 2), (1, 1))
    model = ref.load_model(mw.to_bytes())
    r = ref.run(model, nchw([1, 2, 3, 4], 1, 2, 2), "ann")
    assert r.output.reshape(-1).tolist() == [0.25, 0.5, 0.75, 1.0]


def test_avgpool_overlapping_windows():
    # input 1x3x3 = 1..9, kernel 2, stride 1, no padding: means of 2x2 blocks
    #   (1+2+4+5)/4 = 3, (2+3+5+6)/4 = 4, (4+5+7+8)/4 = 6, (5+6+8+9)/4 = 7
    mw = ModelWriter(1, 3, 3)
    mw.avgpool2d((2, 2), (1, 1))
    r = ref.run(ref.load_model(mw.to_bytes()), np.arange(1, 10, dtype=F32).reshape(1, 1, 3, 3), "ann")
    assert r.output.reshape(-1).tolist() == [3, 4, 6, 7]


def test_maxpool_ignores_padding_and_is_ann_only():
    # same geometry as the avgpool case, negative inputs: padding must not count as 0
    mw = ModelWriter(1, 2, 2)
    mw.maxpool2d((2, 2), (2, 2), (1, 1))
    model = ref.load_model(mw.to_bytes())
    r = ref.run(model, nchw([-1, -2, -3, -4], 1, 2, 2), "ann")
    assert r.output.reshape(-1).tolist() == [-1, -2, -3, -4]
    with pytest.raises(ValueError, match="maxpool"):
        ref.run(model, nchw([-1, -2, -3, -4], 1, 2, 2), "gn", tau=2, T=2)


def test_global_avgpool_by_hand():
    # channel 0 = [1,2,3,4] -> 2.5 ; channel 1 = [0,0,0,8] -> 2
    mw = ModelWriter(2, 2, 2)
    mw.global_avgpool()
    r = ref.run(ref.load_model(mw.to_bytes()), nchw([1, 2, 3, 4, 0, 0, 0, 8], 2, 2, 2), "ann")
    assert r.output.reshape(-1).tolist() == [2.5, 2.0]


# ---------------------------------------------------------------------------
# Properties from semantics.md
# ---------------------------------------------------------------------------


def dyadic(rng, shape, lo: int, hi: int, exp: int) -> np.ndarray:
    return (rng.integers(lo, hi + 1, size=shape) * 2.0 ** -exp).astype(F32)


def small_dyadic_net(rng) -> tuple[bytes, list[int]]:
    """conv-qcfs-(1x1 conv)-add-avgpool-conv-affine-qcfs-flatten-linear-qcfs-linear."""
    mw = ModelWriter(2, 6, 6)
    mw.conv2d(dyadic(rng, (3, 3, 2, 4), -2, 2, 3), dyadic(rng, (4,), -2, 2, 3), padding=(1, 1))
    a = mw.qcfs(4, 1.0)
    b = mw.conv2d(dyadic(rng, (1, 1, 4, 4), -2, 2, 2))
    mw.add(a, b)
    mw.avgpool2d((2, 2), (2, 2))
    mw.conv2d(dyadic(rng, (3, 3, 4, 3), -2, 2, 3), None, stride=(2, 2), padding=(1, 1))
    mw.affine(dyadic(rng, (3,), 1, 4, 2), dyadic(rng, (3,), -2, 2, 3))
    mw.qcfs(8, 2.0)
    mw.flatten()
    mw.linear(dyadic(rng, (12, 5), -2, 2, 2), dyadic(rng, (5,), -2, 2, 3))
    mw.qcfs(2, 0.5)
    mw.linear(dyadic(rng, (5, 3), -2, 2, 1), dyadic(rng, (3,), -2, 2, 3))
    return mw.to_bytes(), [4, 8, 2]


@pytest.mark.parametrize("seed", range(5))
def test_gn_tau_equals_L_T1_is_ann_bit_for_bit(seed):
    rng = np.random.default_rng(seed)
    data, levels = small_dyadic_net(rng)
    model = ref.load_model(data)
    x = dyadic(rng, (4, 2, 6, 6), -8, 24, 4)
    ann = ref.run(model, x, "ann")
    gn = ref.run(model, x, "gn", tau=1, T=1, layer_tau=levels)
    assert np.array_equal(ann.output.view(np.uint32), gn.output.view(np.uint32))
    assert np.array_equal(ann.predictions, gn.predictions)
    for qa, qg in zip(ann.spike_counts, gn.spike_counts):
        assert np.array_equal(qa, qg)
    # the test is only meaningful if neurons take several levels
    assert any(len(np.unique(q)) > 2 for q in ann.spike_counts)


@pytest.mark.parametrize("tau,T", [(1, 5), (2, 4), (4, 3), (8, 8), (3, 8)])
def test_gn_constant_input_averages_to_qcfs_tau_times_T(tau, T):
    # With a constant input, GN(tau) over T steps = QCFS with tau*T levels (the first
    # neuron layer sees a constant input under direct encoding).  This is exact when
    # u = lambda/tau is a power of two.  For tau = 3, u = float32(1/3) is rounded up,
    # so at an exact rounding tie (x*tau*T/lambda + 0.5 an integer, where the membrane
    # lands exactly on a threshold in exact arithmetic) GN emits one spike fewer than
    # QCFS (not at every tie: rounding errors may cancel); the property holds only in
    # exact arithmetic.
    n = 97
    x = ((np.arange(n) - 16) / 64).astype(F32).reshape(1, n, 1, 1)   # -0.25 .. 1.25
    gn = ref.run(single_qcfs_model(n, 1, 1.0), x, "gn", tau=tau, T=T)
    ann = ref.run(single_qcfs_model(n, tau * T, 1.0), x, "ann")
    s_gn, q_ann = gn.spike_counts[0].ravel(), ann.spike_counts[0].ravel()
    if tau & (tau - 1) == 0:
        assert np.array_equal(s_gn, q_ann)
        np.testing.assert_allclose(gn.output, ann.output, rtol=1e-6)
    else:
        ties = (x.ravel().astype(np.float64) * tau * T + 0.5) % 1 == 0
        ties &= (x.ravel() > 0) & (x.ravel() <= 1)
        assert np.array_equal(s_gn[~ties], q_ann[~ties])
        diff = s_gn[ties] - q_ann[ties]
        assert set(diff.tolist()) == {0, -1}   # some ties agree, some are one short


def test_samples_do_not_interact_and_potentials_reset():
    rng = np.random.default_rng(7)
    data, _ = small_dyadic_net(rng)
    model = ref.load_model(data)
    x = dyadic(rng, (3, 2, 6, 6), -8, 24, 4)
    whole = ref.run(model, x, "gn", tau=3, T=5)
    for i in range(3):
        one = ref.run(model, x[i:i + 1], "gn", tau=3, T=5)
        assert np.array_equal(one.output[0], whole.output[i])
        assert np.array_equal(one.predictions[:, 0], whole.predictions[:, i])
        for a, b in zip(one.spike_counts, whole.spike_counts):
            assert np.array_equal(a[0], b[i])
    again = ref.run(model, x, "gn", tau=3, T=5)
    assert np.array_equal(again.output, whole.output)


def test_output_is_running_sum_in_step_order_divided_by_T():
    # IF(lambda=1) fed 0.1: v = 0.6, 0.7, ... spikes every 5 steps; T = 7 -> 1 spike
    # (at t=5); mean = 1/7 in float32.
    model = single_qcfs_model(1, 4, 1.0)
    r = ref.run(model, nchw([0.1], 1, 1, 1), "if", T=7)
    assert r.spike_counts[0].tolist() == [[[[1]]]]
    assert r.output.reshape(-1).tolist() == [float(F32(F32(1.0) / F32(7)))]


# ---------------------------------------------------------------------------
# File validation
# ---------------------------------------------------------------------------


def tiny_model_bytes() -> bytes:
    mw = ModelWriter(1, 2, 2)
    mw.conv2d(np.ones((2, 2, 1, 2), dtype=F32), [0.5, -0.5])
    mw.qcfs(4, 1.0)
    mw.flatten()
    mw.linear(np.ones((2, 3), dtype=F32))
    return mw.to_bytes()


def patch(data: bytes, offset: int, fmt: str, value, fix: bool = True) -> bytes:
    buf = bytearray(data)
    struct.pack_into(fmt, buf, offset, value)
    return fix_checksum(bytes(buf)) if fix else bytes(buf)


def test_valid_tiny_model_loads():
    m = ref.load_model(tiny_model_bytes())
    assert [l.kind for l in m.layers] == [ref.Kind.CONV2D, ref.Kind.QCFS, ref.Kind.FLATTEN, ref.Kind.LINEAR]
    assert m.output_shape == ref.Shape(3, 1, 1)


def test_crc_rejects_modified_byte():
    data = bytearray(tiny_model_bytes())
    blob = 64 + 4 * 64          # first blob after a 4-record table
    data[blob] ^= 0x01
    with pytest.raises(ValueError, match="checksum"):
        ref.load_model(bytes(data))
    # the same edit with a recomputed CRC loads
    ref.load_model(fix_checksum(bytes(data)))


def test_minor_version_accepted():
    ref.load_model(patch(tiny_model_bytes(), 6, "<H", 9))


REC0 = 64   # first record of the table
REC1 = 128  # second record (the qcfs)


@pytest.mark.parametrize("name,offset,fmt,value,fix,message", [
    ("magic", 0, "<4s", b"GNRX", True, "magic"),
    ("major", 4, "<H", 2, True, "major"),
    ("header size", 8, "<I", 65, True, "header size"),
    ("file size", 16, "<Q", 1, True, "bytes"),
    ("layer count 0", 24, "<I", 0, True, "layer count"),
    ("record size", 28, "<I", 32, True, "record size"),
    ("table misaligned", 32, "<Q", 68, True, "table offset"),
    ("table outside", 32, "<Q", 1 << 20, True, "inside"),
    ("input C zero", 40, "<I", 0, True, "input shape"),
    ("kind", REC0, "<H", 10, True, "kind"),
    ("flag bit 2", REC0 + 2, "<H", 5, True, "flags"),
    ("int8 flag on a conv reading the input", REC0 + 2, "<H", 3, True, "integer-valued"),
    ("bias flag on qcfs", REC1 + 2, "<H", 1, True, "bias"),
    ("input A forward", REC1 + 4, "<I", 2, True, "input A"),
    ("input B set", REC1 + 8, "<I", 0, True, "input B"),
    ("stored shape", REC0 + 12, "<I", 3, True, "shape"),
    ("stored height", REC0 + 16, "<I", 2, True, "shape"),
    ("kernel on qcfs", REC1 + 24, "<H", 1, True, "must be 0"),
    ("levels on conv", REC0 + 36, "<I", 4, True, "must be 0"),
    ("lambda -0.0 on conv", REC0 + 40, "<f", -0.0, True, "must be 0"),
    ("qcfs L 0", REC1 + 36, "<I", 0, True, "levels"),
    ("qcfs lambda 0", REC1 + 40, "<f", 0.0, True, "threshold"),
    ("qcfs lambda negative", REC1 + 40, "<f", -1.0, True, "threshold"),
    ("qcfs lambda inf", REC1 + 40, "<f", float("inf"), True, "threshold"),
    ("qcfs lambda nan", REC1 + 40, "<f", float("nan"), True, "threshold"),
    ("blob misaligned", REC0 + 48, "<Q", 64 * 5 + 4, True, "multiple"),
    ("blob in table", REC0 + 48, "<Q", 64, True, "before the end"),
    ("blob outside", REC0 + 48, "<Q", 64 * 1000, True, "past the end"),
    ("blob on qcfs", REC1 + 48, "<Q", 320, True, "blob P"),
    ("missing bias blob", REC0 + 56, "<Q", 0, True, "required"),
    ("conv kernel too big", REC0 + 24, "<H", 3, True, "< 1"),
    ("conv stride 0", REC0 + 28, "<H", 0, True, "stride"),
])
def test_validation_rejects(name, offset, fmt, value, fix, message):
    data = patch(tiny_model_bytes(), offset, fmt, value, fix)
    with pytest.raises(ValueError, match=message):
        ref.load_model(data)


def test_reserved_record_field_is_ignored():
    data = tiny_model_bytes()
    patched, original = ref.load_model(patch(data, REC0 + 44, "<I", 7, True)), ref.load_model(data)
    assert patched.shapes == original.shapes
    assert [layer.kind for layer in patched.layers] == [layer.kind for layer in original.layers]


def test_validation_truncated_and_nonfinite_blob():
    data = tiny_model_bytes()
    with pytest.raises(ValueError):
        ref.load_model(data[:40])
    with pytest.raises(ValueError, match="bytes"):
        ref.load_model(fix_checksum(data + b"\0" * 64))  # file-size field no longer matches
    # a NaN in the conv weights
    buf = bytearray(data)
    struct.pack_into("<f", buf, 320 + 4, float("nan"))
    with pytest.raises(ValueError, match="non-finite"):
        ref.load_model(fix_checksum(bytes(buf)))


def test_validation_pool_padding_linear_input_add_shapes():
    mw = ModelWriter(1, 4, 4)
    mw.avgpool2d((2, 2), (1, 1), (2, 0))       # 2*2 > 2
    with pytest.raises(ValueError, match="padding"):
        ref.load_model(mw.to_bytes())
    mw = ModelWriter(2, 2, 2)
    mw.records.append(Record(LINEAR, input_a=0, c=3, h=1, w=1, blob_p=np.ones(24, dtype=F32)))
    with pytest.raises(ValueError, match="H = W = 1"):
        ref.load_model(mw.to_bytes())
    mw = ModelWriter(2, 2, 2)
    mw.global_avgpool()
    mw.records.append(Record(ADD, input_a=0, input_b=1, c=2, h=2, w=2))
    with pytest.raises(ValueError, match="shapes differ"):
        ref.load_model(mw.to_bytes())


def test_blobs_may_be_shared_and_in_any_order():
    # Two affine layers whose blobs are placed by hand, in reverse order, the second
    # layer reusing the first layer's shift blob as its scale.
    mw = ModelWriter(2, 1, 1)
    mw.affine([2, 3], [1, 1])
    mw.affine([5, 5], [0, 0])
    data = bytearray(mw.to_bytes())
    # table 64..192; blobs at 192 (scale1), 256 (shift1), 320 (scale2), 384 (shift2)
    struct.pack_into("<QQ", data, 64 + 48, 384, 320)      # layer 0: P=384 ([0,0]), Q=320 ([5,5])
    struct.pack_into("<QQ", data, 128 + 48, 320, 256)     # layer 1: P=320 ([5,5]), Q=256 ([1,1])
    model = ref.load_model(fix_checksum(bytes(data)))
    r = ref.run(model, nchw([1, 2], 2, 1, 1), "ann")
    # layer 0: x*0 + 5 = 5 ; layer 1: 5*5 + 1 = 26
    assert r.output.reshape(-1).tolist() == [26, 26]


# ---------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------


def run_cli(tmp_path: Path, model: bytes, x: np.ndarray, *args: str) -> subprocess.CompletedProcess:
    (tmp_path / "m.gnrt").write_bytes(model)
    (tmp_path / "in.f32").write_bytes(x.astype("<f4").tobytes())
    cmd = [sys.executable, str(HERE / "gn_reference.py"), str(tmp_path / "m.gnrt"),
           str(tmp_path / "in.f32"), str(tmp_path / "out.bin"), *args]
    return subprocess.run(cmd, capture_output=True, text=True)


def test_cli_output_layout(tmp_path):
    # two qcfs layers around a linear, 3 samples, gn tau=2 T=4
    mw = ModelWriter(2, 1, 1)
    mw.qcfs(2, 1.0)
    mw.linear(np.array([[1, 0], [0, 2]], dtype=F32))
    mw.qcfs(2, 1.0)
    data = mw.to_bytes()
    x = nchw([0.3, 0.6, 0.6, 0.3, 2.0, 0.0], 2, 1, 1, batch=3)
    p = run_cli(tmp_path, data, x, "--neuron", "gn", "--tau", "2", "--T", "4", "--batch", "3",
                "--layer-tau", "0,4")
    assert p.returncode == 0, p.stderr
    raw = (tmp_path / "out.bin").read_bytes()
    expected = ref.run(ref.load_model(data), x, "gn", tau=2, T=4, layer_tau=[0, 4])
    n_out, n_pred, n_spk = 3 * 2 * 4, 4 * 3 * 4, 2 * (3 * 2 * 4)
    assert len(raw) == n_out + n_pred + n_spk
    out = np.frombuffer(raw[:n_out], "<f4").reshape(3, 2)
    pred = np.frombuffer(raw[n_out:n_out + n_pred], "<i4").reshape(4, 3)
    spk = np.frombuffer(raw[n_out + n_pred:], "<i4").reshape(2, 3, 2)
    assert np.array_equal(out, expected.output.reshape(3, 2))
    assert np.array_equal(pred, expected.predictions)
    assert np.array_equal(spk[0], expected.spike_counts[0].reshape(3, 2))
    # sample 0, first qcfs = the hand case above: spikes (2, 5)
    assert spk[0, 0].tolist() == [2, 5]
    # sample 2: input 2.0 > lambda -> tau spikes every step = 8; input 0 -> v stays 0.25 -> 0
    assert spk[0, 2].tolist() == [8, 0]


def test_cli_ann_has_one_prediction_row(tmp_path):
    mw = ModelWriter(3, 1, 1)
    mw.qcfs(4, 2.0)
    x = nchw([0.25, 1.3, 5, -1, 0.75, 0.24], 3, 1, 1, batch=2)
    p = run_cli(tmp_path, mw.to_bytes(), x, "--neuron", "ann", "--tau", "4", "--T", "9", "--batch", "2")
    assert p.returncode == 0, p.stderr
    raw = (tmp_path / "out.bin").read_bytes()
    assert len(raw) == 2 * 3 * 4 + 1 * 2 * 4 + 2 * 3 * 4
    out = np.frombuffer(raw[:24], "<f4").reshape(2, 3)
    pred = np.frombuffer(raw[24:32], "<i4")
    q = np.frombuffer(raw[32:], "<i4").reshape(2, 3)
    assert out.tolist() == [[0.5, 1.5, 2.0], [0.0, 1.0, 0.0]]
    assert pred.tolist() == [2, 1]
    assert q.tolist() == [[1, 3, 4], [0, 2, 0]]


@pytest.mark.parametrize("args", [
    ["--neuron", "gn", "--tau", "2", "--T", "2", "--batch", "2"],          # input size mismatch
    ["--neuron", "gn", "--tau", "0", "--T", "2", "--batch", "1"],          # tau out of range
    ["--neuron", "gn", "--tau", "2", "--T", "0", "--batch", "1"],          # T out of range
    ["--neuron", "gn", "--tau", "2", "--T", "2", "--batch", "1", "--layer-tau", "1,2"],
    ["--neuron", "xx", "--tau", "2", "--T", "2", "--batch", "1"],
    ["--neuron", "gn", "--tau", "2", "--T", "2"],                          # missing --batch
])
def test_cli_bad_arguments_exit_2(tmp_path, args):
    mw = ModelWriter(1, 1, 1)
    mw.qcfs(2, 1.0)
    p = run_cli(tmp_path, mw.to_bytes(), nchw([0.5], 1, 1, 1), *args)
    assert p.returncode == 2
    assert p.stderr.strip()


def test_cli_bad_model_exit_2(tmp_path):
    data = bytearray(tiny_model_bytes())
    data[300] ^= 0xFF
    p = run_cli(tmp_path, bytes(data), np.zeros((1, 1, 2, 2), dtype=F32),
                "--neuron", "ann", "--tau", "1", "--T", "1", "--batch", "1")
    assert p.returncode == 2
    assert "checksum" in p.stderr


# ---------------------------------------------------------------------------
# Cross-check against a naive channels-last evaluator of the file formulas
# ---------------------------------------------------------------------------


def channels_last_ann(model: ref.Model, x_nchw: np.ndarray) -> np.ndarray:
    """Evaluate one sample in ANN mode directly from the format document, channels-last,
    with the file's own weight layouts (no permutations): returns the last tensor [H][W][C]."""
    t = [x_nchw.transpose(1, 2, 0).astype(F32)]
    for L in model.layers:
        a = t[L.input_a]
        kind = L.kind
        if kind == ref.Kind.CONV2D:
            b = np.zeros(L.out_shape.c) if L.bias is None else L.bias
            y = conv_direct(a, L.weights.astype(np.float64), b, L.stride, L.padding)
        elif kind == ref.Kind.LINEAR:
            y = a.reshape(-1).astype(np.float64) @ L.weights.astype(np.float64)
            if L.bias is not None:
                y = y + L.bias
            y = y.astype(F32).reshape(1, 1, -1)
        elif kind in (ref.Kind.AVGPOOL2D, ref.Kind.MAXPOOL2D):
            (kh, kw), (sh, sw), (ph, pw) = L.kernel, L.stride, L.padding
            hi, wi, c = a.shape
            y = np.zeros((L.out_shape.h, L.out_shape.w, c), dtype=F32)
            for oh in range(L.out_shape.h):
                for ow in range(L.out_shape.w):
                    vals = [a[r, q] for r in range(oh * sh - ph, oh * sh - ph + kh)
                            for q in range(ow * sw - pw, ow * sw - pw + kw) if 0 <= r < hi and 0 <= q < wi]
                    if kind == ref.Kind.MAXPOOL2D:
                        y[oh, ow] = np.max(vals, axis=0)
                    else:
                        y[oh, ow] = (np.sum(np.asarray(vals, np.float64), axis=0) / (kh * kw)).astype(F32)
        elif kind == ref.Kind.GLOBAL_AVGPOOL:
            y = a.astype(np.float64).mean(axis=(0, 1)).astype(F32).reshape(1, 1, -1)
        elif kind == ref.Kind.FLATTEN:
            y = a.reshape(1, 1, -1)                        # [H][W][C] read as a vector
        elif kind == ref.Kind.ADD:
            y = (a + t[L.input_b]).astype(F32)
        elif kind == ref.Kind.AFFINE:
            y = ((a * L.scale).astype(F32) + L.shift).astype(F32)
        else:
            lv, lam = F32(L.levels), L.lam
            q = np.clip(np.floor((a * lv) / lam + F32(0.5)), 0, lv).astype(F32)
            y = ((q * lam) / lv).astype(F32)
        t.append(y)
    return t[-1]


def tricky_net(rng) -> bytes:
    """Flatten in the middle of a network, pooling and conv on permuted vectors, adds
    between differently-ordered tensors, maxpool, global_avgpool."""
    mw = ModelWriter(3, 5, 4)
    c1 = mw.conv2d(dyadic(rng, (2, 3, 3, 4), -3, 3, 3), dyadic(rng, (4,), -2, 2, 3), padding=(1, 0))
    mw.qcfs(8, 1.0)
    mw.maxpool2d((3, 2), (2, 1), (1, 1))
    f = mw.flatten()                                             # (C*H*W, 1, 1), permuted
    n = mw.shapes[f][0]
    lin = mw.linear(dyadic(rng, (n, n), -1, 1, 2))               # same shape, natural order
    s = mw.add(lin, f)
    mw.affine(dyadic(rng, (n,), 1, 4, 2), dyadic(rng, (n,), -2, 2, 3), input_id=s)
    p = mw.avgpool2d((2, 2), (1, 1), (1, 1))                     # (n, 2, 2) with permuted channels
    mw.qcfs(4, 2.0)
    g = mw.flatten()                                             # (4n, 1, 1)
    mw.conv2d(dyadic(rng, (1, 1, 4 * n, 6), -2, 2, 3), dyadic(rng, (6,), -2, 2, 3))
    mw.qcfs(16, 4.0)
    mw.avgpool2d((3, 1), (1, 1), (1, 0))                         # 1x1 -> 1x1 over padding
    mw.global_avgpool()
    assert c1 == 1 and p > s and g > p
    return mw.to_bytes()


@pytest.mark.parametrize("seed", range(4))
def test_nchw_reference_matches_channels_last_evaluator(seed):
    rng = np.random.default_rng(100 + seed)
    model = ref.load_model(tricky_net(rng))
    x = dyadic(rng, (2, 3, 5, 4), -16, 32, 4)
    r = ref.run(model, x, "ann")
    for i in range(2):
        expect = channels_last_ann(model, x[i]).transpose(2, 0, 1)   # -> C H W
        assert np.array_equal(r.output[i], expect)
    assert any(len(np.unique(q)) > 2 for q in r.spike_counts)


def test_permuted_spike_counts_are_reported_in_file_order():
    # qcfs straight after a flatten: counts are indexed by the file's feature number.
    mw = ModelWriter(2, 1, 2)
    mw.flatten()
    mw.qcfs(64, 64.0)          # q = floor(x + 0.5)
    r = ref.run(ref.load_model(mw.to_bytes()), nchw([1, 2, 10, 20], 2, 1, 2), "ann")
    assert r.spike_counts[0].reshape(-1).tolist() == [1, 10, 2, 20]
    r = ref.run(ref.load_model(mw.to_bytes()), nchw([1, 2, 10, 20], 2, 1, 2), "if", T=3)
    # IF(64), v0 = 32: never reaches 64 with inputs <= 20 over 1 step; over 3 steps only
    # feature 20: 32+20+20 = 72 >= 64 at t=2 -> 1 spike
    assert r.spike_counts[0].reshape(-1).tolist() == [0, 0, 0, 1]

"""The peers GNRuntime's benchmark compares itself with, in the same run: the ANN -> SNN conversion of
"Optimal ANN-SNN Conversion with Group Neurons" (Lv et al., ICASSP 2024) run on PyTorch the way its
users run it (Group Neurons as modules stepped T times, the input fed at every step), and ONNX Runtime
on the QCFS ANN. Random weights (L = 8); only times matter.

    python3 benchmarks/peers.py --cases resnet20_gn_tau4_T4_b1_t1,vgg16_ann_b32_t2 [--reps N]

Case keys: NETWORK_{ann | annq | gn_tauTAU_TSTEPS}_bBATCH_tTHREADS. Prints "torch_KEY MILLISECONDS" for
every ann and gn case, "ort_NETWORK_ann_bBATCH_tTHREADS MILLISECONDS" for every ann case, and
"ortq_NETWORK_annq_bBATCH_tTHREADS MILLISECONDS" for every annq case: ONNX Runtime on the ANN quantised
to int8 (static QDQ quantisation, per-channel s8 weights, u8 activations, calibrated on random
inputs). Needs torch, onnx and onnxruntime (pip install torch onnx onnxruntime).
"""
from __future__ import annotations

import argparse
import io
import re
import sys
import time
from typing import Callable

import torch
from torch import nn


class QCFS(nn.Module):
    """clamp(floor(x·L/λ + 0.5), 0, L)·λ/L."""

    def __init__(self, levels: int, threshold: float) -> None:
        super().__init__()
        self.levels, self.threshold = levels, threshold

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q = torch.clamp(torch.floor(x * self.levels / self.threshold + 0.5), 0, self.levels)
        return q * self.threshold / self.levels


class GroupNeuron(nn.Module):
    """τ members with thresholds k·u (u = λ/τ) sharing one potential that starts at u/2."""

    def __init__(self, members: int, threshold: float) -> None:
        super().__init__()
        self.unit = threshold / members
        self.thresholds = [k * self.unit for k in range(1, members + 1)]
        self.potential: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.potential is None:
            self.potential = torch.full_like(x, 0.5 * self.unit)
        self.potential = self.potential + x
        spikes = torch.zeros_like(x)
        for threshold in self.thresholds:
            spikes += self.potential >= threshold
        self.potential = self.potential - spikes * self.unit
        return spikes * self.unit


def activation(kind: str, levels: int, members: int) -> nn.Module:
    return QCFS(levels, 1.0) if kind == "ann" else GroupNeuron(members, 1.0)


def plain_features(channels: int, plan: list[int], kind: str, levels: int, members: int) -> list[nn.Module]:
    """3 x 3 conv-activation layers of the widths of `plan` over `channels` input channels, where a 0 is a
    2 x 2 average pooling, then a flatten."""
    layers: list[nn.Module] = []
    for width in plan:
        if width == 0:
            layers.append(nn.AvgPool2d(2, 2))
        else:
            layers += [nn.Conv2d(channels, width, 3, padding=1), activation(kind, levels, members)]
            channels = width
    return layers + [nn.Flatten()]


def vgg16(kind: str, levels: int, members: int) -> nn.Module:
    plan = [64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0]
    layers = plain_features(3, plan, kind, levels, members)
    layers += [nn.Linear(512, 4096), activation(kind, levels, members), nn.Linear(4096, 4096),
               activation(kind, levels, members), nn.Linear(4096, 10)]
    return nn.Sequential(*layers)


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, kind: str, levels: int, members: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1)
        self.act1 = activation(kind, levels, members)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1)
        self.shortcut = nn.Conv2d(cin, cout, 1, stride) if stride != 1 or cin != cout else nn.Identity()
        self.act2 = activation(kind, levels, members)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act2(self.conv2(self.act1(self.conv1(x))) + self.shortcut(x))


def resnet20(kind: str, levels: int, members: int) -> nn.Module:
    layers: list[nn.Module] = [nn.Conv2d(3, 16, 3, 1, 1), activation(kind, levels, members)]
    channels = 16
    for stage, width in enumerate([16, 32, 64]):
        for block in range(3):
            layers.append(BasicBlock(channels, width, 2 if stage > 0 and block == 0 else 1, kind, levels, members))
            channels = width
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, 10)]
    return nn.Sequential(*layers)


def fashion_mnist(kind: str, levels: int, members: int) -> nn.Module:
    """The examples' Fashion-MNIST network (gnruntime.qcfs.fashion_mnist_net, BatchNorm folded into a bias)."""
    layers = plain_features(1, [16, 32, 0, 32, 64, 0], kind, levels, members)
    return nn.Sequential(*layers, nn.Linear(64 * 7 * 7, 10))


NETWORKS: dict[str, Callable[[str, int, int], nn.Module]] = {
    "resnet20": resnet20, "vgg16": vgg16, "fashion-mnist": fashion_mnist}

#: The input of one sample of each network (channels, height, width).
INPUT_SHAPES: dict[str, tuple[int, int, int]] = {
    "resnet20": (3, 32, 32), "vgg16": (3, 32, 32), "fashion-mnist": (1, 28, 28)}


def reset(module: nn.Module) -> None:
    for m in module.modules():
        if isinstance(m, GroupNeuron):
            m.potential = None


@torch.no_grad()
def spiking_run(module: nn.Module, x: torch.Tensor, steps: int) -> torch.Tensor:
    reset(module)
    total = module(x)
    for _ in range(steps - 1):
        total = total + module(x)
    return total / steps


def quantized_session(ann: nn.Module, x: torch.Tensor, threads: int):
    """An ONNX Runtime session of `ann` quantised to int8: static QDQ, per-channel s8 weights, u8
    activations, calibrated on 8 batches of random inputs like `x`."""
    import os
    import tempfile

    import onnxruntime
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    class RandomInputs(CalibrationDataReader):
        def __init__(self) -> None:
            self.batches = iter([{"x": torch.rand_like(x).numpy()} for _ in range(8)])

        def get_next(self):
            return next(self.batches, None)

    with tempfile.TemporaryDirectory() as folder:
        floating, quantized = os.path.join(folder, "ann.onnx"), os.path.join(folder, "ann-int8.onnx")
        export_onnx(ann, x, floating)
        quantize_static(floating, quantized, RandomInputs(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
        return onnxruntime.InferenceSession(quantized, session_options(threads), providers=["CPUExecutionProvider"])


def session_options(threads: int):
    """ONNX Runtime's options for a run on `threads` threads: as many intra-op threads, one inter-op."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return options


def export_onnx(module: nn.Module, x: torch.Tensor, destination: str | io.BytesIO) -> None:
    """Exports `module` (in evaluation mode) traced on `x` to ONNX, input "x" and output "y", with the
    TorchScript exporter where the installed torch also has the dynamo one."""
    export_options = {"dynamo": False} if "dynamo" in torch.onnx.export.__code__.co_varnames else {}
    torch.onnx.export(module.eval(), x, destination, input_names=["x"], output_names=["y"], **export_options)


def onnx_session(module: nn.Module, x: torch.Tensor, threads: int, profile_prefix: str | None = None):
    """ONNX Runtime's session (CPU provider, `threads` intra-op threads) of `module` exported on `x`
    (`export_onnx`); with `profile_prefix`, one that profiles every node to a JSON file so named."""
    import onnxruntime

    buffer = io.BytesIO()
    export_onnx(module, x, buffer)
    options = session_options(threads)
    if profile_prefix is not None:
        options.enable_profiling = True
        options.profile_file_prefix = profile_prefix
    return onnxruntime.InferenceSession(buffer.getvalue(), options, providers=["CPUExecutionProvider"])


def median_seconds(function: Callable[[], object], repetitions: int) -> float:
    function()
    times = []
    for _ in range(repetitions):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", required=True, help="comma-separated case keys")
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--levels", type=int, default=8)
    args = parser.parse_args()
    torch.manual_seed(0)
    pattern = re.compile(r"^([\w-]+?)_(annq|ann|gn_tau(\d+)_T(\d+))_b(\d+)_t(\d+)$")
    for key in args.cases.split(","):
        match = pattern.match(key)
        if not match or match.group(1) not in NETWORKS:
            sys.exit(f"peers.py: bad case key {key!r}")
        network, kind, tau, steps, batch, threads = match.group(1), match.group(2), match.group(3), match.group(4), \
            int(match.group(5)), int(match.group(6))
        torch.set_num_threads(threads)
        x = torch.rand(batch, *INPUT_SHAPES[network])
        repetitions = max(3, args.reps if batch == 1 else args.reps // 2)
        if kind == "annq":
            ann = NETWORKS[network]("ann", args.levels, args.levels).eval()
            try:
                session = quantized_session(ann, x, threads)
                feed = {"x": x.numpy()}
                seconds = median_seconds(lambda: session.run(None, feed), repetitions * 3)
                print(f"ortq_{key} {1000 * seconds:.4f}", flush=True)
            except Exception as error:  # onnxruntime missing or quantisation failed
                print(f"# onnxruntime int8: {error!r}"[:200], file=sys.stderr)
        elif kind == "ann":
            ann = NETWORKS[network]("ann", args.levels, args.levels).eval()
            with torch.no_grad():
                seconds = median_seconds(lambda: ann(x), repetitions)
            print(f"torch_{key} {1000 * seconds:.4f}", flush=True)
            try:
                session = onnx_session(ann, x, threads)
                feed = {"x": x.numpy()}
                seconds = median_seconds(lambda: session.run(None, feed), repetitions * 3)
                print(f"ort_{key} {1000 * seconds:.4f}", flush=True)
            except Exception as error:  # onnxruntime missing or export failed: torch figures stand
                print(f"# onnxruntime: {error!r}"[:200], file=sys.stderr)
        else:
            snn = NETWORKS[network]("gn", args.levels, int(tau)).eval()
            seconds = median_seconds(lambda: spiking_run(snn, x, int(steps)), max(3, repetitions // int(steps)))
            print(f"torch_{key} {1000 * seconds:.4f}", flush=True)


if __name__ == "__main__":
    main()

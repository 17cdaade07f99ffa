"""PyTorch modules for training QCFS networks the way the paper's code does (needs torch).

``QCFS`` is the quantization-clip-floor-shift activation of Bu et al. (ICLR 2022), with the
attributes the Group Neuron paper's code uses: ``T`` (the levels L), ``v_threshold`` (the trained
threshold λ) and ``p0`` (the shift, 0.5). Its forward pass evaluates in the runtime's order, so the
exported model reproduces it exactly.
"""
from __future__ import annotations

import torch
from torch import nn


class _FloorStraightThrough(torch.autograd.Function):
    """floor() forwards, identity backwards (the straight-through estimator)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        return torch.floor(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        return grad


class QCFS(nn.Module):
    """``clamp(floor(x·T/λ + p0), 0, T) · λ/T`` with a trainable threshold λ (``v_threshold``)."""

    def __init__(self, T: int = 4, v_threshold: float = 2.0, p0: float = 0.5) -> None:
        super().__init__()
        self.T = int(T)
        self.v_threshold = nn.Parameter(torch.tensor(float(v_threshold)))
        self.p0 = p0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q = _FloorStraightThrough.apply(x * self.T / self.v_threshold + self.p0)
        return torch.clamp(q, 0, self.T) * self.v_threshold / self.T

    def extra_repr(self) -> str:
        return f"T={self.T}, p0={self.p0}"


def fashion_mnist_net(levels: int = 4, widths: tuple[int, int, int, int] = (16, 32, 32, 64)) -> nn.Sequential:
    """The Fashion-MNIST network of the examples: four conv-BatchNorm-QCFS blocks with average
    pooling after the second and fourth, dropout, and a linear classifier."""
    a, b, c, d = widths
    return nn.Sequential(
        nn.Conv2d(1, a, 3, padding=1, bias=False), nn.BatchNorm2d(a), QCFS(levels),
        nn.Conv2d(a, b, 3, padding=1, bias=False), nn.BatchNorm2d(b), QCFS(levels),
        nn.AvgPool2d(2),
        nn.Conv2d(b, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), QCFS(levels),
        nn.Conv2d(c, d, 3, padding=1, bias=False), nn.BatchNorm2d(d), QCFS(levels),
        nn.AvgPool2d(2),
        nn.Flatten(),
        nn.Dropout(0.2),
        nn.Linear(d * 7 * 7, 10),
    )

"""Exports trained QCFS networks to GNRuntime model files.

- ``from_torch(module, path, input_shape)`` traces a PyTorch module with torch.fx (plain Sequentials
  and residual networks alike), folds BatchNorm into the convolution or linear layer before it (or
  writes an affine layer where it cannot), turns MaxPool into AvgPool, drops Dropout, and maps every
  QCFS activation to its levels and threshold.
- ``from_arrays(input_shape, layers, path)`` writes a model from numpy arrays and a layer list
  (``gnruntime.writer``), with no torch installed.
- ``verify(module, path)`` runs the file in ANN mode against the module and reports the difference.

The paper's QCFS activation is a module class named ``QCFS`` with attributes ``T`` (levels L),
``v_threshold`` (λ) and ``p0`` (0.5). Other activation classes are mapped by an ``activation`` hook:
a function that returns ``(levels, threshold)`` for a module it recognises and ``None`` otherwise.
"""
from __future__ import annotations

import operator
import os
from dataclasses import dataclass
from typing import Any, Callable, Optional, Sequence, Union

import numpy as np

from . import writer as w
from .model import Model
from .session import Session

ActivationHook = Callable[[Any], Optional[tuple[int, float]]]
PathLike = Union[str, os.PathLike]


class UnsupportedModuleError(ValueError):
    """The network holds a module or operation the runtime has no layer for."""


def from_arrays(input_shape: Sequence[int], layers: Sequence[w.LayerSpec], path: Optional[PathLike] = None,
                weights: str = "float32") -> bytes:
    """Writes a model from numpy arrays and a layer list (see ``gnruntime.writer``); returns its bytes.
    ``weights="int8"`` stores int8 weights wherever a layer reads spike counts (``writer.encode``)."""
    return w.write(input_shape, layers, path, weights)


def _qcfs_parameters(module: Any, activation: Optional[ActivationHook]) -> Optional[tuple[int, float]]:
    if activation is not None:
        mapped = activation(module)
        if mapped is not None:
            return int(mapped[0]), float(mapped[1])
    if type(module).__name__ == "QCFS" and hasattr(module, "T") and hasattr(module, "v_threshold"):
        shift = float(getattr(module, "p0", 0.5))
        if shift != 0.5:
            raise UnsupportedModuleError(f"QCFS module with p0 = {shift}: the runtime's QCFS shift is 0.5")
        threshold = module.v_threshold
        threshold = float(threshold.detach().reshape(-1)[0]) if hasattr(threshold, "detach") else float(threshold)
        return int(module.T), threshold
    return None


def _numpy(tensor: Any) -> np.ndarray:
    return tensor.detach().cpu().double().numpy()


def _layers_from_torch(module: Any, input_shape: tuple[int, int, int],
                       activation: Optional[ActivationHook], keep_max_pool: bool) -> list[w.LayerSpec]:
    import torch
    import torch.fx
    from torch import nn
    from torch.fx.passes.shape_prop import ShapeProp

    # Activation parameters are read before tracing: while it traces, torch.fx replaces parameter
    # reads with proxies.
    activations: dict[int, tuple[int, float]] = {}
    for sub in module.modules():
        parameters = _qcfs_parameters(sub, activation)
        if parameters is not None:
            activations[id(sub)] = parameters

    class Tracer(torch.fx.Tracer):
        def is_leaf_module(self, m: nn.Module, qualified_name: str) -> bool:
            return id(m) in activations or super().is_leaf_module(m, qualified_name)

    graph = Tracer().trace(module)
    traced = torch.fx.GraphModule(module, graph)
    ShapeProp(traced).propagate(torch.zeros(1, *input_shape))

    layers: list[w.LayerSpec] = []
    value: dict[str, Any] = {}      # fx node name -> layer name ("input", "l3") or a Python constant
    producer: dict[str, w.LayerSpec] = {}

    def emit(node: Any, spec: w.LayerSpec) -> None:
        spec.name = f"l{len(layers)}"
        layers.append(spec)
        value[node.name] = spec.name
        producer[spec.name] = spec

    def tensor_input(node: Any, argument: Any) -> str:
        if not isinstance(argument, torch.fx.Node) or not isinstance(value.get(argument.name), str):
            raise UnsupportedModuleError(f"{node.format_node()}: expected a tensor argument")
        return value[argument.name]

    def describe(node: Any) -> str:
        if node.op == "call_module":
            return f"module '{node.target}' ({type(traced.get_submodule(node.target)).__name__})"
        return f"'{node.format_node()}'"

    def output_shape(node: Any) -> tuple[int, ...]:
        return tuple(node.meta["tensor_meta"].shape)

    for node in traced.graph.nodes:
        if node.op == "placeholder":
            value[node.name] = "input"
        elif node.op == "get_attr":
            raise UnsupportedModuleError(f"{describe(node)}: parameters used outside a module are not supported")
        elif node.op == "output":
            result = node.args[0]
            if not isinstance(result, torch.fx.Node) or value.get(result.name) != (layers[-1].name if layers else None):
                raise UnsupportedModuleError("the network's output must be its last layer")
        elif node.op == "call_module":
            m = traced.get_submodule(node.target)
            x = tensor_input(node, node.args[0])
            qcfs = activations.get(id(m))
            if qcfs is not None:
                emit(node, w.QCFS(levels=qcfs[0], threshold=qcfs[1], inputs=[x]))
            elif isinstance(m, nn.Conv2d):
                if m.groups != 1 or tuple(m.dilation) != (1, 1) or m.padding_mode != "zeros" or isinstance(m.padding, str):
                    raise UnsupportedModuleError(f"{describe(node)}: only groups=1, dilation=1 and numeric zero padding are supported")
                emit(node, w.Conv2d(_numpy(m.weight), None if m.bias is None else _numpy(m.bias),
                                    stride=tuple(m.stride), padding=tuple(m.padding), inputs=[x]))
            elif isinstance(m, nn.Linear):
                emit(node, w.Linear(_numpy(m.weight), None if m.bias is None else _numpy(m.bias), inputs=[x]))
            elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
                scale = _numpy(m.weight) / np.sqrt(_numpy(m.running_var) + m.eps) if m.affine else \
                    1.0 / np.sqrt(_numpy(m.running_var) + m.eps)
                shift = (_numpy(m.bias) if m.affine else 0.0) - _numpy(m.running_mean) * scale
                before = producer.get(x)
                # Fold only into the layer that produced this very node, when nothing else reads it.
                sole_user = node.args[0].op == "call_module" and len(node.args[0].users) == 1
                if sole_user and isinstance(before, w.Conv2d):
                    before.weight = np.asarray(before.weight) * scale[:, None, None, None]
                    before.bias = (0.0 if before.bias is None else np.asarray(before.bias)) * scale + shift
                    value[node.name] = x
                elif sole_user and isinstance(before, w.Linear) and isinstance(m, nn.BatchNorm1d):
                    before.weight = np.asarray(before.weight) * scale[:, None]
                    before.bias = (0.0 if before.bias is None else np.asarray(before.bias)) * scale + shift
                    value[node.name] = x
                else:
                    emit(node, w.Affine(scale, shift, inputs=[x]))
            elif isinstance(m, (nn.AvgPool2d, nn.MaxPool2d)):
                if m.ceil_mode:
                    raise UnsupportedModuleError(f"{describe(node)}: ceil_mode=True is not supported")
                if isinstance(m, nn.AvgPool2d) and (not m.count_include_pad or m.divisor_override is not None):
                    raise UnsupportedModuleError(f"{describe(node)}: only count_include_pad=True without divisor_override is supported")
                if isinstance(m, nn.MaxPool2d) and m.dilation not in (1, (1, 1)):
                    raise UnsupportedModuleError(f"{describe(node)}: dilation is not supported")
                pool = w.MaxPool2d if isinstance(m, nn.MaxPool2d) and keep_max_pool else w.AvgPool2d
                emit(node, pool(m.kernel_size, m.stride, m.padding, inputs=[x]))
            elif isinstance(m, nn.AdaptiveAvgPool2d):
                height, width = output_shape(node.args[0])[2:]
                out_h, out_w = w._pair(m.output_size if m.output_size is not None else 1)
                if (out_h, out_w) == (1, 1):
                    emit(node, w.GlobalAvgPool(inputs=[x]))
                elif (out_h, out_w) == (height, width):
                    value[node.name] = x
                elif height % out_h == 0 and width % out_w == 0:
                    emit(node, w.AvgPool2d((height // out_h, width // out_w), inputs=[x]))
                else:
                    raise UnsupportedModuleError(f"{describe(node)}: output {out_h}x{out_w} does not divide the input {height}x{width}")
            elif isinstance(m, nn.Flatten):
                if m.start_dim != 1 or m.end_dim != -1:
                    raise UnsupportedModuleError(f"{describe(node)}: only Flatten(1, -1) is supported")
                emit(node, w.Flatten(inputs=[x]))
            elif isinstance(m, (nn.Dropout, nn.Dropout2d, nn.Identity)):
                value[node.name] = x
            else:
                raise UnsupportedModuleError(f"{describe(node)} is not supported")
        elif node.op in ("call_function", "call_method"):
            target = node.target
            tensors = [a for a in node.args if isinstance(a, torch.fx.Node) and isinstance(value.get(a.name), str)]
            if target in (operator.add, torch.add, "add") and len(tensors) == 2 and not node.kwargs:
                emit(node, w.Add(inputs=[tensor_input(node, tensors[0]), tensor_input(node, tensors[1])]))
            elif target in (torch.flatten, "flatten", "view", "reshape") and len(tensors) == 1:
                shape_in, shape_out = output_shape(tensors[0]), output_shape(node)
                if len(shape_out) == 2 and shape_out[1] == int(np.prod(shape_in[1:])):
                    if len(shape_in) == 2:
                        value[node.name] = tensor_input(node, tensors[0])
                    else:
                        emit(node, w.Flatten(inputs=[tensor_input(node, tensors[0])]))
                else:
                    raise UnsupportedModuleError(f"{describe(node)}: only flattening to (batch, features) is supported")
            elif target in ("size", getattr) or (target == operator.getitem and not tensors):
                value[node.name] = None  # shape arithmetic for view(); no tensor
            elif target == "contiguous" and len(tensors) == 1:
                value[node.name] = tensor_input(node, tensors[0])
            else:
                raise UnsupportedModuleError(f"{describe(node)} is not supported")
    return layers


def from_torch(module: Any, path: Optional[PathLike], input_shape: Sequence[int], *,
               activation: Optional[ActivationHook] = None, keep_max_pool: bool = False,
               weights: str = "float32") -> bytes:
    """Exports a PyTorch ``module`` (trained with QCFS) for inputs of ``input_shape`` — (C, H, W) or
    (1, C, H, W) — to ``path`` (or only returns the bytes when ``path`` is None).

    MaxPool becomes AvgPool (as the paper converts it) unless ``keep_max_pool``, which keeps it for
    ANN-only use. ``weights="int8"`` stores the weights of every conv2d and linear layer that reads
    spike counts as int8, one scale per output channel (symmetric, max-abs); the first layer, which
    reads the analog input, keeps float32 weights (``writer.encode``). Raises
    ``UnsupportedModuleError`` naming any module or operation with no layer.
    """
    shape = tuple(int(v) for v in input_shape)
    if len(shape) == 4 and shape[0] == 1:
        shape = shape[1:]
    if len(shape) != 3:
        raise ValueError(f"input_shape must be (C, H, W), not {tuple(input_shape)}")
    was_training = module.training
    module.eval()
    try:
        layers = _layers_from_torch(module, shape, activation, keep_max_pool)  # type: ignore[arg-type]
    finally:
        module.train(was_training)
    return w.write(shape, layers, path, weights)


@dataclass
class Verification:
    """How closely a model file reproduces its module in ANN mode.

    Folding BatchNorm changes float rounding (~1e-6); where a QCFS input sits on a level boundary,
    that can move the activation by one level, so a few samples may differ by more than rounding.
    """
    max_abs_difference: float
    max_abs_output: float
    samples: int
    #: Samples whose outputs differ by more than 1e-4 of the output scale (a level moved somewhere).
    differing_samples: int
    #: Samples whose argmax differs.
    different_predictions: int

    @property
    def relative_difference(self) -> float:
        return self.max_abs_difference / max(self.max_abs_output, 1e-12)


def verify(module: Any, path: Union[PathLike, bytes], inputs: Optional[np.ndarray] = None,
           samples: int = 16, seed: int = 0) -> Verification:
    """Runs the model file in ANN mode and ``module`` (in eval mode) on ``inputs`` (float32 NCHW;
    by default ``samples`` uniform random images) and reports the differences."""
    import torch

    with Model.load(path) as model:
        if inputs is None:
            inputs = np.random.default_rng(seed).random((samples, *model.input_shape), dtype=np.float32)
        inputs = np.ascontiguousarray(inputs, dtype=np.float32)
        with Session(model, neuron="ann", batch=len(inputs)) as session:
            runtime = session.run(inputs)
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            reference = module(torch.from_numpy(inputs)).double().numpy().reshape(len(inputs), -1)
    finally:
        module.train(was_training)
    difference = np.abs(runtime - reference)
    scale = float(np.max(np.abs(reference)))
    return Verification(float(difference.max()), scale, len(inputs),
                        int(np.sum(difference.max(axis=1) > 1e-4 * max(scale, 1e-12))),
                        int(np.sum(runtime.argmax(axis=1) != reference.argmax(axis=1))))

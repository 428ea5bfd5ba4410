"""Rebuild a trainable network from an FP32 ONNX export of this detector.

This is how training continues from a committed model whose checkpoint is gone (checkpoints live in
the gitignored .work/ folder): ``train.py --init model.fp32.onnx``.

The exporter folds every BatchNorm into the convolution before it (W' = W g / s, b' = beta - m g / s),
so the ONNX file holds convolution weights and biases only. The import puts a BatchNorm back that is
exact: each convolution gets W', and its BatchNorm gets the mean m and variance v that W'x has on
training batches (measured by running them through the imported network, whose BatchNorms are first
set to "add b'"), with gamma = sqrt(v + eps) and beta = b' + m. Then BN(W'x) = W'x + b' in eval mode,
and nearly so in training mode, where each batch's own statistics stand in for (m, v): hence batches
of the same training tiles, not whole images, whose statistics differ.

Convolutions are matched to ONNX Conv nodes in execution order (the exporter writes nodes in the order
the trace ran them) and every shape is checked; ``check_against_onnx`` compares outputs end to end.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn

from .model import ConvBnAct, ExportWrapper, ModelConfig, YoloV8


class OnnxImportError(ValueError):
    """The ONNX file does not hold this detector at the requested configuration."""


def conv_execution_order(model: YoloV8, size: int) -> list[nn.Conv2d]:
    """The network's Conv2d modules in the order a forward pass runs them."""
    order: list[nn.Conv2d] = []
    hooks = [m.register_forward_pre_hook(lambda mod, _inp: order.append(mod))
             for m in model.modules() if isinstance(m, nn.Conv2d)]
    try:
        with torch.no_grad():
            model.eval()(torch.zeros(1, 3, size, size))
    finally:
        for h in hooks:
            h.remove()
    return order


def onnx_conv_weights(path: Path) -> list[tuple[str, np.ndarray, np.ndarray | None]]:
    """(node name, weight, bias or None) of every Conv node of the ONNX graph, in graph order."""
    m = onnx.load(str(path))
    inits = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    convs = []
    for node in m.graph.node:
        if node.op_type != "Conv":
            continue
        if node.input[1] not in inits:
            raise OnnxImportError(f"{path}: Conv node {node.name!r} has a computed weight, expected an initializer")
        bias = inits.get(node.input[2]) if len(node.input) > 2 else None
        convs.append((node.name, inits[node.input[1]], bias))
    return convs


def _bn_of(model: YoloV8) -> dict[nn.Conv2d, nn.BatchNorm2d]:
    return {m.conv: m.bn for m in model.modules() if isinstance(m, ConvBnAct)}


@torch.no_grad()
def import_onnx(path: Path, cfg: ModelConfig, calibration: list[torch.Tensor]) -> YoloV8:
    """A YoloV8 with ``cfg`` whose eval-mode output equals the ONNX model's. ``calibration``: input
    batches [B, 3, H, W] (RGB 0..1, H and W multiples of 32) for the BatchNorm statistics."""
    if not calibration:
        raise OnnxImportError("import_onnx: calibration must hold at least one input batch")
    model = YoloV8(cfg)
    order = conv_execution_order(model, calibration[0].shape[-1])
    convs = onnx_conv_weights(path)
    # earlier exports (up to the leg-8 model) did the DFL projection as a last, fixed 1x1 Conv
    if len(convs) == len(order) + 1 and convs[-1][1].shape == (1, cfg.reg_max, 1, 1):
        convs = convs[:-1]
    if len(convs) != len(order):
        raise OnnxImportError(f"{path}: {len(convs)} Conv nodes, expected the network's {len(order)} for width "
                              f"{cfg.width} depth {cfg.depth}")
    bns = _bn_of(model)
    folded_bias: dict[nn.Conv2d, torch.Tensor] = {}
    for conv, (name, w, b) in zip(order, convs):
        if tuple(w.shape) != tuple(conv.weight.shape):
            raise OnnxImportError(f"{path}: Conv node {name!r} has weight shape {list(w.shape)}, "
                                  f"expected {list(conv.weight.shape)} (width {cfg.width}, depth {cfg.depth})")
        if b is None:
            raise OnnxImportError(f"{path}: Conv node {name!r} has no bias, expected the folded BatchNorm's")
        conv.weight.copy_(torch.tensor(w))
        if conv in bns:
            folded_bias[conv] = torch.tensor(b)
            bn = bns[conv]  # "add b'" while the statistics are measured
            bn.weight.fill_(1.0)
            bn.bias.copy_(folded_bias[conv])
            bn.running_mean.zero_()
            bn.running_var.fill_(1.0 - bn.eps)
        else:
            conv.bias.copy_(torch.tensor(b))
    sums = {c: torch.zeros(c.out_channels, dtype=torch.float64) for c in folded_bias}
    squares = {c: torch.zeros(c.out_channels, dtype=torch.float64) for c in folded_bias}
    counts = {c: 0 for c in folded_bias}

    def measure(conv: nn.Conv2d, _inp: tuple, out: torch.Tensor) -> None:
        z = out.double().transpose(0, 1).flatten(1)
        sums[conv] += z.sum(1)
        squares[conv] += (z * z).sum(1)
        counts[conv] += z.shape[1]

    hooks = [c.register_forward_hook(measure) for c in folded_bias]
    try:
        model.eval()
        for x in calibration:
            model(x)
    finally:
        for h in hooks:
            h.remove()
    for conv, bn in ((c, bns[c]) for c in folded_bias):
        mean = sums[conv] / counts[conv]
        var = (squares[conv] / counts[conv] - mean * mean).clamp_min(0)
        bn.weight.copy_(torch.sqrt(var + bn.eps).float())
        bn.bias.copy_(folded_bias[conv] + mean.float())
        bn.running_mean.copy_(mean.float())
        bn.running_var.copy_(var.float())
    return model.eval()


def check_against_onnx(model: YoloV8, path: Path, x: torch.Tensor, tolerance: float = 0.01) -> float:
    """Largest absolute difference between the exported outputs of ``model`` and of the ONNX file at
    ``path`` (onnxruntime, CPU) on one input batch [1, 3, S, S] (the file's input size must be S);
    raises OnnxImportError above ``tolerance`` (outputs are box px and scores: float rounding is ~1e-3)."""
    import onnxruntime as ort

    with torch.no_grad():
        ours = ExportWrapper(model.eval(), x.shape[-1]).eval()(x).numpy()
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    theirs = sess.run(None, {sess.get_inputs()[0].name: x.numpy()})[0]
    diff = float(np.abs(ours - theirs).max())
    if diff > tolerance:
        raise OnnxImportError(f"{path}: the imported network's outputs differ from onnxruntime's by {diff:.3g}, "
                              f"expected at most {tolerance}")
    return diff

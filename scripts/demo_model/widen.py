"""Widen a trained detector to a larger width multiplier while keeping what it computes.

This is how the demo model grew from width 0.125 to YOLOv8n's 0.25 without starting over
(``train.py --init <narrow checkpoint or ONNX> --init-width 0.125 --width 0.25``), the function-preserving
widening of Net2Net (Chen, Goodfellow and Shlens, 2016): every channel of the wider network copies a
channel of the narrow one (channel j of a tensor whose narrow width is c copies channel j mod c, per
segment where the tensor is a concatenation or gets split), and a convolution's weights from a copied
channel are divided by the number of copies, so the next layer sums the copies back to the original.
BatchNorm and ReLU act per channel, residual additions and concatenations join tensors with matching
copy maps, so the wide network computes the narrow one's outputs.

Copies that start identical get identical gradients and would stay copies: ``noise`` splits each
weight reading a copied channel unevenly over the copies (shares 1/k plus a random part, still summing
to 1 over the k copies; the same shares in every copy of an output channel, so copies keep holding
equal values), which leaves what the network computes unchanged while the copies' gradients differ,
so they drift apart in training.
"""

from __future__ import annotations

import torch
from torch import nn

from .model import SPPF, C2f, ConvBnAct, ExportWrapper, ModelConfig, YoloV8


class WidenError(ValueError):
    """The requested widening is not possible (a narrower target, copy maps that do not fit)."""


def copy_map(old: int, new: int) -> torch.Tensor:
    """Which narrow channel each of ``new`` wide channels copies: j -> j mod old."""
    return torch.arange(new) % old


def joined(*maps: torch.Tensor) -> torch.Tensor:
    """The copy map of a concatenation of tensors with these copy maps (each covers all of its narrow
    channels, so its narrow width is its largest index + 1)."""
    out, offset = [], 0
    for g in maps:
        out.append(g + offset)
        offset += int(g.max()) + 1
    return torch.cat(out)


class _Widener:
    def __init__(self, noise: float, seed: int) -> None:
        self.noise = noise
        self.gen = torch.Generator().manual_seed(seed)

    def conv(self, src: nn.Conv2d, dst: nn.Conv2d, g_in: torch.Tensor, g_out: torch.Tensor) -> None:
        if len(g_in) != dst.in_channels or len(g_out) != dst.out_channels:
            raise WidenError(f"copy maps {len(g_in)}->{len(g_out)} do not fit a {dst.in_channels}->"
                             f"{dst.out_channels} convolution")
        copies_in = torch.bincount(g_in, minlength=src.in_channels).to(src.weight.dtype)
        share = 1.0 / copies_in[g_in].view(1, -1, 1, 1).expand(src.out_channels, -1, *src.weight.shape[2:])
        if self.noise > 0:  # uneven shares, the same for every copy of an output channel (they stay equal)
            e = torch.randn(share.shape, generator=self.gen) * self.noise * share
            total = torch.zeros(src.out_channels, src.in_channels, *e.shape[2:]).index_add_(1, g_in, e)
            share = share + e - (total / copies_in.view(1, -1, 1, 1))[:, g_in]
        share = share[g_out]
        w = src.weight[g_out][:, g_in] * share
        dst.weight.copy_(w)
        if src.bias is not None:
            dst.bias.copy_(src.bias[g_out])

    def cba(self, src: ConvBnAct, dst: ConvBnAct, g_in: torch.Tensor, g_out: torch.Tensor | None = None) -> torch.Tensor:
        """Widen a ConvBnAct; returns its output's copy map (plain j mod c unless given)."""
        if g_out is None:
            g_out = copy_map(src.conv.out_channels, dst.conv.out_channels)
        self.conv(src.conv, dst.conv, g_in, g_out)
        for name in ("weight", "bias", "running_mean", "running_var"):
            getattr(dst.bn, name).copy_(getattr(src.bn, name)[g_out])
        dst.bn.num_batches_tracked.copy_(src.bn.num_batches_tracked)
        return g_out

    def c2f(self, src: C2f, dst: C2f, g_in: torch.Tensor) -> torch.Tensor:
        half = copy_map(src.c, dst.c)
        self.cba(src.cv1, dst.cv1, g_in, joined(half, half))
        for m_src, m_dst in zip(src.m, dst.m):  # residual additions: in and out share the map `half`
            self.cba(m_src.cv1, m_dst.cv1, half)
            self.cba(m_src.cv2, m_dst.cv2, half, half)
        return self.cba(src.cv2, dst.cv2, joined(*[half] * (2 + len(src.m))))

    def sppf(self, src: SPPF, dst: SPPF, g_in: torch.Tensor) -> torch.Tensor:
        g = self.cba(src.cv1, dst.cv1, g_in)
        return self.cba(src.cv2, dst.cv2, joined(*[g] * 4))


@torch.no_grad()
def widen(model: YoloV8, width: float, noise: float = 0.0, seed: int = 0) -> YoloV8:
    """A YoloV8 at ``width`` (>= the model's) whose eval-mode outputs equal ``model``'s within float
    rounding; ``noise`` (relative, e.g. 0.1) makes the copies' outgoing weights differ."""
    src_cfg = model.cfg
    if width < src_cfg.width:
        raise WidenError(f"widen: target width {width} is narrower than the model's {src_cfg.width}")
    cfg = ModelConfig(**{**src_cfg.__dict__, "width": width})
    wide = YoloV8(cfg).eval()
    model = model.eval()
    w = _Widener(noise, seed)
    g = w.cba(model.stem, wide.stem, torch.arange(3))
    feats = []
    for name in ("b2", "b3", "b4", "b5"):
        s, d = getattr(model, name), getattr(wide, name)
        g = w.cba(s[0], d[0], g)
        g = w.c2f(s[1], d[1], g)
        if name == "b5":
            g = w.sppf(s[2], d[2], g)
        feats.append(g)
    g3, g4, g5 = feats[1], feats[2], feats[3]
    t4 = w.c2f(model.top4, wide.top4, joined(g5, g4))
    o3 = w.c2f(model.top3, wide.top3, joined(t4, g3))
    d3 = w.cba(model.down3, wide.down3, o3)
    o4 = w.c2f(model.out4, wide.out4, joined(d3, t4))
    d4 = w.cba(model.down4, wide.down4, o4)
    o5 = w.c2f(model.out5, wide.out5, joined(d4, g5))
    for level, g_level in enumerate((o3, o4, o5)):
        for s, d in ((model.head.box[level], wide.head.box[level]), (model.head.cls[level], wide.head.cls[level])):
            g = w.cba(s[0], d[0], g_level)
            g = w.cba(s[1], d[1], g)
            w.conv(s[2], d[2], g, torch.arange(s[2].out_channels))
    return wide.eval()


@torch.no_grad()
def check_widened(narrow: YoloV8, wide: YoloV8, x: torch.Tensor, tolerance: float = 0.01) -> float:
    """Largest absolute difference between the exported outputs (box px, scores) of the two networks on
    one input batch [1, 3, S, S]; raises WidenError above ``tolerance``."""
    ours = ExportWrapper(narrow.eval(), x.shape[-1]).eval()(x)
    theirs = ExportWrapper(wide.eval(), x.shape[-1]).eval()(x)
    diff = float((ours - theirs).abs().max())
    if diff > tolerance:
        raise WidenError(f"widen: the widened network's outputs differ from the narrow one's by {diff:.3g}, "
                         f"expected at most {tolerance}")
    return diff

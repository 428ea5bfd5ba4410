"""YOLOv8-style detector (backbone, PAN neck, anchor-free decoupled head with DFL), written from the
published architecture description.

Scale is set by ``width`` (channel multiplier, nano = 0.25) and ``depth`` (repeat multiplier,
nano = 0.33). The activation is configurable: ``relu`` is used for the demo model because it folds
into the quantized convolution (see README), ``silu`` is the original YOLOv8 choice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

STRIDES: tuple[int, int, int] = (8, 16, 32)


@dataclass(frozen=True)
class ModelConfig:
    """Network scale and head settings."""

    num_classes: int = 1
    width: float = 0.25
    depth: float = 0.33
    max_channels: int = 1024
    reg_max: int = 16
    activation: str = "relu"

    def ch(self, base: int) -> int:
        """Scaled channel count, rounded up to a multiple of 8."""
        return int(math.ceil(min(base, self.max_channels) * self.width / 8) * 8)

    def n(self, base: int) -> int:
        """Scaled number of repeats (at least 1)."""
        return max(round(base * self.depth), 1)


def make_act(name: str) -> nn.Module:
    """The activation module for ``name`` (``relu`` or ``silu``)."""
    if name == "relu":
        return nn.ReLU(inplace=True)
    if name == "silu":
        return nn.SiLU(inplace=True)
    raise ValueError(f"activation must be 'relu' or 'silu', got {name!r}")


class ConvBnAct(nn.Module):
    """Conv2d (no bias) + BatchNorm + activation, 'same' padding."""

    def __init__(self, c_in: int, c_out: int, k: int = 1, s: int = 1, act: str = "relu") -> None:
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, k, s, k // 2, bias=False)
        self.bn = nn.BatchNorm2d(c_out, eps=1e-3, momentum=0.03)
        self.act = make_act(act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(self.conv(x)))


class Bottleneck(nn.Module):
    """Two 3x3 convolutions with an optional residual connection."""

    def __init__(self, c: int, shortcut: bool, act: str) -> None:
        super().__init__()
        self.cv1 = ConvBnAct(c, c, 3, act=act)
        self.cv2 = ConvBnAct(c, c, 3, act=act)
        self.add = shortcut

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.cv2(self.cv1(x))
        return x + y if self.add else y


class C2f(nn.Module):
    """CSP block with two split halves and ``n`` bottlenecks whose outputs are all concatenated."""

    def __init__(self, c_in: int, c_out: int, n: int, shortcut: bool, act: str) -> None:
        super().__init__()
        self.c = c_out // 2
        self.cv1 = ConvBnAct(c_in, 2 * self.c, 1, act=act)
        self.cv2 = ConvBnAct((2 + n) * self.c, c_out, 1, act=act)
        self.m = nn.ModuleList(Bottleneck(self.c, shortcut, act) for _ in range(n))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.cv1(x)
        a, b = y[:, : self.c], y[:, self.c :]
        outs = [a, b]
        for m in self.m:
            b = m(b)
            outs.append(b)
        return self.cv2(torch.cat(outs, 1))


class SPPF(nn.Module):
    """Spatial pyramid pooling (fast): three chained 5x5 max-pools, concatenated."""

    def __init__(self, c_in: int, c_out: int, act: str) -> None:
        super().__init__()
        c_mid = c_in // 2
        self.cv1 = ConvBnAct(c_in, c_mid, 1, act=act)
        self.cv2 = ConvBnAct(c_mid * 4, c_out, 1, act=act)
        self.pool = nn.MaxPool2d(5, 1, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.cv1(x)
        p1 = self.pool(x)
        p2 = self.pool(p1)
        return self.cv2(torch.cat([x, p1, p2, self.pool(p2)], 1))


class DetectHead(nn.Module):
    """Decoupled head: per level a box branch (4 * reg_max DFL logits) and a class branch."""

    def __init__(self, cfg: ModelConfig, channels: tuple[int, int, int]) -> None:
        super().__init__()
        self.nc = cfg.num_classes
        self.reg_max = cfg.reg_max
        c_box = max(16, channels[0] // 4, 4 * cfg.reg_max)
        c_cls = max(channels[0], min(self.nc, 100))
        a = cfg.activation
        self.box = nn.ModuleList(
            nn.Sequential(ConvBnAct(c, c_box, 3, act=a), ConvBnAct(c_box, c_box, 3, act=a),
                          nn.Conv2d(c_box, 4 * self.reg_max, 1))
            for c in channels
        )
        self.cls = nn.ModuleList(
            nn.Sequential(ConvBnAct(c, c_cls, 3, act=a), ConvBnAct(c_cls, c_cls, 3, act=a),
                          nn.Conv2d(c_cls, self.nc, 1))
            for c in channels
        )
        self.register_buffer("proj", torch.arange(self.reg_max, dtype=torch.float32), persistent=False)

    def init_biases(self) -> None:
        """Prior-based bias init: box logits flat, class logits for ~0.01/cell at stride 8 of 640."""
        for box, cls, s in zip(self.box, self.cls, STRIDES):
            nn.init.constant_(box[-1].bias, 1.0)
            nn.init.constant_(cls[-1].bias, math.log(5 / self.nc / (640 / s) ** 2))

    def forward(self, feats: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Raw outputs flattened over all levels: box logits [B, N, 4*reg_max], class logits [B, N, nc]."""
        box_out, cls_out = [], []
        for f, box, cls in zip(feats, self.box, self.cls):
            box_out.append(box(f).flatten(2))
            cls_out.append(cls(f).flatten(2))
        return torch.cat(box_out, 2).transpose(1, 2), torch.cat(cls_out, 2).transpose(1, 2)


class YoloV8(nn.Module):
    """YOLOv8 detection network; ``forward`` returns raw head outputs for training."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        a, c, n = cfg.activation, cfg.ch, cfg.n
        self.stem = ConvBnAct(3, c(64), 3, 2, a)
        self.b2 = nn.Sequential(ConvBnAct(c(64), c(128), 3, 2, a), C2f(c(128), c(128), n(3), True, a))
        self.b3 = nn.Sequential(ConvBnAct(c(128), c(256), 3, 2, a), C2f(c(256), c(256), n(6), True, a))
        self.b4 = nn.Sequential(ConvBnAct(c(256), c(512), 3, 2, a), C2f(c(512), c(512), n(6), True, a))
        self.b5 = nn.Sequential(ConvBnAct(c(512), c(1024), 3, 2, a), C2f(c(1024), c(1024), n(3), True, a),
                                SPPF(c(1024), c(1024), a))
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.top4 = C2f(c(1024) + c(512), c(512), n(3), False, a)
        self.top3 = C2f(c(512) + c(256), c(256), n(3), False, a)
        self.down3 = ConvBnAct(c(256), c(256), 3, 2, a)
        self.out4 = C2f(c(256) + c(512), c(512), n(3), False, a)
        self.down4 = ConvBnAct(c(512), c(512), 3, 2, a)
        self.out5 = C2f(c(512) + c(1024), c(1024), n(3), False, a)
        self.head = DetectHead(cfg, (c(256), c(512), c(1024)))
        self.head.init_biases()

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        p3 = self.b3(self.b2(self.stem(x)))
        p4 = self.b4(p3)
        p5 = self.b5(p4)
        t4 = self.top4(torch.cat([self.up(p5), p4], 1))
        o3 = self.top3(torch.cat([self.up(t4), p3], 1))
        o4 = self.out4(torch.cat([self.down3(o3), t4], 1))
        o5 = self.out5(torch.cat([self.down4(o4), p5], 1))
        return self.head([o3, o4, o5])


def make_anchors(h: int, w: int, device: torch.device | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Anchor centres (in input pixels) and their strides for an input of h x w, ordered P3, P4, P5."""
    points, strides = [], []
    for s in STRIDES:
        gh, gw = h // s, w // s
        ys = (torch.arange(gh, device=device, dtype=torch.float32) + 0.5) * s
        xs = (torch.arange(gw, device=device, dtype=torch.float32) + 0.5) * s
        yy, xx = torch.meshgrid(ys, xs, indexing="ij")
        points.append(torch.stack([xx.flatten(), yy.flatten()], 1))
        strides.append(torch.full((gh * gw, 1), float(s), device=device))
    return torch.cat(points), torch.cat(strides)


def dfl_expectation(box_logits: torch.Tensor, reg_max: int) -> torch.Tensor:
    """Expected ltrb distances (in stride units) from DFL logits [..., 4*reg_max] -> [..., 4]."""
    shape = box_logits.shape[:-1]
    prob = box_logits.view(*shape, 4, reg_max).softmax(-1)  # softmax over the last axis (see ExportWrapper)
    proj = torch.arange(reg_max, dtype=prob.dtype, device=prob.device).view(-1, 1)
    return (prob @ proj).view(*shape, 4)


class ExportWrapper(nn.Module):
    """Adds the float decode for ONNX export: output [1, 4+nc, N] = cx, cy, w, h (input px), sigmoid scores.

    The DFL expectation is training's ``dfl_expectation``: a softmax over the last axis (the 16 bins of
    each side) and a MatMul with the bin values. A softmax over an inner axis (as in common YOLOv8
    exports: bins on axis 1, then a fixed 1x1 convolution) made onnxruntime transpose around it, 4 of
    the INT8 model's 21 ms here. Anchors and strides are baked in as constants for size S.
    """

    def __init__(self, model: YoloV8, size: int) -> None:
        super().__init__()
        self.model = model
        self.reg_max = model.cfg.reg_max
        points, strides = make_anchors(size, size)
        self.register_buffer("points", points.t().unsqueeze(0))  # [1, 2, N]
        self.register_buffer("strides", strides.t().unsqueeze(0))  # [1, 1, N]

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        box, cls = self.model(images)  # [1, N, 64], [1, N, nc]
        dist = dfl_expectation(box, self.reg_max).transpose(1, 2)  # [1, 4, N]
        lt, rb = dist[:, :2], dist[:, 2:]
        x1y1 = self.points - lt * self.strides
        x2y2 = self.points + rb * self.strides
        cxcy = (x1y1 + x2y2) / 2
        wh = x2y2 - x1y1
        return torch.cat([cxcy, wh, cls.transpose(1, 2).sigmoid()], 1)

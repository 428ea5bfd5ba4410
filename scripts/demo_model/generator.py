"""Synthetic camera images of brushed-steel tags with scratches, deterministic from a seed.

Every image is a pure function of (seed, index): ``render(seed, index)`` builds its own
``numpy.random.Generator`` from both, so any image can be regenerated alone and the data set does not
depend on how many worker processes made it.

What varies (all drawn per image):
- camera size: 640x480 up to about 2 MP, landscape and portrait, 4:3, 16:9, 3:2, 1:1;
- background: flat/gradient colours, low-frequency blotches, wood-like grain, conveyor belt stripes,
  fabric weave, clutter (random lines, rectangles, circles, text: straight thin lines OFF the tag are
  hard negatives), or a tilted table edge;
- tags: 0-3 per image (most images one), rounded rectangles of varied aspect with a hole, a bevelled
  edge, brushed texture in a random direction, anisotropic reflection bands and a specular spot, a
  stamped serial number (embossed or engraved, Hershey fonts), optional engraved border line, logo
  ring, rivet or dirt smudges, placed at random position, scale, rotation and mild perspective, with a
  drop shadow;
- scratches: 0-3 per tag, about half the tags clean; thin (1-4 px) bright or dark strokes, straight or
  curved (quadratic Bezier), many lengths and angles, tapered and with uneven intensity, sometimes a
  groove (dark line with a bright rim);
- photometry: lighting gradient and colour temperature, hot spot, vignetting, shadow band, gamma,
  Gaussian/Poisson-like sensor noise, Gaussian or motion blur (kept small enough that a 1 px scratch
  stays visible), JPEG quality 45-97 (PNG for a few).

Labels: YOLO text format (``0 cx cy w h`` normalized), one class ``scratch``; a scratch's box is the
extent of the visible part of its stroke plus max(2 px, 0.6 % of the image's long side). ``meta``
records the tags (polygon, scratch count) so evaluation can count false alarms on clean tags.

Labels are what a camera image shows, as an inspector would mark them: every image is rendered a
second time without its scratches (same random draws), both are JPEG-encoded at the image's quality
and decoded, and a point of a stroke's centre line counts as visible where the two differ by at least
``VISIBLE_LEVELS`` grey levels within 2 px. A scratch with fewer than ``VISIBLE_MIN_POINTS`` visible
points (a bright scratch on a tag that the lighting has driven into saturation, a faint one lost under
gain, gamma and JPEG) is not labelled; its pixels stay, as on a real part.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass, field
from multiprocessing import Pool
from pathlib import Path

import cv2
import numpy as np

SIZES: tuple[tuple[int, int], ...] = (
    (640, 480), (800, 600), (1024, 768), (1280, 960), (1600, 1200), (1280, 720), (1920, 1080),
    (1440, 1080), (1200, 800), (1500, 1000), (1024, 1024), (1200, 1200), (960, 720), (1366, 768),
)
FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_PLAIN,
         cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_TRIPLEX)
CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
# a scratch's box: its stroke extent plus max(2 px, 0.6 % of the image's long side), so that after the
# letterbox to 640 every box is at least ~9 input px on its short side (a 1-px hairline box would make
# IoU, and so the box loss and mAP, hinge on sub-pixel errors)
BOX_MARGIN_PX = 2.0
BOX_MARGIN_FRACTION = 0.006
# a stroke's centre-line point is visible where the image with the scratch and the image without it
# differ by at least this many grey levels (any channel, within 2 px); a scratch needs at least
# VISIBLE_MIN_POINTS such points (centre-line points are <= 3 tag px apart, so about 10 px or more)
VISIBLE_LEVELS = 16
VISIBLE_MIN_POINTS = 4


@dataclass
class Scratch:
    """One labelled scratch: its box in image pixels."""

    x1: float
    y1: float
    x2: float
    y2: float
    width_px: int
    bright: bool
    curved: bool


@dataclass
class Tag:
    """One tag in the image: its outline polygon (image px) and its scratches."""

    polygon: list[list[float]]
    scratches: list[Scratch] = field(default_factory=list)


@dataclass
class Sample:
    """A rendered image (RGB uint8) with its labels and description."""

    rgb: np.ndarray
    tags: list[Tag]
    jpeg_quality: int
    notes: list[str]

    def boxes(self) -> list[Scratch]:
        return [s for t in self.tags for s in t.scratches]

    def yolo_lines(self) -> list[str]:
        h, w = self.rgb.shape[:2]
        out = []
        for s in self.boxes():
            cx, cy = (s.x1 + s.x2) / 2 / w, (s.y1 + s.y2) / 2 / h
            out.append(f"0 {cx:.6f} {cy:.6f} {(s.x2 - s.x1) / w:.6f} {(s.y2 - s.y1) / h:.6f}")
        return out

    def meta(self) -> dict:
        h, w = self.rgb.shape[:2]
        return {"widthPx": w, "heightPx": h, "jpegQuality": self.jpeg_quality, "notes": self.notes,
                "tags": [{"polygon": [[round(x, 1), round(y, 1)] for x, y in t.polygon],
                          "scratches": len(t.scratches)} for t in self.tags],
                "boxes": [[round(s.x1, 1), round(s.y1, 1), round(s.x2, 1), round(s.y2, 1)] for s in self.boxes()]}


# ----------------------------------------------------------------------------------------------------
# textures


def smooth_noise(rng: np.random.Generator, h: int, w: int, cell: int) -> np.ndarray:
    """Low-frequency noise in about -1..1: random values on a coarse grid, bicubic upsampled."""
    gh, gw = max(h // cell, 1) + 2, max(w // cell, 1) + 2
    g = rng.standard_normal((gh, gw)).astype(np.float32)
    return cv2.resize(g, (w, h), interpolation=cv2.INTER_CUBIC) * 0.6


def background(rng: np.random.Generator, h: int, w: int) -> tuple[np.ndarray, str]:
    """A varied background (float32 RGB 0..255) and its kind."""
    kind = str(rng.choice(["flat", "blotch", "wood", "belt", "fabric", "clutter", "table"],
                          p=[0.12, 0.18, 0.14, 0.14, 0.12, 0.2, 0.1]))
    base = rng.uniform(15, 235, 3).astype(np.float32)
    if rng.random() < 0.5:  # mostly greyish industrial backgrounds
        base[:] = base.mean() + rng.uniform(-15, 15, 3)
    img = np.empty((h, w, 3), np.float32)
    img[:] = base
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if kind == "flat":
        ang = rng.uniform(0, 2 * math.pi)
        grad = (np.cos(ang) * xx / w + np.sin(ang) * yy / h)
        img += (grad * rng.uniform(-60, 60))[..., None]
    elif kind == "blotch":
        for c in range(3):
            img[..., c] += smooth_noise(rng, h, w, int(rng.integers(30, 200))) * rng.uniform(10, 50)
    elif kind == "wood":
        ang = rng.uniform(0, math.pi)
        u = np.cos(ang) * xx + np.sin(ang) * yy
        warp = smooth_noise(rng, h, w, 120) * rng.uniform(5, 30)
        grain = np.sin((u + warp) / rng.uniform(3, 14)) * 0.5 + 0.5
        tint = np.array([1.0, 0.75, 0.5], np.float32) * rng.uniform(0.4, 1.0)
        img = img * 0.5 + (grain[..., None] * 80 + 60) * tint
    elif kind == "belt":
        period = rng.uniform(8, 60)
        ang = rng.uniform(0, math.pi)
        u = np.cos(ang) * xx + np.sin(ang) * yy
        img += (((u / period) % 1.0 < rng.uniform(0.2, 0.8)) * rng.uniform(-50, 50))[..., None]
        img += rng.normal(0, 6, (h, w, 1)).astype(np.float32)
    elif kind == "fabric":
        p1, p2 = rng.uniform(3, 9), rng.uniform(3, 9)
        weave = np.sin(xx / p1) * np.sin(yy / p2)
        img += (weave * rng.uniform(10, 40))[..., None]
        img += smooth_noise(rng, h, w, 80)[..., None] * 20
    elif kind == "table":
        ang = rng.uniform(0, math.pi)
        u = np.cos(ang) * (xx - w * rng.uniform(0.2, 0.8)) + np.sin(ang) * (yy - h * rng.uniform(0.2, 0.8))
        img[u > 0] = rng.uniform(15, 235, 3).astype(np.float32)
        img += smooth_noise(rng, h, w, 100)[..., None] * 15
    if kind == "clutter" or rng.random() < 0.2:
        draw_clutter(rng, img)
    return img, kind


def draw_clutter(rng: np.random.Generator, img: np.ndarray) -> None:
    """Random lines (thin straight strokes, hard negatives off the tag), shapes and text."""
    h, w = img.shape[:2]
    for _ in range(int(rng.integers(3, 16))):
        colour = tuple(float(v) for v in rng.uniform(0, 255, 3))
        what = rng.random()
        p = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        if what < 0.45:
            q = (int(rng.integers(0, w)), int(rng.integers(0, h)))
            cv2.line(img, p, q, colour, int(rng.integers(1, 5)), cv2.LINE_AA)
        elif what < 0.65:
            q = (p[0] + int(rng.integers(20, w // 3)), p[1] + int(rng.integers(20, h // 3)))
            cv2.rectangle(img, p, q, colour, int(rng.choice([-1, 1, 2, 3])), cv2.LINE_AA)
        elif what < 0.85:
            cv2.circle(img, p, int(rng.integers(5, min(h, w) // 6)), colour, int(rng.choice([-1, 1, 2])),
                       cv2.LINE_AA)
        else:
            text = "".join(rng.choice(list(CHARS), int(rng.integers(2, 8))))
            glyph = text_mask(img.shape[:2], text, p, int(rng.choice(FONTS)), rng.uniform(0.5, 2.5),
                              int(rng.integers(1, 4)))
            img[:] = img * (1 - glyph[..., None]) + glyph[..., None] * np.float32(colour)


def text_mask(shape: tuple[int, int], text: str, org: tuple[int, int], font: int, scale: float,
              thick: int) -> np.ndarray:
    """Antialiased coverage (float32 0..1) of ``text`` drawn at ``org``."""
    m = np.zeros(shape, np.uint8)
    cv2.putText(m, text, org, font, scale, 255, thick, cv2.LINE_AA)
    return m.astype(np.float32) / 255.0


def brushed_steel(rng: np.random.Generator, h: int, w: int, angle_deg: float, base: float) -> np.ndarray:
    """Grey brushed-metal texture (float32 0..255): noise smeared along one direction."""
    pad = int(math.ceil(math.hypot(h, w)))
    n = rng.standard_normal((pad, pad)).astype(np.float32)
    klen = int(rng.integers(15, 61))
    kernel = np.zeros((1, klen), np.float32)
    kernel[0, :] = 1.0 / klen
    streak = cv2.filter2D(n, -1, kernel) * math.sqrt(klen)
    fine = cv2.filter2D(rng.standard_normal((pad, pad)).astype(np.float32), -1, kernel[:, : max(klen // 4, 2)] * 4)
    tex = streak * rng.uniform(3, 12) + fine * rng.uniform(0.5, 3)
    m = cv2.getRotationMatrix2D((pad / 2, pad / 2), angle_deg, 1.0)
    tex = cv2.warpAffine(tex, m, (pad, pad), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    y0, x0 = (pad - h) // 2, (pad - w) // 2
    return base + tex[y0 : y0 + h, x0 : x0 + w]


# ----------------------------------------------------------------------------------------------------
# tag


def rounded_rect_mask(h: int, w: int, radius: int) -> np.ndarray:
    mask = np.zeros((h, w), np.uint8)
    r = max(min(radius, h // 2 - 1, w // 2 - 1), 1)
    cv2.rectangle(mask, (r, 0), (w - 1 - r, h - 1), 255, -1)
    cv2.rectangle(mask, (0, r), (w - 1, h - 1 - r), 255, -1)
    for cx, cy in ((r, r), (w - 1 - r, r), (r, h - 1 - r), (w - 1 - r, h - 1 - r)):
        cv2.circle(mask, (cx, cy), r, 255, -1, cv2.LINE_AA)
    return mask


@dataclass
class TagLayer:
    """A tag rendered in its own frame: colour, alpha, the region where scratches may go, and the
    3x3 transform from tag frame to image."""

    rgb: np.ndarray
    alpha: np.ndarray
    scratchable: np.ndarray
    transform: np.ndarray
    notes: list[str]


def render_tag(rng: np.random.Generator, tw: int, th: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Tag in its own frame: (rgb float32, alpha float32 0..1, scratchable mask uint8, notes)."""
    notes: list[str] = []
    radius = int(min(tw, th) * rng.uniform(0.04, 0.3))
    mask = rounded_rect_mask(th, tw, radius)
    base = rng.uniform(95, 215)
    brush_angle = float(rng.choice([0.0, 90.0, rng.uniform(0, 180)], p=[0.5, 0.25, 0.25]))
    grey = brushed_steel(rng, th, tw, brush_angle, base)
    yy, xx = np.mgrid[0:th, 0:tw].astype(np.float32)
    # anisotropic reflection bands and a specular spot
    for _ in range(int(rng.integers(0, 4))):
        ang = rng.uniform(0, math.pi)
        u = np.cos(ang) * (xx - tw * rng.uniform(0, 1)) + np.sin(ang) * (yy - th * rng.uniform(0, 1))
        sig = rng.uniform(0.03, 0.4) * max(tw, th)
        grey += np.exp(-(u / sig) ** 2) * rng.uniform(-50, 70)
    if rng.random() < 0.5:
        cx, cy = rng.uniform(0, tw), rng.uniform(0, th)
        sig = rng.uniform(0.05, 0.3) * max(tw, th)
        grey += np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * sig**2)) * rng.uniform(20, 90)
        notes.append("specular highlight")
    # bevelled edge: light on one side, dark on the other
    edge_w = int(rng.integers(2, max(3, min(tw, th) // 25) + 1))
    inner = cv2.erode(mask, np.ones((edge_w * 2 + 1, edge_w * 2 + 1), np.uint8))
    rim = (mask > 0) & (inner == 0)
    light = np.cos(rng.uniform(0, 2 * math.pi)) * (xx / tw - 0.5) + np.sin(rng.uniform(0, 2 * math.pi)) * (yy / th - 0.5)
    grey[rim] += (light[rim] * rng.uniform(40, 120)) + rng.uniform(-30, 30)
    scratchable = inner.copy()
    # hole near one end (background shows through), with a dark/bright rim
    if rng.random() < 0.85:
        hr = int(min(tw, th) * rng.uniform(0.08, 0.18))
        end = rng.random() < 0.5
        if tw >= th:
            hc = (int(hr * 2 + edge_w if end else tw - hr * 2 - edge_w), int(th / 2 + rng.uniform(-0.1, 0.1) * th))
        else:
            hc = (int(tw / 2 + rng.uniform(-0.1, 0.1) * tw), int(hr * 2 + edge_w if end else th - hr * 2 - edge_w))
        rim_w = int(rng.integers(1, max(2, hr // 3) + 1))
        ring = np.zeros_like(mask)
        cv2.circle(ring, hc, hr + rim_w, 255, -1, cv2.LINE_AA)
        grey[ring > 0] += rng.uniform(-70, 60)
        cv2.circle(mask, hc, hr, 0, -1, cv2.LINE_AA)
        cv2.circle(scratchable, hc, hr + rim_w + 3, 0, -1)
        notes.append("hole")
    # stamped serial: embossed (light above, dark below) or engraved (dark), 1-2 lines
    lines = int(rng.choice([0, 1, 1, 2], p=[0.1, 0.45, 0.25, 0.2]))
    font = int(rng.choice(FONTS))
    for li in range(lines):
        text = "".join(rng.choice(list(CHARS), int(rng.integers(4, 11))))
        if rng.random() < 0.4:
            text = text[:3] + "-" + text[3:]
        thick = int(rng.integers(1, 4))
        (tw0, th0), _ = cv2.getTextSize(text, font, 1.0, thick)
        scale = min(tw * rng.uniform(0.35, 0.8) / tw0, th * rng.uniform(0.12, 0.3) / th0)
        thick = max(1, int(thick * scale))
        (twt, tht), _ = cv2.getTextSize(text, font, scale, thick)
        ox = int(rng.uniform(0.1, 0.9) * max(tw - twt, 1))
        oy = int(th * (0.3 + 0.45 * li) + tht / 2 + rng.uniform(-0.05, 0.05) * th)
        depth = rng.uniform(25, 90)
        off = int(rng.integers(1, 3))
        glyph = text_mask((th, tw), text, (ox, oy), font, scale, thick)
        shifted = np.roll(glyph, (off, off), (0, 1))
        if rng.random() < 0.5:
            grey += (glyph - shifted) * depth  # embossed
        else:
            grey += (shifted * 0.5 - glyph) * depth  # engraved
        notes.append("serial")
    # engraved border line (straight thin lines that are NOT scratches), rivet, dirt
    if rng.random() < 0.2:
        m = int(edge_w + min(tw, th) * rng.uniform(0.05, 0.12))
        border = rounded_rect_mask(th - 2 * m, tw - 2 * m, max(radius - m, 2))
        # a 1 px frame of zeros first: without it the straight sides, which touch the array's edge, get
        # no gradient and only the four corner arcs were drawn (which look like curved scratches)
        border = cv2.copyMakeBorder(border, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
        outline = cv2.morphologyEx(border, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
        lines_img = np.zeros((th, tw), np.float32)
        lines_img[m - 1 : th - m + 1, m - 1 : tw - m + 1] = outline / 255.0
        grey += lines_img * rng.uniform(-60, 50)
        notes.append("engraved border")
    if rng.random() < 0.25:
        ring_c = (int(rng.uniform(0.25, 0.75) * tw), int(rng.uniform(0.25, 0.75) * th))
        cv2.circle(grey, ring_c, int(min(tw, th) * rng.uniform(0.06, 0.15)), float(base + rng.uniform(-60, 60)),
                   int(rng.integers(1, 4)), cv2.LINE_AA)
        notes.append("logo ring")
    if rng.random() < 0.35:
        for _ in range(int(rng.integers(1, 6))):
            c = (int(rng.uniform(0, tw)), int(rng.uniform(0, th)))
            axes = (int(rng.uniform(3, 0.12 * tw)), int(rng.uniform(3, 0.12 * th)))
            blob = np.zeros((th, tw), np.float32)
            cv2.ellipse(blob, c, axes, rng.uniform(0, 180), 0, 360, 1.0, -1)
            blob = cv2.GaussianBlur(blob, (0, 0), max(axes) / 2 + 1)
            grey += blob * rng.uniform(-45, 25)
        notes.append("smudges")
    tint = np.array([1.0, 1.0, 1.0], np.float32) + rng.uniform(-0.06, 0.06, 3).astype(np.float32)
    if rng.random() < 0.15:  # brass / anodised tint
        tint = np.array([1.05, 0.9, 0.6], np.float32) if rng.random() < 0.5 else rng.uniform(0.7, 1.1, 3).astype(np.float32)
        notes.append("tinted metal")
    rgb = grey[..., None] * tint
    alpha = mask.astype(np.float32) / 255.0
    return rgb, alpha, scratchable, notes


def tag_transform(rng: np.random.Generator, tw: int, th: int, cx: float, cy: float) -> np.ndarray:
    """3x3 matrix: rotate about the tag centre, mild perspective, move the centre to (cx, cy)."""
    ang = math.radians(rng.uniform(-180, 180) if rng.random() < 0.6 else rng.uniform(-12, 12))
    c, s = math.cos(ang), math.sin(ang)
    t0 = np.array([[1, 0, -tw / 2], [0, 1, -th / 2], [0, 0, 1]], np.float64)
    rot = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]], np.float64)
    persp = np.eye(3)
    if rng.random() < 0.5:
        persp[2, 0] = rng.uniform(-0.25, 0.25) / max(tw, th)
        persp[2, 1] = rng.uniform(-0.25, 0.25) / max(tw, th)
    t1 = np.array([[1, 0, cx], [0, 1, cy], [0, 0, 1]], np.float64)
    return t1 @ persp @ rot @ t0


def apply_h(m: np.ndarray, pts: np.ndarray) -> np.ndarray:
    p = np.c_[pts, np.ones(len(pts))] @ m.T
    return p[:, :2] / p[:, 2:3]


# ----------------------------------------------------------------------------------------------------
# scratches


def scratch_points(rng: np.random.Generator, scratchable: np.ndarray, tw: int, th: int) -> tuple[np.ndarray, bool] | None:
    """A polyline in the tag frame lying inside the scratchable region, or None if none was found."""
    long_side = max(tw, th)
    for attempt in range(30):
        length = (0.93**attempt) * long_side * float(rng.choice([rng.uniform(0.05, 0.15), rng.uniform(0.15, 0.4), rng.uniform(0.4, 0.8)],
                                              p=[0.3, 0.45, 0.25]))
        length = max(length, 14.0)
        ang = rng.uniform(0, math.pi)
        if rng.random() < 0.3:  # along or across the brushing, as wiping and handling tend to
            ang = float(rng.choice([0.0, math.pi / 2])) + rng.uniform(-0.15, 0.15)
        p0 = np.array([rng.uniform(0, tw), rng.uniform(0, th)])
        d = np.array([math.cos(ang), math.sin(ang)])
        p2 = p0 + d * length
        curved = rng.random() < 0.4
        mid = (p0 + p2) / 2
        if curved:
            mid = mid + np.array([-d[1], d[0]]) * length * rng.uniform(-0.35, 0.35)
        t = np.linspace(0, 1, max(int(length / 3), 8))[:, None]
        pts = (1 - t) ** 2 * p0 + 2 * (1 - t) * t * mid + t**2 * p2
        xi, yi = np.round(pts[:, 0]).astype(int), np.round(pts[:, 1]).astype(int)
        if xi.min() < 0 or yi.min() < 0 or xi.max() >= tw or yi.max() >= th:
            continue
        if scratchable[yi, xi].min() == 0:
            continue
        return pts, curved
    return None


def draw_scratch(rng: np.random.Generator, img: np.ndarray, tag_alpha: np.ndarray, pts: np.ndarray, width: int,
                 bright: bool, apply: bool = True) -> None:
    """Draw one scratch (image px polyline) onto img, only where the tag is (tag_alpha). With ``apply``
    false the same random draws are made and nothing is drawn (the scratch-free twin of an image)."""
    h, w = img.shape[:2]
    x0, y0 = np.floor(pts.min(0)).astype(int) - 8
    x1, y1 = np.ceil(pts.max(0)).astype(int) + 8
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 <= x0 or y1 <= y0:
        return
    sub = img[y0:y1, x0:x1]
    local = pts - [x0, y0]
    stroke = np.zeros(sub.shape[:2], np.float32)
    n = len(local)
    # intensity along the scratch: tapered ends and uneven pressure
    prof = np.clip(np.sin(np.linspace(0, math.pi, n)) * rng.uniform(1.5, 4), 0, 1)
    prof *= np.clip(1 + np.cumsum(rng.normal(0, 0.15, n)) * 0.3, 0.35, 1.2)
    shift = 16
    for i in range(n - 1):
        a = tuple(int(v) for v in np.round(local[i] * (1 << shift)))
        b = tuple(int(v) for v in np.round(local[i + 1] * (1 << shift)))
        cv2.line(stroke, a, b, float(prof[i]), width, cv2.LINE_AA, shift)
    stroke = np.minimum(stroke, 1.2)
    contrast = rng.uniform(45, 120)
    local_mean = float(sub.reshape(-1, 3).mean())
    if bright:
        contrast = min(contrast, 265 - local_mean) if local_mean < 220 else contrast * 0.5
        delta = stroke * contrast
        if rng.random() < 0.3:  # groove: bright line with a dark shadow beside it
            delta -= np.roll(stroke, (1, 1), (0, 1)) * contrast * 0.5
    else:
        contrast = min(contrast, local_mean - 5) if local_mean > 45 else contrast * 0.5
        delta = -stroke * contrast
        if rng.random() < 0.3:
            delta += np.roll(stroke, (-1, -1), (0, 1)) * contrast * 0.4
    if apply:
        sub += (delta * tag_alpha[y0:y1, x0:x1])[..., None]


# ----------------------------------------------------------------------------------------------------
# image


@dataclass
class StrokeView:
    """One drawn scratch as the camera file shows it: its centre line (image px) and, per point, the
    largest grey-level difference within 2 px between the image and the same image without scratches."""

    tag: Tag
    scratch: Scratch
    points: np.ndarray
    levels: np.ndarray

    def visible_points(self) -> np.ndarray:
        return self.points[self.levels >= VISIBLE_LEVELS]

    def visible_levels(self) -> np.ndarray:
        return self.levels[self.levels >= VISIBLE_LEVELS]

    def labelled(self) -> bool:
        return len(self.visible_points()) >= VISIBLE_MIN_POINTS


def render_strokes(seed: int, index: int, size: tuple[int, int] | None = None, force_tags: int | None = None,
                   force_scratches: int | None = None) -> tuple[Sample, list[StrokeView]]:
    """The image of ``render`` (labelled with whole strokes) and how visible each drawn stroke is."""
    sample, strokes = _render(seed, index, size, force_tags, force_scratches, draw=True)
    if not strokes:
        return sample, []
    bare, _ = _render(seed, index, size, force_tags, force_scratches, draw=False)
    diff = np.abs(jpeg_roundtrip(sample).astype(np.int16) - jpeg_roundtrip(bare).astype(np.int16)).max(2)
    near = cv2.dilate(diff.astype(np.uint8), np.ones((5, 5), np.uint8))
    h, w = diff.shape
    views = []
    for tag, scratch, pts in strokes:
        xi = np.clip(np.round(pts[:, 0]).astype(int), 0, w - 1)
        yi = np.clip(np.round(pts[:, 1]).astype(int), 0, h - 1)
        views.append(StrokeView(tag, scratch, pts, near[yi, xi]))
    return sample, views


def visible_box(view: StrokeView, w: int, h: int) -> Scratch:
    """The label of a stroke: the extent of its visible part plus the box margin."""
    s = view.scratch
    return scratch_box(view.visible_points(), s.width_px, s.bright, s.curved, w, h)


def render(seed: int, index: int, size: tuple[int, int] | None = None, force_tags: int | None = None,
           force_scratches: int | None = None) -> Sample:
    """Render image ``index`` of data set ``seed``. ``size`` (w, h), ``force_tags`` and
    ``force_scratches`` (per tag) override the random choices (used for the committed samples).
    Only the visible part of each scratch is labelled (see the module notes)."""
    sample, views = render_strokes(seed, index, size, force_tags, force_scratches)
    if not views:
        return sample
    h, w = sample.rgb.shape[:2]
    for tag in sample.tags:
        tag.scratches.clear()
    for view in views:
        if view.labelled():
            view.tag.scratches.append(visible_box(view, w, h))
    return sample


def jpeg_roundtrip(sample: Sample) -> np.ndarray:
    """The image as a camera file at the sample's JPEG quality shows it."""
    return cv2.imdecode(np.frombuffer(encode(sample), np.uint8), cv2.IMREAD_COLOR)


def scratch_box(pts: np.ndarray, width: int, bright: bool, curved: bool, w: int, h: int) -> Scratch:
    """The label of a stroke through ``pts`` (image px): their extent plus the box margin."""
    half = width / 2 + max(BOX_MARGIN_PX, BOX_MARGIN_FRACTION * max(w, h))
    x1, y1 = pts.min(0) - half
    x2, y2 = pts.max(0) + half
    return Scratch(float(max(x1, 0)), float(max(y1, 0)), float(min(x2, w)), float(min(y2, h)), width, bright, curved)


def _render(seed: int, index: int, size: tuple[int, int] | None, force_tags: int | None,
            force_scratches: int | None, draw: bool) -> tuple[Sample, list[tuple[Tag, Scratch, np.ndarray]]]:
    """The image with every scratch drawn (``draw``) or none, labelled with whole strokes; and each
    stroke's centre line (image px) with its tag and label."""
    strokes: list[tuple[Tag, Scratch, np.ndarray]] = []
    rng = np.random.default_rng([seed, index])
    notes: list[str] = []
    if size is None:
        w, h = SIZES[int(rng.integers(len(SIZES)))]
        if rng.random() < 0.15:
            w, h = h, w
    else:
        w, h = size
    img, bg_kind = background(rng, h, w)
    notes.append(f"background {bg_kind}")
    n_tags = force_tags if force_tags is not None else int(rng.choice([0, 1, 2, 3], p=[0.06, 0.74, 0.14, 0.06]))
    if n_tags == 0:
        notes.append("no tag")
    tags: list[Tag] = []
    occupied: list[tuple[float, float, float]] = []
    for _ in range(n_tags):
        # tag size relative to the frame; scratch widths stay 1-4 image px whatever the size
        scale = rng.uniform(0.35, 0.85) if n_tags == 1 else rng.uniform(0.22, 0.45)
        long_px = scale * min(w, h) * rng.uniform(1.0, 1.5)
        aspect = rng.uniform(1.3, 3.2)
        tw, th = int(long_px), int(long_px / aspect)
        if rng.random() < 0.2:
            tw, th = th, tw
        tw, th = max(tw, 40), max(th, 24)
        diag = math.hypot(tw, th) / 2
        placed = False
        for _ in range(20):
            cx = rng.uniform(min(diag, w / 2), max(w - diag, w / 2))
            cy = rng.uniform(min(diag, h / 2), max(h - diag, h / 2))
            if all(math.hypot(cx - ox, cy - oy) > (diag + od) * 0.9 for ox, oy, od in occupied):
                placed = True
                break
        if not placed:
            continue
        occupied.append((cx, cy, diag))
        trgb, talpha, scratchable, tnotes = render_tag(rng, tw, th)
        m = tag_transform(rng, tw, th, cx, cy)
        # drop shadow
        if rng.random() < 0.7:
            sh = cv2.warpPerspective(talpha, m, (w, h), flags=cv2.INTER_LINEAR)
            off = rng.uniform(-0.04, 0.04, 2) * long_px
            shm = np.float32([[1, 0, off[0]], [0, 1, off[1]]])
            sh = cv2.GaussianBlur(cv2.warpAffine(sh, shm, (w, h)), (0, 0), rng.uniform(2, 0.05 * long_px + 3))
            img *= (1 - sh * rng.uniform(0.2, 0.6))[..., None]
        wa = cv2.warpPerspective(talpha, m, (w, h), flags=cv2.INTER_LINEAR)
        wr = cv2.warpPerspective(trgb, m, (w, h), flags=cv2.INTER_LINEAR)
        img = img * (1 - wa[..., None]) + wr * wa[..., None]
        poly = apply_h(m, np.array([[0, 0], [tw, 0], [tw, th], [0, th]], np.float64))
        tag = Tag(polygon=poly.tolist())
        k = force_scratches if force_scratches is not None else (
            0 if rng.random() < 0.5 else int(rng.choice([1, 2, 3], p=[0.5, 0.3, 0.2])))
        # the tag's inner surface (no rim, no hole) in image px, to keep scratches on the metal
        inner = cv2.warpPerspective(talpha * (scratchable > 0), m, (w, h), flags=cv2.INTER_LINEAR)
        for _ in range(k):
            found = scratch_points(rng, scratchable, tw, th)
            if found is None:
                continue
            pts_tag, curved = found
            pts = apply_h(m, pts_tag)
            width = int(rng.choice([1, 2, 3, 4], p=[0.3, 0.3, 0.25, 0.15]))
            bright = bool(rng.random() < 0.55)
            draw_scratch(rng, img, inner, pts, width, bright, apply=draw)
            scratch = scratch_box(pts, width, bright, curved, w, h)
            tag.scratches.append(scratch)
            strokes.append((tag, scratch, pts))
        notes.extend(n for n in tnotes if n not in notes)
        tags.append(tag)
    img = photometric(rng, img, notes)
    q = int(rng.integers(45, 98))
    return Sample(rgb=img, tags=tags, jpeg_quality=q, notes=notes), strokes


def photometric(rng: np.random.Generator, img: np.ndarray, notes: list[str]) -> np.ndarray:
    """Lighting, colour temperature, vignetting, shadow, gamma, noise, blur -> uint8 RGB."""
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ang = rng.uniform(0, 2 * math.pi)
    grad = 1 + (np.cos(ang) * (xx / w - 0.5) + np.sin(ang) * (yy / h - 0.5)) * rng.uniform(0, 0.7)
    img = img * grad[..., None]
    if rng.random() < 0.3:
        cx, cy, sig = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0.1, 0.5) * max(w, h)
        img += (np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * sig**2)) * rng.uniform(20, 80))[..., None]
        notes.append("hot spot")
    temp = rng.uniform(-0.12, 0.12)
    img *= np.array([1 + temp, 1.0, 1 - temp], np.float32)
    if rng.random() < 0.7:
        r2 = ((xx / w - 0.5) ** 2 + (yy / h - 0.5) ** 2) * 4
        img *= (1 - rng.uniform(0.1, 0.6) * np.clip(r2, 0, 2) / 2)[..., None]
        notes.append("vignetting")
    if rng.random() < 0.2:
        ang = rng.uniform(0, math.pi)
        u = np.cos(ang) * (xx - w * rng.uniform(0.2, 0.8)) + np.sin(ang) * (yy - h * rng.uniform(0.2, 0.8))
        img *= (1 - rng.uniform(0.2, 0.55) / (1 + np.exp(-u / rng.uniform(3, 40))))[..., None]
        notes.append("shadow band")
    gain = rng.uniform(0.6, 1.35)
    img = np.clip(img * gain, 0, 255)
    gamma = rng.uniform(0.75, 1.35)
    img = 255.0 * (img / 255.0) ** gamma
    blur = rng.random()
    if blur < 0.3:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.4, 1.0))
        notes.append("blur")
    elif blur < 0.4:
        k = int(rng.integers(2, 5))
        kernel = np.zeros((k, k), np.float32)
        kernel[k // 2, :] = 1.0 / k
        rot = cv2.getRotationMatrix2D(((k - 1) / 2, (k - 1) / 2), rng.uniform(0, 180), 1.0)
        kernel = cv2.warpAffine(kernel, rot, (k, k))
        img = cv2.filter2D(img, -1, kernel / max(kernel.sum(), 1e-6))
        notes.append("motion blur")
    sigma = rng.uniform(0, 9) if rng.random() < 0.8 else rng.uniform(9, 16)
    noise = rng.standard_normal(img.shape[:2] + (1,)).astype(np.float32) * sigma * 0.7
    noise = noise + rng.standard_normal(img.shape).astype(np.float32) * sigma * 0.5 * np.sqrt(np.clip(img, 1, 255) / 128)
    if sigma > 9:
        notes.append("strong noise")
    return np.clip(img + noise, 0, 255).astype(np.uint8)


def encode(sample: Sample, fmt: str = "jpg") -> bytes:
    """The image file bytes: JPEG at the sample's quality, or PNG."""
    bgr = cv2.cvtColor(sample.rgb, cv2.COLOR_RGB2BGR)
    if fmt == "png":
        ok, buf = cv2.imencode(".png", bgr, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    else:
        ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, sample.jpeg_quality])
    if not ok:
        raise RuntimeError("image encoding failed")
    return buf.tobytes()


def _write_one(args: tuple[int, int, Path]) -> None:
    seed, index, out = args
    stem = f"{index:06d}"
    meta_path = out / "meta" / f"{stem}.json"
    if meta_path.exists():
        return  # already made (every image is a pure function of seed and index)
    s = render(seed, index)
    (out / "images" / f"{stem}.jpg").write_bytes(encode(s))
    (out / "labels" / f"{stem}.txt").write_text("".join(line + "\n" for line in s.yolo_lines()))
    tmp = meta_path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"file": f"{stem}.jpg", **s.meta()}))
    tmp.replace(meta_path)  # written last: an image counts as done when its meta file exists


def read_meta(out: Path) -> list[dict]:
    """The metadata of every finished image under ``out``, in index order."""
    return [json.loads(p.read_text()) for p in sorted((out / "meta").glob("*.json"))]


def generate(out: Path, seed: int, count: int, workers: int = 1, start: int = 0) -> None:
    """Write images start..start+count-1 with YOLO labels (labels/) and metadata (meta/, then
    meta.jsonl) under ``out``; images already there are kept."""
    for d in ("images", "labels", "meta"):
        (out / d).mkdir(parents=True, exist_ok=True)
    jobs = [(seed, i, out) for i in range(start, start + count)]
    if workers > 1:
        with Pool(workers) as pool:
            for _ in pool.imap_unordered(_write_one, jobs, chunksize=4):
                pass
    else:
        for j in jobs:
            _write_one(j)
    with (out / "meta.jsonl").open("w") as f:
        for m in read_meta(out):
            f.write(json.dumps(m) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args()
    generate(args.out, args.seed, args.count, args.workers, args.start)
    print(f"wrote {args.count} images to {args.out}")


if __name__ == "__main__":
    main()

"""The preprocessing contract shared by training, evaluation and the TypeScript agent.

letterbox a la Ultralytics: r = min(S/h, S/w); new_w = round(w*r), new_h = round(h*r); resize with
OpenCV's cv2.INTER_LINEAR (bilinear, half-pixel centres, no antialiasing: what Ultralytics does);
dw = (S-new_w)/2,
dh = (S-new_h)/2; left = round(dw-0.1), top = round(dh-0.1); pad with grey 114; RGB; /255; NCHW.
Images are auto-oriented from their EXIF Orientation tag first.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import cv2
from PIL import Image, ImageOps

PAD_VALUE = 114


@dataclass(frozen=True)
class Letterbox:
    """Parameters that map original (displayed) pixels to model input pixels: x' = x*r + left."""

    r: float
    new_w: int
    new_h: int
    left: int
    top: int
    S: int

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def read_image_rgb(path: Path) -> np.ndarray:
    """Decode an image file to HxWx3 uint8 RGB in its displayed orientation (EXIF applied)."""
    with Image.open(path) as im:
        return np.asarray(ImageOps.exif_transpose(im).convert("RGB"))


def letterbox_params(h: int, w: int, size: int) -> Letterbox:
    """Compute the letterbox geometry for an h x w image and model size S."""
    r = min(size / h, size / w)
    new_w, new_h = int(round(w * r)), int(round(h * r))
    dw, dh = (size - new_w) / 2, (size - new_h) / 2
    return Letterbox(r=r, new_w=new_w, new_h=new_h, left=int(round(dw - 0.1)), top=int(round(dh - 0.1)), S=size)


def letterbox_image(rgb: np.ndarray, size: int) -> tuple[np.ndarray, Letterbox]:
    """Letterbox an HxWx3 uint8 RGB image into an SxSx3 uint8 canvas."""
    h, w = rgb.shape[:2]
    lb = letterbox_params(h, w, size)
    if (lb.new_w, lb.new_h) != (w, h):
        resized = cv2.resize(rgb, (lb.new_w, lb.new_h), interpolation=cv2.INTER_LINEAR)
    else:
        resized = rgb
    canvas = np.full((size, size, 3), PAD_VALUE, np.uint8)
    canvas[lb.top : lb.top + lb.new_h, lb.left : lb.left + lb.new_w] = resized
    return canvas, lb


def to_tensor(canvas: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 RGB -> [1,3,H,W] float32 in 0..1."""
    return np.ascontiguousarray(canvas.transpose(2, 0, 1)[None], dtype=np.float32) / 255.0


def letterbox_tensor(rgb: np.ndarray, size: int) -> tuple[np.ndarray, Letterbox]:
    """The full model input for an RGB image: ([1,3,S,S] float32, letterbox parameters)."""
    canvas, lb = letterbox_image(rgb, size)
    return to_tensor(canvas), lb

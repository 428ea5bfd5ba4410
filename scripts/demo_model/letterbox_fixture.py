"""Writes edge-component/tests/core/cv2-letterbox.fixture.json: small random images (seeded) and
their letterbox canvases made by letterbox.py (cv2.resize INTER_LINEAR, the training contract), for
the agent's letterbox test. Sizes chosen to cover non-integer down- and upscales, exactly 2x down,
a one-pixel-wide result, columns whose right tap falls off the image and odd padding.

    cd scripts && ../.venv/bin/python -m demo_model.letterbox_fixture
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import cv2
import numpy as np

from .letterbox import letterbox_image

OUT = Path(__file__).resolve().parents[2] / "edge-component" / "tests" / "core" / "cv2-letterbox.fixture.json"

# (width, height, model input size S)
CASES = [(37, 23, 16), (23, 37, 16), (80, 40, 40), (13, 7, 40), (41, 29, 24), (9, 61, 20), (3, 30, 12),
         (32, 24, 32), (61, 47, 32), (30, 30, 30), (7, 7, 31), (90, 34, 40)]


def main() -> None:
    rng = np.random.default_rng(20261123)
    cases = []
    for w, h, s in CASES:
        img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        if rng.random() < 0.5:  # smooth images too, not only noise
            img = cv2.GaussianBlur(img, (0, 0), 1.5)
        canvas, lb = letterbox_image(img, s)
        cases.append({"width": w, "height": h, "size": s, "resized": [lb.new_w, lb.new_h], "pad": [lb.left, lb.top],
                      "pixels": base64.b64encode(img.tobytes()).decode(),
                      "canvas": base64.b64encode(canvas.tobytes()).decode()})
    OUT.write_text(json.dumps({"made": f"demo_model.letterbox_fixture, OpenCV {cv2.__version__}", "cases": cases},
                              indent=1) + "\n")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()

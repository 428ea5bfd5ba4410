"""What JPEG shrink-on-load would cost in accuracy (issue 24), measured in Python because sharp cannot
decode a JPEG at 1/2 for the demo sizes (it uses libjpeg's DCT scaling only when the downscale is at
least 3x). Per test image: decoded by libjpeg at the largest scale 1/k (k = 2, 4, 8) whose size is
still at least the letterbox's resized size (PIL's draft, libjpeg's DCT scaling, as libvips' jpegload
shrink), then cv2.resize INTER_LINEAR to that resized size (what libvips' affine with the bilinear
interpolator computes to within a grey level), padded as letterbox.py pads; a PNG, or a JPEG too small
to shrink, is decoded whole. Writes the detections in score_detections.py's format.

  cd scripts && ../.venv/bin/python -m demo_model.shrink_on_load_eval --model M.onnx --test DIR \
      --out /tmp/dets.json && ../.venv/bin/python -m demo_model.score_detections --test DIR \
      --detections /tmp/dets.json --baseline ../model-component/models/tag-scratch/metrics.json --precision int8
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps

from .generator import read_meta
from .latency import input_size, make_session
from .letterbox import PAD_VALUE, letterbox_params, to_tensor
from .reference import decode
from .thresholds import nms_iou_with_source


def shrunk_rgb(path: Path, new_w: int, new_h: int) -> tuple[np.ndarray, int]:
    """The image decoded at the largest DCT scale 1/k that keeps at least new_w x new_h; (rgb, k)."""
    with Image.open(path) as im:
        w, h = im.size
        k = 1
        if im.format == "JPEG":
            for cand in (8, 4, 2):
                if -(-w // cand) >= new_w and -(-h // cand) >= new_h:
                    k = cand
                    break
            if k > 1:
                im.draft("RGB", (-(-w // k), -(-h // k)))
        return np.asarray(ImageOps.exif_transpose(im).convert("RGB")), k


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", type=Path, required=True)
    ap.add_argument("--test", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    nms_iou, _ = nms_iou_with_source(args.model.parent)
    sess = make_session(args.model)
    size = input_size(sess)
    per_image, shrunk = [], {}
    for m in read_meta(args.test):
        path = args.test / "images" / m["file"]
        with Image.open(path) as im:
            w, h = ImageOps.exif_transpose(im).size
        lb = letterbox_params(h, w, size)
        rgb, k = shrunk_rgb(path, lb.new_w, lb.new_h)
        shrunk[k] = shrunk.get(k, 0) + 1
        if (rgb.shape[1], rgb.shape[0]) != (lb.new_w, lb.new_h):
            rgb = cv2.resize(rgb, (lb.new_w, lb.new_h), interpolation=cv2.INTER_LINEAR)
        canvas = np.full((size, size, 3), PAD_VALUE, np.uint8)
        canvas[lb.top : lb.top + lb.new_h, lb.left : lb.left + lb.new_w] = rgb
        y = sess.run(None, {"images": to_tensor(canvas)})[0]
        dets = decode(y, 0.001, nms_iou, 300, max_candidates=1000)
        boxes = [((b - [lb.left, lb.top, lb.left, lb.top]) / lb.r).tolist() for _, _, b in dets]
        per_image.append({"file": m["file"], "boxes": boxes, "scores": [float(s) for _, s, _ in dets]})
    args.out.write_text(json.dumps({"letterbox": "shrink-on-load", "nmsIou": nms_iou, "perImage": per_image}))
    print(json.dumps({"imagesByShrink": {f"1/{k}": n for k, n in sorted(shrunk.items())}}))


if __name__ == "__main__":
    main()

"""The plain sequential baseline for `edgeqc inspect DIR`: what an engineer would write in Python with
OpenCV and onnxruntime. For each image in name order: cv2.imread, BGR -> RGB, the training pipeline's
letterbox (cv2.resize INTER_LINEAR), session.run with onnxruntime's automatic threads, decode and
per-class NMS. One image at a time, nothing overlapped.

Prints one JSON line per image (file, detections, best score) on stdout and, on stderr, one JSON
summary line: images, seconds from the first image to the last result, and the start-up (imports and
session creation) apart. `edgeqc bench --inspect` runs it beside `edgeqc inspect` on the same folder.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

T_START = time.perf_counter()

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402

from .letterbox import letterbox_image, to_tensor  # noqa: E402
from .reference import decode  # noqa: E402

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", type=Path, required=True, help="ONNX model (Ultralytics layout, [1,3,S,S] input)")
    ap.add_argument("--dir", type=Path, required=True, help="folder of .jpg/.jpeg/.png images")
    ap.add_argument("--confidence", type=float, default=0.25)
    ap.add_argument("--iou", type=float, default=0.5)
    args = ap.parse_args()

    files = sorted(p for p in args.dir.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        sys.exit(f"sequential_inspect: --dir {args.dir}: expected .jpg, .jpeg or .png files, found none")
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(str(args.model), so, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    size = int(sess.get_inputs()[0].shape[2])
    started = time.perf_counter()
    for path in files:
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            print(json.dumps({"file": path.name, "error": "not a readable image"}), flush=False)
            continue
        canvas, lb = letterbox_image(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), size)
        (output,) = sess.run(None, {name: to_tensor(canvas)})
        dets = decode(output, args.confidence, args.iou, 300)
        boxes = [
            {"classId": c, "score": round(s, 4),
             "box": [round(float(v), 1) for v in ((b[0] - lb.left) / lb.r, (b[1] - lb.top) / lb.r,
                                                  (b[2] - lb.left) / lb.r, (b[3] - lb.top) / lb.r)]}
            for c, s, b in dets
        ]
        print(json.dumps({"file": path.name, "detections": boxes, "best": boxes[0]["score"] if boxes else 0}))
    ended = time.perf_counter()
    summary = {"images": len(files), "seconds": round(ended - started, 3), "startupSeconds": round(started - T_START, 3)}
    print(json.dumps(summary), file=sys.stderr)


if __name__ == "__main__":
    main()

"""Score detections found elsewhere (the agent's TypeScript inspection path: `edgeqc bench --accuracy`)
on a generated test split, with evaluate.py's own scoring, and set them beside the model's metrics.

Input: --detections JSON {"precision", "letterbox", "nmsIou", "perImage": [{"file", "boxes": [[x1, y1,
x2, y2], ...] in original image pixels, "scores": [...]}]} for every image of --test (by file name).
Output (stdout, JSON): {"metrics": evaluate.score(...), "baseline": the --precision section of
--baseline (metrics.json), "difference": metrics minus baseline for mAP50, mAP50_95, precisionAt0.5,
recallAt0.5}.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from .evaluate import score
from .generator import read_meta

COMPARED = ("mAP50", "mAP50_95", "precisionAt0.5", "recallAt0.5")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--test", type=Path, required=True)
    ap.add_argument("--detections", type=Path, required=True)
    ap.add_argument("--baseline", type=Path, default=None, help="metrics.json of the model")
    ap.add_argument("--precision", default="int8", help="the section of --baseline to compare with")
    args = ap.parse_args()
    found = json.loads(args.detections.read_text())
    by_file = {d["file"]: d for d in found["perImage"]}
    metas = read_meta(args.test)
    missing = [m["file"] for m in metas if m["file"] not in by_file]
    if missing:
        raise SystemExit(f"{args.detections}: no detections for {len(missing)} test images, e.g. {missing[0]}")
    per_image = []
    for m in metas:
        d = by_file[m["file"]]
        per_image.append((np.array(d["boxes"], np.float64).reshape(-1, 4), np.array(d["scores"], np.float64)))
    metrics = score({"perImage": per_image, "seconds": 0, "inputSizePx": None}, metas, 0.5)
    report: dict = {"testImages": len(metas), "metrics": metrics}
    if args.baseline is not None:
        base = json.loads(args.baseline.read_text())[args.precision]
        report["baseline"] = {k: base[k] for k in COMPARED}
        report["difference"] = {k: round(metrics[k] - base[k], 4) for k in COMPARED}
    print(json.dumps(report))


if __name__ == "__main__":
    main()

"""Which scratches a model misses, and what it takes for a scratch that is none: recall at confidence 0.5 on
the generated test split by what the scratch looks like in the camera file and at the model's input.

Every test image is rendered again from its seed and index (the generator is deterministic), which gives
each labelled scratch's stroke width, the grey-level difference the camera file shows along it (the
same measure that decides whether it is labelled at all) and the number of visible centre-line points.
A scratch counts as found when a detection at confidence >= 0.5 (after the model's NMS) overlaps its box
by IoU >= 0.5 (the recall of evaluate.py, without its one-to-one matching; the counts agree on the
committed model). Prints one table per property, then where the false alarms lie (detections at >= 0.5
that match no scratch, as evaluate.py's precision counts them): on a scratch but as a second or
misplaced box, on a stroke too faint to be labelled, on a clean tag, on a scratched tag away from its
scratches, or off the tags; writes all rows as JSON with ``--out``.

    cd scripts && ../.venv/bin/python -m demo_model.misses --model ../model-component/models/tag-scratch/model.int8.onnx \\
        --test ../.work/demo-model/data/test --seed 2
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from .evaluate import iou_matrix, match
from .generator import StrokeView, read_meta, render_strokes, visible_box
from .latency import input_size, make_session
from .letterbox import letterbox_tensor, read_image_rgb
from .reference import decode
from .thresholds import nms_iou_with_source

CONFIDENCE = 0.5

TABLES: list[tuple[str, Callable[[dict], float], list[float]]] = [
    ("stroke width at the model input (px)", lambda r: r["widthAtInputPx"], [0, 0.6, 1.0, 1.5, 2.5, 99]),
    ("stroke width in the image (px)", lambda r: r["widthPx"], [1, 2, 3, 4, 5]),
    ("median grey-level difference along the visible part", lambda r: r["medianLevels"], [16, 24, 32, 48, 80, 256]),
    ("visible centre-line points", lambda r: r["visiblePoints"], [4, 10, 20, 40, 80, 100_000]),
    ("box long side at the model input (px)", lambda r: r["boxLongSideAtInputPx"], [0, 20, 40, 80, 160, 10_000]),
    ("image long side (px)", lambda r: r["imageLongSidePx"], [0, 1025, 10_000]),
]


def where_false_alarm(box: np.ndarray, gts: np.ndarray, found_gt: np.ndarray, faint: list[StrokeView],
                      tags: list[dict]) -> str:
    """What a detection that matched no scratch lies on (the first that applies, in this order)."""
    x1, y1, x2, y2 = box
    inter = (np.clip(np.minimum(x2, gts[:, 2]) - np.maximum(x1, gts[:, 0]), 0, None)
             * np.clip(np.minimum(y2, gts[:, 3]) - np.maximum(y1, gts[:, 1]), 0, None))
    if inter.size and inter.max() > 0:
        return "a second box on a found scratch" if found_gt[int(inter.argmax())] else "a misplaced box on a missed scratch"
    for view in faint:
        p = view.points
        if ((p[:, 0] >= x1 - 3) & (p[:, 0] <= x2 + 3) & (p[:, 1] >= y1 - 3) & (p[:, 1] <= y2 + 3)).mean() > 0.3:
            return "a drawn stroke too faint to be labelled"
    centre = (float(x1 + x2) / 2, float(y1 + y2) / 2)
    for tag in tags:
        if cv2.pointPolygonTest(np.array(tag["polygon"], np.float32), centre, False) >= 0:
            return "a scratched tag, away from its scratches" if tag["scratches"] else "a clean tag"
    return "the background, off the tags"


def test_rows(model: Path, test: Path, seed: int) -> tuple[list[dict], list[dict]]:
    """One row per labelled test scratch (its properties, whether the model found it) and one per false
    alarm (a detection at confidence >= 0.5 that matches no scratch one-to-one, as evaluate.py's precision
    counts it: where it lies)."""
    sess = make_session(model, threads=1)
    size = input_size(sess)
    iou, source = nms_iou_with_source(model.parent)
    print(f"NMS IoU {iou} from {source}", flush=True)
    rows, alarms = [], []
    for meta in read_meta(test):
        index = int(Path(meta["file"]).stem)
        sample, views = render_strokes(seed, index)
        h, w = sample.rgb.shape[:2]
        labelled = [v for v in views if v.labelled()]
        boxes = np.array([[b.x1, b.y1, b.x2, b.y2] for b in (visible_box(v, w, h) for v in labelled)]).reshape(-1, 4)
        gts = np.array(meta["boxes"], np.float64).reshape(-1, 4)
        if boxes.shape != gts.shape or (len(gts) and np.abs(boxes - gts).max() > 0.06):
            raise ValueError(f"{test / 'meta.jsonl'}: the labels of {meta['file']} differ from image {index} of seed "
                             f"{seed} rendered again; expected the test split's own seed (--seed)")
        x, lb = letterbox_tensor(read_image_rgb(test / "images" / meta["file"]), size)
        dets = decode(sess.run(None, {"images": x})[0], CONFIDENCE, iou, 300)
        found = np.array([(b - [lb.left, lb.top, lb.left, lb.top]) / lb.r for _, _, b in dets]).reshape(-1, 4)
        best = iou_matrix(gts, found).max(1) if len(found) else np.zeros(len(gts))
        for view, box, best_iou in zip(labelled, gts, best):
            levels = view.visible_levels()
            rows.append({"file": meta["file"], "found": bool(best_iou >= 0.5), "bestIou": round(float(best_iou), 3),
                         "widthPx": view.scratch.width_px, "widthAtInputPx": round(view.scratch.width_px * lb.r, 3),
                         "medianLevels": float(np.median(levels)), "visiblePoints": int(len(levels)),
                         "visibleFraction": round(len(levels) / len(view.points), 3),
                         "boxLongSideAtInputPx": round(float(max(box[2] - box[0], box[3] - box[1]) * lb.r), 1),
                         "imageLongSidePx": max(w, h), "bright": view.scratch.bright, "curved": view.scratch.curved})
        scores = np.array([sc for _, sc, _ in dets])
        matched = match(found, scores, gts)[:, 0]
        found_gt = best >= 0.5
        faint = [v for v in views if not v.labelled()]
        for box, score, ok in zip(found, scores, matched):
            if not ok:
                alarms.append({"file": meta["file"], "score": round(float(score), 3), "box": [round(float(v), 1) for v in box],
                               "on": where_false_alarm(box, gts, found_gt, faint, meta["tags"])})
    return rows, alarms


def tables(rows: list[dict], alarms: list[dict]) -> str:
    out = [f"{len(rows)} labelled scratches, recall at {CONFIDENCE}: "
           f"{sum(r['found'] for r in rows) / max(len(rows), 1):.3f}"]
    for title, key, edges in TABLES:
        out.append(title)
        for lo, hi in zip(edges, edges[1:]):
            sel = [r for r in rows if lo <= key(r) < hi]
            if sel:
                out.append(f"  [{lo:g}, {hi:g})  {len(sel):4d} scratches  recall {sum(r['found'] for r in sel) / len(sel):.2f}")
    out.append(f"{len(alarms)} false alarms at {CONFIDENCE} (detections matching no scratch), on:")
    for on, n in Counter(a["on"] for a in alarms).most_common():
        out.append(f"  {n:4d}  {on}")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, required=True, help="ONNX model (its folder's thresholds.json gives the NMS IoU)")
    ap.add_argument("--test", type=Path, required=True, help="generated test split (images/, meta.jsonl)")
    ap.add_argument("--seed", type=int, required=True, help="the seed the test split was generated with")
    ap.add_argument("--out", type=Path, help="write the per-scratch rows as JSON here")
    args = ap.parse_args()
    rows, alarms = test_rows(args.model, args.test, args.seed)
    if args.out:
        args.out.write_text(json.dumps({"scratches": rows, "falseAlarms": alarms}, indent=1) + "\n")
    print(tables(rows, alarms))


if __name__ == "__main__":
    main()

"""Which scratches a model misses: recall at confidence 0.5 on the generated test split, by what the
scratch looks like in the camera file and at the model's input.

Every test image is rendered again from its seed and index (the generator is deterministic), which gives
each labelled scratch's stroke width, the grey-level difference the camera file shows along it (the
same measure that decides whether it is labelled at all) and the number of visible centre-line points.
A scratch counts as found when a detection at confidence >= 0.5 (after the model's NMS) overlaps its box
by IoU >= 0.5 (the recall of evaluate.py, without its one-to-one matching; the counts agree on the
committed model). Prints one table per property and writes all rows as JSON with ``--out``.

    cd scripts && ../.venv/bin/python -m demo_model.misses --model ../model-component/models/tag-scratch/model.int8.onnx \\
        --test ../.work/demo-model/data/test --seed 2
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .evaluate import iou_matrix
from .generator import read_meta, render_strokes, visible_box
from .latency import input_size, make_session
from .letterbox import letterbox_tensor, read_image_rgb
from .reference import decode
from .thresholds import model_thresholds

CONFIDENCE = 0.5

TABLES: list[tuple[str, Callable[[dict], float], list[float]]] = [
    ("stroke width at the model input (px)", lambda r: r["widthAtInputPx"], [0, 0.6, 1.0, 1.5, 2.5, 99]),
    ("stroke width in the image (px)", lambda r: r["widthPx"], [1, 2, 3, 4, 5]),
    ("median grey-level difference along the visible part", lambda r: r["medianLevels"], [16, 24, 32, 48, 80, 256]),
    ("visible centre-line points", lambda r: r["visiblePoints"], [4, 10, 20, 40, 80, 100_000]),
    ("box long side at the model input (px)", lambda r: r["boxLongSideAtInputPx"], [0, 20, 40, 80, 160, 10_000]),
    ("image long side (px)", lambda r: r["imageLongSidePx"], [0, 1025, 10_000]),
]


def scratch_rows(model: Path, test: Path, seed: int) -> list[dict]:
    """One row per labelled test scratch: its properties and whether the model found it."""
    sess = make_session(model, threads=1)
    size = input_size(sess)
    iou = model_thresholds(model.parent)["iou"]
    rows = []
    for meta in read_meta(test):
        if not meta["boxes"]:
            continue
        index = int(Path(meta["file"]).stem)
        sample, views = render_strokes(seed, index)
        h, w = sample.rgb.shape[:2]
        labelled = [v for v in views if v.labelled()]
        boxes = np.array([[b.x1, b.y1, b.x2, b.y2] for b in (visible_box(v, w, h) for v in labelled)]).reshape(-1, 4)
        gts = np.array(meta["boxes"], np.float64).reshape(-1, 4)
        if boxes.shape != gts.shape or np.abs(boxes - gts).max() > 0.06:
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
    return rows


def tables(rows: list[dict]) -> str:
    out = [f"{len(rows)} labelled scratches, recall at {CONFIDENCE}: "
           f"{sum(r['found'] for r in rows) / max(len(rows), 1):.3f}"]
    for title, key, edges in TABLES:
        out.append(title)
        for lo, hi in zip(edges, edges[1:]):
            sel = [r for r in rows if lo <= key(r) < hi]
            if sel:
                out.append(f"  [{lo:g}, {hi:g})  {len(sel):4d} scratches  recall {sum(r['found'] for r in sel) / len(sel):.2f}")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, required=True, help="ONNX model (its folder's thresholds.json gives the NMS IoU)")
    ap.add_argument("--test", type=Path, required=True, help="generated test split (images/, meta.jsonl)")
    ap.add_argument("--seed", type=int, required=True, help="the seed the test split was generated with")
    ap.add_argument("--out", type=Path, help="write the per-scratch rows as JSON here")
    args = ap.parse_args()
    rows = scratch_rows(args.model, args.test, args.seed)
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1) + "\n")
    print(tables(rows))


if __name__ == "__main__":
    main()

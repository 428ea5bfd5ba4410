"""Evaluate the FP32 and INT8 ONNX models on the held-out generated test split -> metrics.json.

- mAP50 and mAP50-95 for `scratch` (COCO style: detections at confidence >= 0.001 after per-class NMS
  at the model's deployed IoU (thresholds.json beside the INT8 model, else the manifest's 0.7) over the
  best 1000 candidates, max 300 per image, greedy matching by score to the unmatched ground truth of highest IoU,
  101-point interpolated precision envelope, IoU thresholds 0.50:0.05:0.95);
- at confidence 0.5: precision and recall (IoU >= 0.5), and the false-alarm rate on clean tags: the
  share of tags without scratches that have any detection whose centre lies on the tag;
- file sizes, and the INT8/FP32 latency ratio from latency.compare_latency (2 threads, interleaved).
The pre- and post-processing is exactly the deployed one (letterbox.py, reference.decode).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import cv2
import numpy as np

from .generator import read_meta
from .latency import compare_latency, input_size, make_session
from .letterbox import letterbox_tensor, read_image_rgb
from .reference import decode
from .thresholds import nms_iou_with_source

IOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ix1 = np.maximum(a[:, None, 0], b[None, :, 0])
    iy1 = np.maximum(a[:, None, 1], b[None, :, 1])
    ix2 = np.minimum(a[:, None, 2], b[None, :, 2])
    iy2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(ix2 - ix1, 0, None) * np.clip(iy2 - iy1, 0, None)
    aa = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    ab = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(aa[:, None] + ab[None] - inter, 1e-12)


def match(dets: np.ndarray, scores: np.ndarray, gts: np.ndarray) -> np.ndarray:
    """TP flags [D, T] for detections (sorted by score) against ground truths, per IoU threshold."""
    tp = np.zeros((len(dets), len(IOU_THRESHOLDS)), bool)
    if len(dets) == 0 or len(gts) == 0:
        return tp
    ious = iou_matrix(dets, gts)
    order = np.argsort(-scores, kind="stable")
    for t, thr in enumerate(IOU_THRESHOLDS):
        used = np.zeros(len(gts), bool)
        for d in order:
            cand = np.where(~used & (ious[d] >= thr), ious[d], -1)
            g = int(cand.argmax())
            if cand[g] >= 0:
                used[g] = True
                tp[d, t] = True
    return tp


def average_precision(tp: np.ndarray, scores: np.ndarray, n_gt: int) -> np.ndarray:
    """AP per IoU threshold (101-point interpolation)."""
    if n_gt == 0:
        return np.zeros(len(IOU_THRESHOLDS))
    order = np.argsort(-scores, kind="stable")
    tp = tp[order]
    aps = []
    for t in range(tp.shape[1]):
        ctp = np.cumsum(tp[:, t])
        cfp = np.cumsum(~tp[:, t])
        recall = ctp / n_gt
        precision = ctp / np.maximum(ctp + cfp, 1e-12)
        mrec = np.concatenate([[0.0], recall, [1.0]])
        mpre = np.concatenate([[1.0], precision, [0.0]])
        mpre = np.flip(np.maximum.accumulate(np.flip(mpre)))
        x = np.linspace(0, 1, 101)
        aps.append(float(np.trapezoid(np.interp(x, mrec, mpre), x)))
    return np.array(aps)


def predict(model: Path, test: Path, metas: list[dict], nms_iou: float = 0.7) -> dict:
    """Runs ``model`` once over the test images: per image the detections (boxes in image pixels,
    scores) at confidence 0.001 after NMS, for `score` at any confidence."""
    sess = make_session(model)
    size = input_size(sess)
    per_image = []
    t0 = time.time()
    for m in metas:
        rgb = read_image_rgb(test / "images" / m["file"])
        x, lb = letterbox_tensor(rgb, size)
        y = sess.run(None, {"images": x})[0]
        dets = decode(y, 0.001, nms_iou, 300, max_candidates=1000)
        boxes = np.array([(b - [lb.left, lb.top, lb.left, lb.top]) / lb.r for _, _, b in dets]).reshape(-1, 4)
        per_image.append((boxes, np.array([s for _, s, _ in dets])))
    return {"perImage": per_image, "seconds": round(time.time() - t0, 1), "inputSizePx": size}


def score(pred: dict, metas: list[dict], conf_report: float) -> dict:
    """mAP over all detections, and precision, recall and false alarms at ``conf_report``."""
    all_tp, all_scores, n_gt = [], [], 0
    tp50, fp50, clean_tags, clean_alarms, fn50 = 0, 0, 0, 0, 0
    clean_images, clean_image_alarms = 0, 0
    by_size: dict[str, list[int]] = {"upTo1024": [0, 0], "above1024": [0, 0]}  # [found, total] at 0.5
    for m, (boxes, scores) in zip(metas, pred["perImage"], strict=True):
        gts = np.array(m["boxes"], np.float64).reshape(-1, 4)
        n_gt += len(gts)
        tp = match(boxes, scores, gts)
        all_tp.append(tp)
        all_scores.append(scores)
        hi = scores >= conf_report
        tp_hi = match(boxes[hi], scores[hi], gts)[:, 0]
        tp50 += int(tp_hi.sum())
        fp50 += int((~tp_hi).sum())
        fn50 += len(gts) - int(tp_hi.sum())
        bucket = by_size["upTo1024" if max(m["widthPx"], m["heightPx"]) <= 1024 else "above1024"]
        bucket[0] += int(tp_hi.sum())
        bucket[1] += len(gts)
        centres = np.c_[(boxes[hi, 0] + boxes[hi, 2]) / 2, (boxes[hi, 1] + boxes[hi, 3]) / 2]
        for tag in m["tags"]:
            if tag["scratches"]:
                continue
            clean_tags += 1
            poly = np.array(tag["polygon"], np.float32)
            if any(cv2.pointPolygonTest(poly, (float(cx), float(cy)), False) >= 0 for cx, cy in centres):
                clean_alarms += 1
        if len(gts) == 0:
            clean_images += 1
            clean_image_alarms += int(hi.any())
    tp_all = np.concatenate(all_tp)
    sc_all = np.concatenate(all_scores)
    ap = average_precision(tp_all, sc_all, n_gt)
    return {"mAP50": round(float(ap[0]), 4), "mAP50_95": round(float(ap.mean()), 4),
            f"precisionAt{conf_report}": round(tp50 / max(tp50 + fp50, 1), 4),
            f"recallAt{conf_report}": round(tp50 / max(n_gt, 1), 4),
            "cleanTags": clean_tags, "cleanTagsWithDetection": clean_alarms,
            f"falseAlarmRateCleanTagsAt{conf_report}": round(clean_alarms / max(clean_tags, 1), 4),
            "imagesWithoutScratches": clean_images, "imagesWithoutScratchesWithDetection": clean_image_alarms,
            f"recallAt{conf_report}ByImageLongSide": {k: round(v[0] / max(v[1], 1), 4) for k, v in by_size.items()},
            "groundTruthBoxes": n_gt, "seconds": pred["seconds"], "inputSizePx": pred["inputSizePx"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--fp32", type=Path, required=True)
    ap.add_argument("--int8", type=Path, required=True)
    ap.add_argument("--test", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--extra", type=Path, nargs="*", default=[], help="JSON files added to the metrics under their stem")
    ap.add_argument("--latency-runs", type=int, default=60)
    ap.add_argument("--limit", type=int, default=None, help="evaluate the first N test images only")
    ap.add_argument("--skip-int8", action="store_true", help="FP32 only (for checking a checkpoint)")
    ap.add_argument("--iou", type=float, default=None, help="NMS IoU (default: the model's thresholds.json, else 0.7)")
    ap.add_argument("--operating-points", type=float, nargs="*", default=[], metavar="CONF",
                    help="also INT8 precision, recall and clean-tag false alarms at these confidences")
    args = ap.parse_args()
    for conf in args.operating_points:
        if not 0 < conf < 1:
            raise SystemExit(f"--operating-points {conf}: expected a confidence between 0 and 1")
    nms_iou, source = (args.iou, "--iou") if args.iou is not None else nms_iou_with_source(args.int8.parent)
    print(f"NMS IoU {nms_iou} from {source}", flush=True)
    metas = read_meta(args.test)[: args.limit]
    metrics: dict = {"testImages": len(metas), "testSplit": str(args.test.name),
                     "thresholdsForMap": {"confidence": 0.001, "iou": nms_iou, "maxDetections": 300}}
    metrics["fp32"] = score(predict(args.fp32, args.test, metas, nms_iou), metas, 0.5)
    size = metrics["inputSizePx"] = metrics["fp32"]["inputSizePx"]
    print("fp32", json.dumps(metrics["fp32"]), flush=True)
    if args.skip_int8:
        return
    int8 = predict(args.int8, args.test, metas, nms_iou)
    metrics["int8"] = score(int8, metas, 0.5)
    print("int8", json.dumps(metrics["int8"]), flush=True)
    for conf in args.operating_points:  # the same INT8 detections, counted at another confidence
        point = score(int8, metas, conf)
        point = {k: v for k, v in point.items() if k.startswith(("precisionAt", "recallAt", "falseAlarmRate"))}
        metrics.setdefault("int8OperatingPoints", {})[str(conf)] = point
        print(f"int8 at {conf}", json.dumps(point), flush=True)
    metrics["int8MinusFp32"] = {k: round(metrics["int8"][k] - metrics["fp32"][k], 4) for k in ("mAP50", "mAP50_95")}
    metrics["sizesBytes"] = {"fp32": args.fp32.stat().st_size, "int8": args.int8.stat().st_size}
    metrics["sizesBytes"]["int8OverFp32"] = round(metrics["sizesBytes"]["int8"] / metrics["sizesBytes"]["fp32"], 3)
    sample = next(m for m in metas if m["boxes"])
    x, _ = letterbox_tensor(read_image_rgb(args.test / "images" / sample["file"]), size)
    metrics["latency"] = compare_latency(args.fp32, args.int8, x, runs=args.latency_runs)
    print("latency", json.dumps(metrics["latency"]), flush=True)
    for extra in args.extra:
        metrics[extra.stem] = json.loads(extra.read_text())
    args.out.write_text(json.dumps(metrics, indent=2) + "\n")


if __name__ == "__main__":
    main()

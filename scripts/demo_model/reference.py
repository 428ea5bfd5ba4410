"""Reference outputs of an ONNX detection model for a few sample images, computed with onnxruntime.

For each image: reference/<stem>.json and reference/<stem>.int8.output.bin (the raw output tensor,
float32 little-endian, C order). JSON format (documented in the model README):

    {image: "samples/<file>", model: "model.int8.onnx", modelSha256, inputSizePx,
     letterbox: {scale, padLeftPx, padTopPx},
     thresholds: {confidence, iou, maxDetections},
     output: {name, shape, file, sum, absMax},
     detections: [{classId, label, score, x1, y1, x2, y2}]}   # original image pixels, after NMS

Decoding (the same as Ultralytics' non_max_suppression for one image): a candidate is an anchor whose
class score is > confidence (each class separately, so one anchor can give a box per class); boxes
are cx, cy, w, h -> x1 y1 x2 y2 in input pixels; greedy NMS per class in input pixels, suppressing
IoU > iou; sorted by score (ties: lower anchor index first), first maxDetections kept; then mapped to
the original image: x = (x' - padLeftPx) / scale, y = (y' - padTopPx) / scale, clipped to the image.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from .latency import input_size, make_session
from .letterbox import letterbox_tensor, read_image_rgb


def iou_one_to_many(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of one xyxy box with many (float64)."""
    ix1 = np.maximum(box[0], boxes[:, 0])
    iy1 = np.maximum(box[1], boxes[:, 1])
    ix2 = np.minimum(box[2], boxes[:, 2])
    iy2 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(ix2 - ix1, 0, None) * np.clip(iy2 - iy1, 0, None)
    a = (box[2] - box[0]) * (box[3] - box[1])
    b = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / np.maximum(a + b - inter, 1e-12)


def decode(output: np.ndarray, confidence: float, iou: float, max_det: int,
           max_candidates: int | None = None) -> list[tuple[int, float, np.ndarray]]:
    """Output [1, 4+nc, N] -> [(classId, score, xyxy in input px)] after per-class NMS, best first.
    ``max_candidates`` keeps only the best candidates per class before NMS (evaluation at very low
    confidence; the references use all)."""
    pred = output[0].astype(np.float64)
    nc = pred.shape[0] - 4
    cx, cy, w, h = pred[:4]
    xyxy = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1)
    kept: list[tuple[int, float, int, np.ndarray]] = []
    for c in range(nc):
        scores = pred[4 + c]
        idx = np.nonzero(scores > confidence)[0]
        order = idx[np.lexsort((idx, -scores[idx]))][:max_candidates]
        boxes = xyxy[order]
        alive = np.ones(len(order), bool)
        for i in range(len(order)):
            if not alive[i]:
                continue
            kept.append((c, float(scores[order[i]]), int(order[i]), boxes[i]))
            rest = np.arange(i + 1, len(order))
            rest = rest[alive[rest]]
            if len(rest):
                alive[rest[iou_one_to_many(boxes[i], boxes[rest]) > iou]] = False
    kept.sort(key=lambda k: (-k[1], k[2]))
    return [(c, s, b) for c, s, _, b in kept[:max_det]]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_reference(model_dir: Path, sample_file: str, confidence: float, iou: float, max_det: int,
                    model_name: str = "model.int8.onnx") -> dict:
    """Run ``model_name`` on samples/<sample_file>; write reference/<stem>.json and the raw output."""
    model_path = model_dir / model_name
    sess = make_session(model_path, threads=1)
    inp = sess.get_inputs()[0]
    size = input_size(sess)
    rgb = read_image_rgb(model_dir / "samples" / sample_file)
    h, w = rgb.shape[:2]
    x, lb = letterbox_tensor(rgb, size)
    out_meta = sess.get_outputs()[0]
    y = sess.run([out_meta.name], {inp.name: x})[0].astype(np.float32)
    stem = Path(sample_file).stem
    ref_dir = model_dir / "reference"
    ref_dir.mkdir(parents=True, exist_ok=True)
    tag = model_name.removeprefix("model.").removesuffix(".onnx")
    bin_name = f"{stem}.{tag}.output.bin"
    (ref_dir / bin_name).write_bytes(y.astype("<f4").tobytes())
    labels = (model_dir / "labels.txt").read_text().split()
    dets = []
    for c, s, b in decode(y, confidence, iou, max_det):
        x1 = float(np.clip((b[0] - lb.left) / lb.r, 0, w))
        y1 = float(np.clip((b[1] - lb.top) / lb.r, 0, h))
        x2 = float(np.clip((b[2] - lb.left) / lb.r, 0, w))
        y2 = float(np.clip((b[3] - lb.top) / lb.r, 0, h))
        dets.append({"classId": c, "label": labels[c], "score": round(s, 6), "x1": round(x1, 3), "y1": round(y1, 3),
                     "x2": round(x2, 3), "y2": round(y2, 3)})
    ref = {"image": f"samples/{sample_file}", "model": model_name, "modelSha256": sha256(model_path),
           "inputSizePx": size, "letterbox": {"scale": lb.r, "padLeftPx": lb.left, "padTopPx": lb.top},
           "thresholds": {"confidence": confidence, "iou": iou, "maxDetections": max_det},
           "output": {"name": out_meta.name, "shape": list(y.shape), "file": bin_name,
                      "sum": float(y.astype(np.float64).sum()), "absMax": float(np.abs(y).max())},
           "detections": dets}
    (ref_dir / f"{stem}.json").write_text(json.dumps(ref, indent=2) + "\n")
    return ref

"""INT8 static quantization (QDQ, U8 activations, S8 per-channel weights) and the fusion check.

The float decode after the head (DFL softmax/projection, anchor arithmetic, sigmoid, concat) is left
in float; optionally the head's last 1x1 convolutions too. ``count_fused_convs`` loads the quantized
model in onnxruntime, dumps the optimized graph and counts how many of the intended convolutions
became QLinearConv.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                      quantize_static)
from onnxruntime.quantization.shape_inference import quant_pre_process

from .latency import input_size, make_session
from .letterbox import letterbox_tensor, read_image_rgb


class ImageReader(CalibrationDataReader):
    """Feeds letterboxed calibration images to the calibrator, one at a time."""

    def __init__(self, images: list[Path], size: int) -> None:
        self._it: Iterator[dict[str, np.ndarray]] = (
            {"images": letterbox_tensor(read_image_rgb(p), size)[0]} for p in images)

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._it, None)


def float_nodes(model: onnx.ModelProto, keep_head_float: bool) -> list[str]:
    """Names of nodes to leave in float: the decode (everything outside the network), the head's output
    reshapes/concats, and optionally the final 1x1 convolution of every head branch."""
    branch = re.compile(r"^/model/head/(box|cls)\.\d/")
    last_conv = re.compile(r"^/model/head/(box|cls)\.\d/(box|cls)\.\d\.2/Conv$")
    names = []
    for node in model.graph.node:
        outside = not node.name.startswith("/model/")
        head_tail = node.name.startswith("/model/head/") and not branch.match(node.name)
        if outside or head_tail or (keep_head_float and last_conv.match(node.name)):
            names.append(node.name)
    return names


def quantize(fp32: Path, out: Path, calib_images: list[Path], size: int, keep_head_float: bool,
             method: str = "minmax") -> list[str]:
    """Quantize ``fp32`` into ``out``; returns the names of the nodes left in float."""
    with tempfile.TemporaryDirectory() as tmp:
        pre = Path(tmp) / "pre.onnx"
        quant_pre_process(str(fp32), str(pre), skip_symbolic_shape=True)
        model = onnx.load(str(pre))
        excluded = float_nodes(model, keep_head_float)
        calib_method = {"minmax": CalibrationMethod.MinMax, "percentile": CalibrationMethod.Percentile,
                        "entropy": CalibrationMethod.Entropy}[method]
        quantize_static(str(pre), str(out), ImageReader(calib_images, size), quant_format=QuantFormat.QDQ,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, per_channel=True,
                        calibrate_method=calib_method, nodes_to_exclude=excluded,
                        extra_options={"CalibMovingAverage": False})
    return excluded


def count_fused_convs(fp32: Path, int8: Path, excluded: list[str]) -> dict[str, int | float]:
    """Optimize the INT8 model with onnxruntime and count Conv nodes that became QLinearConv."""
    fp32_model = onnx.load(str(fp32))
    all_convs = [n.name for n in fp32_model.graph.node if n.op_type == "Conv"]
    intended = [n for n in all_convs if n not in set(excluded)]
    with tempfile.TemporaryDirectory() as tmp:
        opt_path = Path(tmp) / "opt.onnx"
        so = ort.SessionOptions()
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
        so.optimized_model_filepath = str(opt_path)
        ort.InferenceSession(str(int8), so, providers=["CPUExecutionProvider"])
        opt = onnx.load(str(opt_path))
    ops: dict[str, int] = {}
    for n in opt.graph.node:
        ops[n.op_type] = ops.get(n.op_type, 0) + 1
    qconv = ops.get("QLinearConv", 0)
    return {"convNodesFp32": len(all_convs), "convNodesIntendedInt8": len(intended),
            "convNodesLeftFloat": len(all_convs) - len(intended), "qlinearConvInOptimizedGraph": qconv,
            "floatConvInOptimizedGraph": ops.get("Conv", 0) + ops.get("FusedConv", 0),
            "fusedFraction": round(qconv / max(len(intended), 1), 4), "optimizedGraphOps": ops}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--fp32", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--calib-dir", type=Path, required=True, help="folder of training JPEGs")
    ap.add_argument("--calib-count", type=int, default=200)
    ap.add_argument("--method", default="minmax", choices=["minmax", "percentile", "entropy"])
    ap.add_argument("--quantize-head-outputs", action="store_true",
                    help="also quantize the head's last 1x1 convolutions (default: keep them float)")
    ap.add_argument("--report", type=Path, help="write the fusion counts as JSON here")
    args = ap.parse_args()
    images = sorted(args.calib_dir.glob("*.jpg"))
    step = max(len(images) // args.calib_count, 1)
    calib = images[::step][: args.calib_count]
    size = input_size(make_session(args.fp32, 1))
    excluded = quantize(args.fp32, args.out, calib, size, not args.quantize_head_outputs, args.method)
    counts = count_fused_convs(args.fp32, args.out, excluded)
    print(json.dumps(counts))
    if args.report:
        args.report.write_text(json.dumps(counts, indent=2) + "\n")


if __name__ == "__main__":
    main()

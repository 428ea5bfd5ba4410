"""Export a trained checkpoint to ONNX with the YOLOv8 detection contract.

Input ``images`` [1,3,S,S] float32 RGB 0..1; output ``output0`` [1, 4+nc, N] (cx, cy, w, h in input
pixels, then per-class sigmoid scores). Static shapes, opset 17.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import onnx
import torch

from .model import ExportWrapper, ModelConfig, YoloV8

OPSET = 17


def network_of(ckpt: dict) -> YoloV8:
    """Rebuild the network from a checkpoint written by train.py (config + EMA weights)."""
    model = YoloV8(ModelConfig(**ckpt["config"]))
    model.load_state_dict(ckpt["state_dict"])
    return model.eval()


def load_checkpoint(path: Path) -> YoloV8:
    return network_of(torch.load(path, map_location="cpu", weights_only=False))


def inline_identity_initializers(m: onnx.ModelProto) -> onnx.ModelProto:
    """Replace ``Identity(initializer)`` nodes (the exporter's de-duplication of equal tensors, e.g. the
    zero biases of an untrained net) by their own initializer copy, so every Conv bias is a plain
    initializer the quantizer can turn into int32."""
    inits = {t.name: t for t in m.graph.initializer}
    keep = []
    for node in m.graph.node:
        if node.op_type == "Identity" and node.input[0] in inits:
            copy = onnx.TensorProto()
            copy.CopyFrom(inits[node.input[0]])
            copy.name = node.output[0]
            m.graph.initializer.append(copy)
        else:
            keep.append(node)
    del m.graph.node[:]
    m.graph.node.extend(keep)
    return m


def export_onnx(model: YoloV8, size: int, out: Path) -> None:
    """Write the FP32 ONNX model for input size ``size`` to ``out`` and check it."""
    wrapper = ExportWrapper(model.eval(), size).eval()
    dummy = torch.zeros(1, 3, size, size)
    out.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(wrapper, (dummy,), str(out), input_names=["images"], output_names=["output0"],
                          opset_version=OPSET, do_constant_folding=True, dynamo=False)
    m = inline_identity_initializers(onnx.load(str(out)))
    m.producer_name = "edgeqc scripts/demo_model"
    meta = {"task": "detect", "names": "{0: 'scratch'}", "imgsz": f"[{size}, {size}]", "stride": "32",
            "license": "Apache-2.0", "author": "edgeqc (synthetic data, scripts/demo_model)"}
    for k, v in meta.items():
        p = m.metadata_props.add()
        p.key, p.value = k, v
    onnx.checker.check_model(m)
    onnx.save(m, str(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--checkpoint", type=Path, required=True)
    ap.add_argument("--size", type=int, default=None, help="input size S (default: the size it was trained at)")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    if not args.checkpoint.is_file():
        raise SystemExit(f"--checkpoint {args.checkpoint}: no such file (expected a train.py checkpoint, "
                         f"e.g. .work/demo-model/run/ckpt/final.pt; a relative path is taken from {Path.cwd()})")
    ckpt = torch.load(args.checkpoint, map_location="cpu", weights_only=False)
    size = args.size if args.size is not None else ckpt.get("info", {}).get("size")  # recorded since leg 12
    if size is None:
        raise SystemExit(f"{args.checkpoint}: the checkpoint does not record its training size; pass --size")
    export_onnx(network_of(ckpt), int(size), args.out)
    print(f"exported {args.out}")


if __name__ == "__main__":
    main()

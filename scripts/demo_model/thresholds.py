"""A model's own threshold defaults: ``thresholds.json`` beside the model files (read the same way by
the packager, model-component/src/thresholds-file.ts), over the manifest defaults. The NMS IoU there is
what the model is deployed with, so evaluation and the reference outputs use it too."""

from __future__ import annotations

import json
from pathlib import Path

MANIFEST_DEFAULTS = {"confidence": 0.25, "iou": 0.7, "review": 0.25, "defect": 0.5, "maxDetections": 300}


def _own_thresholds(model_dir: Path) -> dict:
    """``model_dir/thresholds.json`` as written (empty when there is none), its keys checked."""
    path = model_dir / "thresholds.json"
    own = json.loads(path.read_text()) if path.exists() else {}
    unknown = set(own) - set(MANIFEST_DEFAULTS)
    if unknown:
        raise ValueError(f"{path}: unknown keys {sorted(unknown)}; expected any of {sorted(MANIFEST_DEFAULTS)}")
    return own


def model_thresholds(model_dir: Path) -> dict:
    """The manifest defaults with ``model_dir/thresholds.json`` (if any) applied."""
    return {**MANIFEST_DEFAULTS, **_own_thresholds(model_dir)}


def nms_iou_with_source(model_dir: Path) -> tuple[float, str]:
    """The NMS IoU a model is deployed with, and where it came from (its thresholds.json, or the manifest
    default when the file is missing or has no ``iou``): evaluating a model outside its folder silently
    used the default before, and reported a different precision for the same model."""
    path = model_dir / "thresholds.json"
    own = _own_thresholds(model_dir)
    if "iou" in own:
        return own["iou"], str(path)
    return MANIFEST_DEFAULTS["iou"], f"the manifest default (no iou in {path})"

"""A model's own threshold defaults: ``thresholds.json`` beside the model files (read the same way by
the packager, model-component/src/thresholds-file.ts), over the manifest defaults. The NMS IoU there is
what the model is deployed with, so evaluation and the reference outputs use it too."""

from __future__ import annotations

import json
from pathlib import Path

MANIFEST_DEFAULTS = {"confidence": 0.25, "iou": 0.7, "review": 0.25, "defect": 0.5, "maxDetections": 300}


def model_thresholds(model_dir: Path) -> dict:
    """The manifest defaults with ``model_dir/thresholds.json`` (if any) applied."""
    path = model_dir / "thresholds.json"
    own = json.loads(path.read_text()) if path.exists() else {}
    unknown = set(own) - set(MANIFEST_DEFAULTS)
    if unknown:
        raise ValueError(f"{path}: unknown keys {sorted(unknown)}; expected any of {sorted(MANIFEST_DEFAULTS)}")
    return {**MANIFEST_DEFAULTS, **own}

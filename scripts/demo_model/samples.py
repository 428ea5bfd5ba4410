"""The committed demo/test images (samples/ + samples/index.json) and the reference outputs.

Samples come from their own seed (not the training or test seed) with chosen sizes, tag counts and
scratch counts so the set covers: scratched and clean tags, several tags, no tag at all, portrait and
16:9 frames, 640x480 up to about 2 MP, PNG and JPEG, and tricky content (clutter lines, strong noise,
blur, dark or tinted metal).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .generator import encode, render
from .reference import write_reference
from .thresholds import model_thresholds

SAMPLE_SEED = 20261123

# (stem, (w, h), tags, scratches per tag, format, what it is for)
SPECS: list[tuple[str, tuple[int, int], int | None, int | None, str, str]] = [
    ("scratch-01", (1024, 768), 1, 2, "jpg", "two scratches"),
    ("scratch-02", (1280, 960), 1, 1, "jpg", "one scratch"),
    ("scratch-03", (1600, 1200), 1, 3, "jpg", "three scratches, 2 MP"),
    ("scratch-04", (1920, 1080), 1, 2, "jpg", "16:9, about 2 MP"),
    ("scratch-05", (800, 600), 1, 1, "jpg", "one scratch"),
    ("scratch-06", (640, 480), 1, 2, "png", "PNG"),
    ("scratch-07", (1280, 720), 2, 1, "jpg", "two tags, 16:9"),
    ("scratch-08", (768, 1024), 1, 2, "jpg", "portrait"),
    ("scratch-09", (1440, 1080), 1, 3, "jpg", "three scratches"),
    ("scratch-10", (1024, 1024), 1, 1, "jpg", "square"),
    ("scratch-11", (1200, 800), 3, 1, "jpg", "three tags, 3:2"),
    ("scratch-12", (960, 720), 1, 2, "jpg", "two scratches"),
    ("scratch-13", (1366, 768), 1, 1, "jpg", "one scratch, 16:9"),
    ("scratch-14", (640, 480), 1, 3, "jpg", "three scratches, VGA"),
    ("scratch-15", (1500, 1000), 2, 2, "jpg", "two tags, 3:2"),
    ("clean-01", (1024, 768), 1, 0, "jpg", "clean tag"),
    ("clean-02", (1280, 960), 1, 0, "jpg", "clean tag"),
    ("clean-03", (1920, 1080), 1, 0, "jpg", "clean tag, 16:9"),
    ("clean-04", (640, 480), 1, 0, "png", "clean tag, PNG"),
    ("clean-05", (800, 600), 2, 0, "jpg", "two clean tags"),
    ("clean-06", (1600, 1200), 1, 0, "jpg", "clean tag, 2 MP"),
    ("clean-07", (720, 960), 1, 0, "jpg", "clean tag, portrait"),
    ("clean-08", (1200, 1200), 1, 0, "jpg", "clean tag, square"),
    ("clean-09", (960, 720), 1, 0, "jpg", "clean tag"),
    ("clean-10", (1280, 720), 1, 0, "jpg", "clean tag, 16:9"),
    ("no-tag-01", (1024, 768), 0, 0, "jpg", "no tag, background only"),
    ("no-tag-02", (1280, 720), 0, 0, "jpg", "no tag, background only"),
]
# extra index offsets searched so that some samples show tricky content (see pick_index)
TRICKY = {"clean-03": "clutter", "clean-06": "strong noise", "clean-08": "engraved border",
          "scratch-09": "blur", "clean-10": "smudges", "no-tag-02": "clutter", "scratch-13": "tinted metal"}
# samples with reference outputs: scratched, clean, non-4:3 (16:9), PNG
REFERENCES = ["scratch-01", "clean-01", "scratch-04", "scratch-06"]


def pick_index(i: int, spec: tuple[str, tuple[int, int], int | None, int | None, str, str]):
    """Render sample ``i``; for samples meant to be tricky, search a few indices for the wanted note."""
    stem, size, tags, scratches, _, _ = spec
    want = TRICKY.get(stem)
    for k in range(200):
        s = render(SAMPLE_SEED, i * 1000 + k, size=size, force_tags=tags, force_scratches=scratches)
        if len(s.boxes()) != (tags or 0) * (scratches or 0):
            continue  # a scratch did not fit: keep the counts as specified
        if want is None or any(want in n for n in s.notes):
            return s
    raise RuntimeError(f"no render found for sample {stem}")


def make_samples(model_dir: Path) -> list[dict]:
    out = model_dir / "samples"
    out.mkdir(parents=True, exist_ok=True)
    index = []
    for i, spec in enumerate(SPECS):
        stem, _, _, _, fmt, what = spec
        s = pick_index(i, spec)
        name = f"{stem}.{fmt}"
        (out / name).write_bytes(encode(s, fmt))
        h, w = s.rgb.shape[:2]
        notes = "; ".join([what] + s.notes + ([f"JPEG quality {s.jpeg_quality}"] if fmt == "jpg" else []))
        index.append({"file": name, "widthPx": w, "heightPx": h, "scratches": len(s.boxes()), "notes": notes,
                      "boxes": s.meta()["boxes"]})
    (out / "index.json").write_text(json.dumps(index, indent=2) + "\n")
    return index


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model-dir", type=Path, required=True)
    ap.add_argument("--skip-images", action="store_true", help="only recompute the reference outputs")
    ap.add_argument("--confidence", type=float, default=None, help="default: the model's thresholds.json, else 0.25")
    ap.add_argument("--iou", type=float, default=None, help="default: the model's thresholds.json, else 0.7")
    ap.add_argument("--max-detections", type=int, default=None, help="default: the model's thresholds.json, else 300")
    args = ap.parse_args()
    own = model_thresholds(args.model_dir)
    confidence = own["confidence"] if args.confidence is None else args.confidence
    iou = own["iou"] if args.iou is None else args.iou
    max_det = own["maxDetections"] if args.max_detections is None else args.max_detections
    if not args.skip_images:
        index = make_samples(args.model_dir)
        total = sum((args.model_dir / "samples" / e["file"]).stat().st_size for e in index)
        print(f"{len(index)} samples, {total / 1e6:.2f} MB")
    index = json.loads((args.model_dir / "samples" / "index.json").read_text())
    files = {Path(e["file"]).stem: e["file"] for e in index}
    for stem in REFERENCES:
        ref = write_reference(args.model_dir, files[stem], confidence, iou, max_det)
        print(f"reference {stem}: {len(ref['detections'])} detections, output sum {ref['output']['sum']:.3f}")


if __name__ == "__main__":
    main()

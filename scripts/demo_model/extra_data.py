"""Reviewed images as extra training data: reads a dataset that ``edgeqc review export`` wrote.

A dataset folder holds ``images/<name>``, ``labels/<stem>.txt`` (YOLO: ``class cx cy w h``, normalized
to the image's width and height), ``classes.txt`` (class names, one a line, line number = class id) and
``manifest.jsonl`` (SageMaker Ground Truth's bounding-box output format, one JSON line per image, boxes
in pixels with the image size). Either is enough: ``load_extra_data`` takes the folder (YOLO labels,
image sizes from the manifest or, without one, from the PNG/JPEG header) or a manifest file.

Only the standard library: the records are what ``train.Canvases`` keeps per training image (the
``meta/*.json`` of the generator): ``file`` (an absolute path here), ``widthPx``, ``heightPx``,
``boxes`` ([x1, y1, x2, y2] in image pixels) and ``tags`` (empty: a reviewed image has no tag polygons).
An image whose boxes are all of other classes, or that has none (a reviewer's "ok"), is kept with no
boxes: it teaches the model what is not a defect.

    python3 -m demo_model.extra_data DIR_OR_MANIFEST [--classes scratch]   # prints the records as JSON
"""

from __future__ import annotations

import argparse
import json
import struct
import sys
from pathlib import Path

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


class ExtraDataError(ValueError):
    """A dataset that cannot be read: the message names the file, the value and what was expected."""


def _image_size(path: Path) -> tuple[int, int]:
    """(width, height) from a PNG or JPEG header (stored orientation: no EXIF rotation applied)."""
    data = path.read_bytes()
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        w, h = struct.unpack(">II", data[16:24])
        return int(w), int(h)
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                i += 2
                continue
            (length,) = struct.unpack(">H", data[i + 2 : i + 4])
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                h, w = struct.unpack(">HH", data[i + 5 : i + 9])
                return int(w), int(h)
            i += 2 + length
    raise ExtraDataError(f"{path}: expected a PNG or JPEG image whose header gives its size")


def _read_classes(root: Path) -> list[str]:
    f = root / "classes.txt"
    if not f.exists():
        raise ExtraDataError(f"{root}: expected classes.txt (class names, one a line) beside labels/")
    return [line.strip() for line in f.read_text().splitlines() if line.strip()]


def _label_attribute(line: dict, where: str) -> str:
    """The Ground Truth label attribute of a manifest line: the key whose value has annotations."""
    names = [k for k, v in line.items() if isinstance(v, dict) and "annotations" in v and "image_size" in v]
    if len(names) != 1:
        raise ExtraDataError(f"{where}: expected one label attribute with annotations and image_size, found "
                             f"{names or 'none'}")
    return names[0]


def _image_path(source_ref: str, base: Path, where: str) -> Path:
    """An image of the dataset: s3://.../images/<name> and relative refs both resolve under ``base``."""
    if not isinstance(source_ref, str) or not source_ref:
        raise ExtraDataError(f"{where}: expected a non-empty source-ref, got {source_ref!r}")
    name = source_ref.rsplit("/", 1)[-1]
    candidate = base / "images" / name if source_ref.startswith("s3://") else base / source_ref
    if not candidate.exists():
        raise ExtraDataError(f"{where}: source-ref {source_ref!r} has no image at {candidate}")
    return candidate.resolve()


def read_manifest(manifest: Path, keep: set[str] | None) -> list[dict]:
    """Records from a Ground Truth bounding-box manifest (JSON lines); ``keep``: class names to keep
    (None: every class)."""
    records = []
    for n, text in enumerate(manifest.read_text().splitlines(), 1):
        if not text.strip():
            continue
        where = f"{manifest}:{n}"
        try:
            line = json.loads(text)
        except json.JSONDecodeError as e:
            raise ExtraDataError(f"{where}: expected a JSON object per line ({e.msg})") from e
        attr = _label_attribute(line, where)
        label, meta = line[attr], line.get(f"{attr}-metadata", {})
        class_map = meta.get("class-map", {})
        size = label["image_size"][0]
        w, h = int(size["width"]), int(size["height"])
        boxes = []
        for a in label["annotations"]:
            name = class_map.get(str(a["class_id"]))
            if name is None:
                raise ExtraDataError(f"{where}: class_id {a['class_id']} is not in the class-map {class_map}")
            if keep is None or name in keep:
                boxes.append([float(a["left"]), float(a["top"]), float(a["left"] + a["width"]),
                              float(a["top"] + a["height"])])
        records.append({"file": str(_image_path(line.get("source-ref"), manifest.parent, where)), "widthPx": w,
                        "heightPx": h, "boxes": boxes, "tags": []})
    return records


def read_yolo(root: Path, keep: set[str] | None) -> list[dict]:
    """Records from images/ + labels/ + classes.txt; sizes from manifest.jsonl when there, else headers."""
    classes = _read_classes(root)
    sizes: dict[str, tuple[int, int]] = {}
    manifest = root / "manifest.jsonl"
    if manifest.exists():
        for r in read_manifest(manifest, None):
            sizes[Path(r["file"]).name] = (r["widthPx"], r["heightPx"])
    records = []
    for image in sorted(p for p in (root / "images").iterdir() if p.suffix.lower() in IMAGE_SUFFIXES):
        label = root / "labels" / f"{image.stem}.txt"
        if not label.exists():
            raise ExtraDataError(f"{image}: expected its YOLO label file {label} (empty for an image without boxes)")
        w, h = sizes.get(image.name) or _image_size(image)
        boxes = []
        for n, text in enumerate(label.read_text().splitlines(), 1):
            if not text.strip():
                continue
            parts = text.split()
            try:
                cls, cx, cy, bw, bh = int(parts[0]), *map(float, parts[1:])
            except (ValueError, TypeError) as e:
                raise ExtraDataError(f"{label}:{n}: expected 'class cx cy w h', got {text!r}") from e
            if len(parts) != 5 or not 0 <= cls < len(classes):
                raise ExtraDataError(f"{label}:{n}: expected 'class cx cy w h' with a class id below "
                                     f"{len(classes)} (classes.txt), got {text!r}")
            if not all(0 <= v <= 1 for v in (cx, cy, bw, bh)):
                raise ExtraDataError(f"{label}:{n}: expected coordinates normalized to 0..1, got {text!r}")
            if keep is None or classes[cls] in keep:
                boxes.append([(cx - bw / 2) * w, (cy - bh / 2) * h, (cx + bw / 2) * w, (cy + bh / 2) * h])
        records.append({"file": str(image.resolve()), "widthPx": w, "heightPx": h, "boxes": boxes, "tags": []})
    return records


def load_extra_data(path: Path, classes: list[str] | None = None) -> list[dict]:
    """The training records of a dataset folder (YOLO labels) or a Ground Truth manifest file;
    ``classes``: the class names the model learns (boxes of other classes are dropped)."""
    keep = None if classes is None else set(classes)
    if path.is_file():
        return read_manifest(path, keep)
    if (path / "labels").is_dir() and (path / "images").is_dir():
        return read_yolo(path, keep)
    raise ExtraDataError(f"{path}: expected a dataset folder (images/, labels/, classes.txt) or a manifest file")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("path", type=Path, help="dataset folder or manifest.jsonl")
    ap.add_argument("--classes", nargs="*", default=None, help="class names to keep (default: all)")
    args = ap.parse_args()
    try:
        records = load_extra_data(args.path, args.classes)
    except ExtraDataError as e:
        print(f"extra data: {e}", file=sys.stderr)
        raise SystemExit(2) from e
    json.dump(records, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

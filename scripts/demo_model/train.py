"""Train the detector from scratch on CPU, on tiles of letterboxed training images.

Every training image is letterboxed to the model size S (--size, 800: strokes thinner than 0.6 px at
the input are where most misses are, and 800 makes every stroke 1.25x wider there than 640 does; model
README, "Input size") exactly as at inference (same resize, same padding), so scratches are seen at the
scale the deployed model sees them. Training then runs on T x T tiles (default 320) cut from these
canvases: the network is fully convolutional and the tile borders are multiples of the largest stride,
so a tile is a piece of the real input at the real scale; a tile costs a sixth of a full 800 image. Tiles are centred on a scratch (45 %), on a tag (35 %) or
anywhere (20 %), with flips, 90-degree rotations and brightness/contrast jitter.

The learning rate follows warm-up then cosine decay over a wall-clock budget (the machine is shared,
so a fixed iteration count would take an unknown time); an exponential moving average (EMA) of the
weights is what gets saved, every few minutes, to <work>/ckpt/last.pt.

``--bf16`` runs forward and backward in bfloat16 (torch.autocast on CPU, channels-last tensors), which
oneDNN executes natively on CPUs with AVX512-BF16 or AMX; weights, optimizer state, EMA and the loss stay
float32. Measured on this machine (2 threads, width 0.125, 16 tiles of 320 px, same seed and batches,
2.5 min each from the same checkpoint): 535 iterations against 394 in float32 (1.36x), with the same loss
at the same iteration within the batch-to-batch noise. On a CPU without native bf16 it would be slower:
scripts/make-demo-model.sh passes it only when torch reports native support.

``--extra-data DIR`` adds reviewed images (``edgeqc review export --out DIR``: images, YOLO labels and a
Ground Truth manifest; extra_data.py reads them) to the generated ones: a person's corrected boxes of
the class the model learns (``--extra-classes``, default scratch), and images a person found clean as
negatives. They are letterboxed and tiled like the others; the tile sampler draws them as often as any
generated image.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from copy import deepcopy
from dataclasses import asdict, replace
from pathlib import Path

import cv2
import numpy as np
import torch

from .extra_data import load_extra_data
from .letterbox import letterbox_image, letterbox_params
from .loss import detection_loss
from .model import ModelConfig, YoloV8, make_anchors
from .onnx_import import check_against_onnx, import_onnx
from .widen import check_widened, widen


class Canvases:
    """Training images letterboxed to S (uint8 RGB, cached in memory once read), their scratch boxes and
    tag boxes in canvas px. ``refresh`` picks up images the generator has finished since the last call,
    so training can start while the data set is still being generated."""

    def __init__(self, data: Path, size: int, max_images: int, extra: list[dict] | None = None) -> None:
        self.data, self.size, self.max_images = data, size, max_images
        self.files: list[str] = []
        self.boxes: list[np.ndarray] = []
        self.tags: list[np.ndarray] = []
        self.cache: dict[int, np.ndarray] = {}
        self.known: set[str] = set()
        # reviewed images (extra_data.py records: absolute file paths, no tags), added once, first
        self.extra = len(extra or [])
        for m in extra or []:
            self._add(m)

    def _add(self, m: dict) -> None:
        lb = letterbox_params(m["heightPx"], m["widthPx"], self.size)
        off = [lb.left, lb.top, lb.left, lb.top]
        self.boxes.append(np.array(m["boxes"], np.float32).reshape(-1, 4) * lb.r + off)
        polys = [np.array(tg["polygon"], np.float32) * lb.r + off[:2] for tg in m["tags"]]
        self.tags.append(np.array([[p[:, 0].min(), p[:, 1].min(), p[:, 0].max(), p[:, 1].max()] for p in polys],
                                  np.float32).reshape(-1, 4))
        self.files.append(m["file"])  # an absolute path stays absolute under self.data / "images"

    def refresh(self) -> int:
        names = sorted(p.name for p in (self.data / "meta").glob("*.json"))[: self.max_images]
        for name in names:
            if name in self.known:
                continue
            self.known.add(name)
            self._add(json.loads((self.data / "meta" / name).read_text()))
        return len(self.files)

    def canvas(self, i: int) -> np.ndarray:
        if i not in self.cache:
            bgr = cv2.imread(str(self.data / "images" / self.files[i]), cv2.IMREAD_COLOR)
            self.cache[i], _ = letterbox_image(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), self.size)
        return self.cache[i]


class TileSampler:
    """Random training tiles with their boxes (tile px)."""

    def __init__(self, canvases: Canvases, tile: int, seed: int) -> None:
        self.c, self.t = canvases, tile
        self.rng = np.random.default_rng(seed)
        self.size = canvases.size

    def one(self) -> tuple[np.ndarray, np.ndarray]:
        rng, t, s = self.rng, self.t, self.size
        i = int(rng.integers(len(self.c.files)))
        b, tg = self.c.boxes[i], self.c.tags[i]
        u = rng.random()
        if u < 0.45 and len(b):
            k = b[int(rng.integers(len(b)))]
            cx, cy = (k[0] + k[2]) / 2 + rng.uniform(-t / 3, t / 3), (k[1] + k[3]) / 2 + rng.uniform(-t / 3, t / 3)
        elif u < 0.8 and len(tg):
            k = tg[int(rng.integers(len(tg)))]
            cx, cy = rng.uniform(k[0], k[2]), rng.uniform(k[1], k[3])
        else:
            cx, cy = rng.uniform(0, s), rng.uniform(0, s)
        x0 = int(np.clip(round(cx - t / 2), 0, s - t)) // 32 * 32
        y0 = int(np.clip(round(cy - t / 2), 0, s - t)) // 32 * 32
        img = self.c.canvas(i)[y0 : y0 + t, x0 : x0 + t]
        bb = b - [x0, y0, x0, y0]
        clipped = np.clip(bb, 0, t)
        area = (bb[:, 2] - bb[:, 0]) * (bb[:, 3] - bb[:, 1])
        carea = (clipped[:, 2] - clipped[:, 0]) * (clipped[:, 3] - clipped[:, 1])
        cmax = np.maximum(clipped[:, 2] - clipped[:, 0], clipped[:, 3] - clipped[:, 1])
        keep = (carea > 0.3 * area) | ((carea > 0) & (cmax >= 24))
        bb = clipped[keep]
        # flips and 90-degree rotations (boxes follow)
        if rng.random() < 0.5:
            img = img[:, ::-1]
            bb = np.stack([t - bb[:, 2], bb[:, 1], t - bb[:, 0], bb[:, 3]], 1) if len(bb) else bb
        if rng.random() < 0.5:
            img = img[::-1]
            bb = np.stack([bb[:, 0], t - bb[:, 3], bb[:, 2], t - bb[:, 1]], 1) if len(bb) else bb
        if rng.random() < 0.5:  # transpose = rotate + flip
            img = img.transpose(1, 0, 2)
            bb = bb[:, [1, 0, 3, 2]] if len(bb) else bb
        img = img.astype(np.float32)
        img = (img - 128) * rng.uniform(0.75, 1.25) + 128 + rng.uniform(-25, 25)
        img = img * rng.uniform(0.92, 1.08, 3).astype(np.float32)
        return np.clip(img, 0, 255), bb.reshape(-1, 4).astype(np.float32)

    def batch(self, n: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        items = [self.one() for _ in range(n)]
        x = torch.from_numpy(np.stack([im.transpose(2, 0, 1) for im, _ in items]) / 255.0).float()
        m = max(max(len(b) for _, b in items), 1)
        gt = torch.zeros(n, m, 4)
        mask = torch.zeros(n, m, dtype=torch.bool)
        for j, (_, b) in enumerate(items):
            if len(b):
                gt[j, : len(b)] = torch.from_numpy(b)
                mask[j, : len(b)] = True
        return x, gt, mask


class Ema:
    """Exponential moving average of the weights (BN buffers included), decay ramped up at the start."""

    def __init__(self, model: torch.nn.Module, decay: float = 0.999, tau: float = 500) -> None:
        self.model = deepcopy(model).eval()
        self.decay, self.tau, self.updates = decay, tau, 0
        for p in self.model.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, model: torch.nn.Module) -> None:
        self.updates += 1
        d = self.decay * (1 - math.exp(-self.updates / self.tau))
        msd = model.state_dict()
        for k, v in self.model.state_dict().items():
            if v.dtype.is_floating_point:
                v.mul_(d).add_(msd[k].detach(), alpha=1 - d)


def save(path: Path, ema: Ema, cfg: ModelConfig, info: dict) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save({"config": asdict(cfg), "state_dict": ema.model.state_dict(), "info": info}, tmp)
    tmp.replace(path)


def train(args: argparse.Namespace) -> None:
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    work = args.work
    (work / "ckpt").mkdir(parents=True, exist_ok=True)
    extra = [r for d in args.extra_data for r in load_extra_data(d, args.extra_classes)]
    if extra:
        print(f"{len(extra)} extra images from {', '.join(map(str, args.extra_data))} "
              f"({sum(len(r['boxes']) for r in extra)} boxes of {', '.join(args.extra_classes)})", flush=True)
    canv = Canvases(args.data, args.size, args.max_images, extra)
    print(f"{canv.refresh()} training images", flush=True)
    sampler = TileSampler(canv, args.tile, args.seed)
    last_refresh = time.time()
    cfg = ModelConfig(width=args.width, depth=args.depth)
    model = YoloV8(cfg)
    whole = torch.from_numpy(canv.canvas(0).transpose(2, 0, 1) / 255.0).float().unsqueeze(0)  # for the checks
    if args.init is not None and args.init.suffix == ".onnx":  # a committed FP32 export (onnx_import.py)
        init_cfg = ModelConfig(width=args.init_width or args.width, depth=args.depth)
        model = import_onnx(args.init, init_cfg, [sampler.batch(args.batch)[0] for _ in range(8)])
        diff = check_against_onnx(model, args.init, whole)
        print(f"imported {args.init}: outputs within {diff:.2g} of onnxruntime's on a training image", flush=True)
    elif args.init is not None:  # continue from a checkpoint's (EMA) weights, same depth, same or narrower width
        ckpt = torch.load(args.init, map_location="cpu", weights_only=False)
        model = YoloV8(ModelConfig(**ckpt["config"]))
        model.load_state_dict(ckpt["state_dict"])
    if model.cfg != cfg:  # a narrower network grows to --width computing the same outputs (widen.py)
        if replace(model.cfg, width=cfg.width) != cfg:
            raise SystemExit(f"--init {args.init}: a network {model.cfg} cannot continue as {cfg} (only the width "
                             f"may grow)")
        narrow, model = model, widen(model, cfg.width, noise=0.1, seed=args.seed)
        diff = check_widened(narrow, model, whole)
        print(f"widened from width {narrow.cfg.width} to {cfg.width} ({sum(p.numel() for p in model.parameters())} "
              f"parameters): outputs within {diff:.2g} of the narrow network's on a training image", flush=True)
    model.train()
    if args.bf16:  # oneDNN runs bf16 convolutions natively on CPUs with AVX512-BF16 / AMX
        model = model.to(memory_format=torch.channels_last)
    ema = Ema(model)
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if p.ndim <= 1 else decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 5e-4}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.999))
    points, strides = make_anchors(args.tile, args.tile)
    strides = strides[:, 0]
    budget = args.minutes * 60
    t0 = time.time()
    last_save = t0
    it = 0
    hist: list[dict] = []
    while True:
        elapsed = time.time() - t0
        if elapsed >= budget:
            break
        frac = elapsed / budget
        warm = min(1.0, (it + 1) / args.warmup)
        lr = args.lr * warm * (0.03 + 0.97 * 0.5 * (1 + math.cos(math.pi * frac)))
        for g in opt.param_groups:
            g["lr"] = lr
        if time.time() - last_refresh > 60 and len(canv.files) - canv.extra < args.max_images:
            print(f"{canv.refresh()} training images", flush=True)
            last_refresh = time.time()
        x, gt, mask = sampler.batch(args.batch)
        if args.bf16:
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
            box, cls = model(x)
        box, cls = box.float(), cls.float()  # the loss (assignment, IoU, DFL, BCE) in float32
        loss, parts = detection_loss(box, cls, points, strides, gt, mask, cfg.reg_max, args.assigner)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
        opt.step()
        ema.update(model)
        it += 1
        hist.append({"loss": float(loss.detach()), **parts})
        if it % 25 == 0:
            mean = {k: round(float(np.mean([h[k] for h in hist])), 4) for k in hist[0]}
            hist.clear()
            print(json.dumps({"it": it, "min": round(elapsed / 60, 2), "lr": round(lr, 6), **mean}), flush=True)
        if time.time() - last_save > args.save_every * 60:
            save(work / "ckpt" / "last.pt", ema, cfg, {"iterations": it, "minutes": round(elapsed / 60, 2)})
            last_save = time.time()
    info = {"iterations": it, "minutes": round((time.time() - t0) / 60, 2), "size": args.size, "tile": args.tile,
            "batch": args.batch, "imagesSeen": it * args.batch}
    save(work / "ckpt" / "last.pt", ema, cfg, info)
    save(work / "ckpt" / "final.pt", ema, cfg, info)
    summary = {**info, "trainImages": len(canv.files), "config": asdict(cfg), "optimizer": "AdamW", "lr": args.lr,
               "threads": args.threads, "seed": args.seed, "bf16": args.bf16}
    (work / "training.json").write_text(json.dumps(summary, indent=2) + "\n")
    print("done " + json.dumps(info), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="generated training set (images/, meta.jsonl)")
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--size", type=int, default=800, help="model input size S (a multiple of 32)")
    ap.add_argument("--max-images", type=int, default=1_000_000, help="use the first N images only")
    ap.add_argument("--tile", type=int, default=320)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--width", type=float, default=0.25)
    ap.add_argument("--depth", type=float, default=0.33)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--warmup", type=int, default=150)
    ap.add_argument("--minutes", type=float, default=45)
    ap.add_argument("--save-every", type=float, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--init", type=Path, default=None,
                    help="start from this checkpoint's weights, or from an FP32 ONNX export of this network "
                         "(model.fp32.onnx; BatchNorm rebuilt from training tiles, see onnx_import.py); a narrower "
                         "network is widened to --width first (widen.py)")
    ap.add_argument("--init-width", type=float, default=None,
                    help="width of the network in an --init ONNX file (default --width; a checkpoint records its own)")
    ap.add_argument("--bf16", action="store_true",
                    help="forward and backward in bfloat16 (autocast, channels-last); weights, EMA and loss stay float32")
    ap.add_argument("--extra-data", type=Path, action="append", default=[],
                    help="a reviewed dataset (`edgeqc review export --out DIR`: images/, YOLO labels/, classes.txt) "
                         "or its Ground Truth manifest.jsonl, trained on beside --data; repeatable (extra_data.py)")
    ap.add_argument("--extra-classes", nargs="+", default=["scratch"],
                    help="class names of --extra-data the model learns (the demo model's one class; boxes of "
                         "other classes are dropped, their images kept as negatives)")
    ap.add_argument("--assigner", choices=["centre", "tal"], default="centre", help="label assignment (loss.py)")
    args = ap.parse_args()
    if args.size % 32 or args.tile % 32 or args.tile > args.size:
        raise SystemExit(f"--size {args.size} and --tile {args.tile} must be multiples of 32 (the largest stride), "
                         "the tile no larger than the size")
    train(args)


if __name__ == "__main__":
    main()

"""Label assignment and loss for the single-class scratch detector: BCE for the class score, CIoU and
distribution focal loss (DFL) for the box.

Default assignment (``assigner="centre"``, `assign_centre`): centre sampling at the level matched to
the box size, with hard class targets. A scratch box's centre lies on the stroke (the midpoint of a
straight stroke, close to a bent one), while the rest of the box - all of it for a diagonal stroke -
is mostly bare metal; so the positives are the anchors near the box centre, at the pyramid level(s)
whose stride suits the box, and every positive has class target 1. The task-aligned assignment below
kept the scores of the positives near 0.03 and reached mAP50 0.08 in a 26-minute run here: its
positives follow the current, still random, predictions, so early on they land anywhere in the box,
often on bare metal, and its soft targets are near 0 for all but one anchor per box.

Alternative (``assigner="tal"``, `assign`): task-aligned assignment as described for TOOD / YOLOv8:
1. candidates: anchors whose centre lies inside g, g widened to at least 1 stride per axis;
2. alignment t(g, a) = s^0.5 * IoU^6 (predicted score and IoU of the predicted box, detached);
3. each g takes its top 10 candidates by t; an anchor claimed by several g keeps the one of highest IoU;
4. soft class target of a positive: t / max t over the positives of g.

Loss = 7.5 * CIoU + 1.5 * DFL (both averaged over the positives) + 0.5 * BCE (summed over all anchors,
divided by the number of positives).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .model import dfl_expectation


def box_iou_pairwise(a: torch.Tensor, b: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """IoU of boxes a [..., 4] and b [..., 4] (xyxy, broadcast)."""
    iw = (torch.minimum(a[..., 2], b[..., 2]) - torch.maximum(a[..., 0], b[..., 0])).clamp(min=0)
    ih = (torch.minimum(a[..., 3], b[..., 3]) - torch.maximum(a[..., 1], b[..., 1])).clamp(min=0)
    inter = iw * ih
    area_a = (a[..., 2] - a[..., 0]).clamp(min=0) * (a[..., 3] - a[..., 1]).clamp(min=0)
    area_b = (b[..., 2] - b[..., 0]).clamp(min=0) * (b[..., 3] - b[..., 1]).clamp(min=0)
    return inter / (area_a + area_b - inter + eps)


def ciou(a: torch.Tensor, b: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """Complete IoU of matching boxes a, b [N, 4] (xyxy)."""
    iou = box_iou_pairwise(a, b, eps)
    cw = torch.maximum(a[:, 2], b[:, 2]) - torch.minimum(a[:, 0], b[:, 0])
    ch = torch.maximum(a[:, 3], b[:, 3]) - torch.minimum(a[:, 1], b[:, 1])
    c2 = cw**2 + ch**2 + eps
    rho2 = ((a[:, 0] + a[:, 2] - b[:, 0] - b[:, 2]) ** 2 + (a[:, 1] + a[:, 3] - b[:, 1] - b[:, 3]) ** 2) / 4
    wa, ha = a[:, 2] - a[:, 0], (a[:, 3] - a[:, 1]).clamp(min=eps)
    wb, hb = b[:, 2] - b[:, 0], (b[:, 3] - b[:, 1]).clamp(min=eps)
    v = (4 / math.pi**2) * (torch.atan(wb / hb) - torch.atan(wa / ha)) ** 2
    with torch.no_grad():
        alpha = v / (v - iou + (1 + eps))
    return iou - (rho2 / c2 + v * alpha)


@torch.no_grad()
def assign(pred_scores: torch.Tensor, pred_boxes: torch.Tensor, points: torch.Tensor, strides: torch.Tensor,
           gt_boxes: torch.Tensor, gt_mask: torch.Tensor, topk: int = 10, alpha: float = 0.5,
           beta: float = 6.0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Task-aligned assignment for one class.

    pred_scores [B, A] (sigmoid), pred_boxes [B, A, 4] px, points [A, 2], strides [A],
    gt_boxes [B, M, 4] px, gt_mask [B, M] (real boxes). Returns fg [B, A] bool, target boxes [B, A, 4],
    target scores [B, A].
    """
    b, a = pred_scores.shape
    m = gt_boxes.shape[1]
    if m == 0:
        z = torch.zeros(b, a, dtype=torch.bool)
        return z, torch.zeros(b, a, 4), torch.zeros(b, a)
    g = gt_boxes[:, :, None, :]  # [B, M, 1, 4]
    cx, cy = (g[..., 0] + g[..., 2]) / 2, (g[..., 1] + g[..., 3]) / 2
    hw = torch.maximum((g[..., 2] - g[..., 0]) / 2, strides[None, None, :] / 2)
    hh = torch.maximum((g[..., 3] - g[..., 1]) / 2, strides[None, None, :] / 2)
    px, py = points[None, None, :, 0], points[None, None, :, 1]
    cand = ((px - cx).abs() < hw) & ((py - cy).abs() < hh) & gt_mask[:, :, None]  # [B, M, A]
    iou = box_iou_pairwise(g, pred_boxes[:, None, :, :]).clamp(min=0)  # [B, M, A]
    align = pred_scores[:, None, :].clamp(min=1e-9) ** alpha * iou**beta
    align = align * cand
    k = min(topk, a)
    top_val, top_idx = align.topk(k, dim=2)
    top = torch.zeros_like(cand)
    top.scatter_(2, top_idx, True)
    pos = top & cand  # [B, M, A]
    # an anchor claimed by several boxes keeps the one of highest IoU
    multi = pos.sum(1, keepdim=True) > 1
    if multi.any():
        best = (iou * pos).argmax(1, keepdim=True)  # [B, 1, A]
        only_best = torch.zeros_like(pos).scatter_(1, best, True)
        pos = torch.where(multi, only_best & pos, pos)
    fg = pos.any(1)  # [B, A]
    gt_idx = pos.float().argmax(1)  # [B, A]
    target_boxes = torch.gather(gt_boxes, 1, gt_idx[..., None].expand(-1, -1, 4))
    align_pos = align * pos
    max_align = align_pos.amax(2, keepdim=True)
    norm = (align_pos / max_align.clamp(min=1e-30)).amax(1)  # [B, A]
    return fg, target_boxes, norm * fg


@torch.no_grad()
def assign_centre(points: torch.Tensor, strides: torch.Tensor, gt_boxes: torch.Tensor, gt_mask: torch.Tensor,
                  radius: float = 1.5) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Centre sampling at the level(s) matched to the box size, hard targets (FCOS-like).

    A scratch box's centre lies on the stroke (the midpoint of a straight stroke, near the curve of a
    bent one), while its corners are mostly bare metal. So the positives of a box g are the anchors
    (a) of a level whose stride s suits g's half long side L = max(w, h)/2: stride 8 for L <= 64 px,
        16 for 32 < L <= 128, 32 for L > 64 (overlapping ranges; the DFL range is 15 strides);
    (b) within ``radius`` strides of g's centre on both axes, and
    (c) inside g widened to at least 1 stride per axis (so a thin box keeps the row of centres on it).
    An anchor claimed by several boxes keeps the smallest box. Class target 1 at positives, 0 elsewhere.
    Returns fg [B, A] bool, target boxes [B, A, 4], target scores [B, A].
    """
    b, a = gt_mask.shape[0], points.shape[0]
    if gt_boxes.shape[1] == 0:
        return torch.zeros(b, a, dtype=torch.bool), torch.zeros(b, a, 4), torch.zeros(b, a)
    g = gt_boxes[:, :, None, :]  # [B, M, 1, 4]
    cx, cy = (g[..., 0] + g[..., 2]) / 2, (g[..., 1] + g[..., 3]) / 2
    hw, hh = (g[..., 2] - g[..., 0]) / 2, (g[..., 3] - g[..., 1]) / 2
    s = strides[None, None, :]
    big = torch.maximum(hw, hh)
    level = ((s == 8) & (big <= 64)) | ((s == 16) & (big > 32) & (big <= 128)) | ((s == 32) & (big > 64))
    dx = (points[None, None, :, 0] - cx).abs()
    dy = (points[None, None, :, 1] - cy).abs()
    near = (dx < radius * s) & (dy < radius * s)
    inside = (dx <= torch.maximum(hw, s / 2)) & (dy <= torch.maximum(hh, s / 2))
    pos = level & near & inside & gt_mask[:, :, None]  # [B, M, A]
    area = (hw * hh).expand_as(pos)
    area = torch.where(pos, area, torch.full_like(area, float("inf")))
    gt_idx = area.argmin(1)  # [B, A]
    fg = pos.any(1)
    target_boxes = torch.gather(gt_boxes, 1, gt_idx[..., None].expand(-1, -1, 4))
    return fg, target_boxes, fg.float()


def bbox_to_dist(points: torch.Tensor, strides: torch.Tensor, boxes: torch.Tensor, reg_max: int) -> torch.Tensor:
    """ltrb distances in stride units, clipped to the DFL range."""
    lt = (points - boxes[..., :2]) / strides[..., None]
    rb = (boxes[..., 2:] - points) / strides[..., None]
    return torch.cat([lt, rb], -1).clamp(0, reg_max - 1 - 0.01)


def dfl_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Distribution focal loss: cross-entropy on the two bins around each continuous target.
    logits [N, 4, R], target [N, 4] -> [N]."""
    tl = target.long()
    tr = tl + 1
    wl = tr.float() - target
    wr = 1 - wl
    lp = F.log_softmax(logits, -1)
    loss = -(lp.gather(-1, tl[..., None]).squeeze(-1) * wl + lp.gather(-1, tr[..., None]).squeeze(-1) * wr)
    return loss.mean(-1)


def detection_loss(box_logits: torch.Tensor, cls_logits: torch.Tensor, points: torch.Tensor, strides: torch.Tensor,
                   gt_boxes: torch.Tensor, gt_mask: torch.Tensor, reg_max: int,
                   assigner: str = "centre") -> tuple[torch.Tensor, dict[str, float]]:
    """Total loss for one batch (single class). box_logits [B, A, 4R], cls_logits [B, A, 1]."""
    b = box_logits.shape[0]
    dist = dfl_expectation(box_logits, reg_max)  # [B, A, 4] stride units, the exported decode
    s = strides[None, :, None]
    pred_boxes = torch.cat([points[None] - dist[..., :2] * s, points[None] + dist[..., 2:] * s], -1)
    scores = cls_logits[..., 0]
    if assigner == "centre":
        fg, tboxes, tscores = assign_centre(points, strides, gt_boxes, gt_mask)
    elif assigner == "tal":
        fg, tboxes, tscores = assign(scores.detach().sigmoid(), pred_boxes.detach(), points, strides, gt_boxes, gt_mask)
    else:
        raise ValueError(f"assigner must be 'centre' or 'tal', got {assigner!r}")
    n_pos = max(int(fg.sum()), 1)
    l_cls = F.binary_cross_entropy_with_logits(scores, tscores, reduction="sum") / n_pos
    if fg.any():
        l_box = (1 - ciou(pred_boxes[fg], tboxes[fg])).mean()
        pts = points[None].expand(b, -1, -1)[fg]
        st = strides[None].expand(b, -1)[fg]
        tdist = bbox_to_dist(pts, st, tboxes[fg], reg_max)
        l_dfl = dfl_loss(box_logits[fg].view(-1, 4, reg_max), tdist).mean()
    else:
        l_box = box_logits.sum() * 0
        l_dfl = box_logits.sum() * 0
    total = 7.5 * l_box + 1.5 * l_dfl + 0.5 * l_cls
    sig = scores.detach().sigmoid()
    return total, {"box": float(l_box.detach()), "dfl": float(l_dfl.detach()), "cls": float(l_cls.detach()),
                   "pos": int(fg.sum()), "scorePos": float(sig[fg].mean()) if fg.any() else 0.0,
                   "scoreMaxNeg": float(sig[~fg].max())}

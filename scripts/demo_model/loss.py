"""Label assignment and loss: task-aligned assignment (as described for TOOD / YOLOv8) with BCE for
the class score, CIoU and distribution focal loss (DFL) for the box.

Assignment, per ground-truth box g and anchor a (anchor = grid-cell centre of one pyramid level):
1. candidates: anchors whose centre lies inside g, where g is first widened to at least 2 strides of
   that anchor's level on each axis (scratch boxes are thin: a 10 x 60 px box can fall between the
   stride-8 centres of its short axis, and it would then get no positive at all);
2. alignment t(g, a) = s^0.5 * IoU^6, s = predicted score of the class, IoU of the predicted box
   (both detached): an anchor is a good positive when it both classifies and localizes well;
3. each g takes its top 10 candidates by t; an anchor claimed by several g keeps the one of highest IoU;
4. soft class target of a positive: t normalized per g so that its best anchor gets that anchor's IoU
   with g (so the score learns to predict localization quality); every other anchor has target 0.

Loss = 7.5 * CIoU + 1.5 * DFL + 0.5 * BCE, each weighted by the soft targets and divided by their sum.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


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
    hw = torch.maximum((g[..., 2] - g[..., 0]) / 2, strides[None, None, :])
    hh = torch.maximum((g[..., 3] - g[..., 1]) / 2, strides[None, None, :])
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
    max_iou = (iou * pos).amax(2, keepdim=True)
    norm = (align_pos * max_iou / (max_align + 1e-9)).amax(1)  # [B, A]
    return fg, target_boxes, norm * fg


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
                   gt_boxes: torch.Tensor, gt_mask: torch.Tensor, reg_max: int) -> tuple[torch.Tensor, dict[str, float]]:
    """Total loss for one batch (single class). box_logits [B, A, 4R], cls_logits [B, A, 1]."""
    b, a, _ = box_logits.shape
    prob = box_logits.view(b, a, 4, reg_max).softmax(-1)
    dist = (prob * torch.arange(reg_max, dtype=prob.dtype)).sum(-1)  # [B, A, 4] stride units
    s = strides[None, :, None]
    pred_boxes = torch.cat([points[None] - dist[..., :2] * s, points[None] + dist[..., 2:] * s], -1)
    scores = cls_logits[..., 0]
    fg, tboxes, tscores = assign(scores.detach().sigmoid(), pred_boxes.detach(), points, strides, gt_boxes, gt_mask)
    tsum = tscores.sum().clamp(min=1.0)
    l_cls = F.binary_cross_entropy_with_logits(scores, tscores, reduction="sum") / tsum
    if fg.any():
        w = tscores[fg]
        l_box = ((1 - ciou(pred_boxes[fg], tboxes[fg])) * w).sum() / tsum
        pts = points[None].expand(b, -1, -1)[fg]
        st = strides[None].expand(b, -1)[fg]
        tdist = bbox_to_dist(pts, st, tboxes[fg], reg_max)
        l_dfl = (dfl_loss(box_logits[fg].view(-1, 4, reg_max), tdist) * w).sum() / tsum
    else:
        l_box = box_logits.sum() * 0
        l_dfl = box_logits.sum() * 0
    total = 7.5 * l_box + 1.5 * l_dfl + 0.5 * l_cls
    return total, {"box": float(l_box.detach()), "dfl": float(l_dfl.detach()), "cls": float(l_cls.detach()),
                   "pos": int(fg.sum())}

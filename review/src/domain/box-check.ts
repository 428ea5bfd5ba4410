/**
 * The rules a decision's boxes must follow beyond their shape: inside the image, not empty, none for an
 * ok decision and at least one for a defect (a defect label without a box teaches nothing). Returns the
 * first problem with the dotted field it is about, or undefined. Pure.
 */
import type { ReviewBox, ReviewVerdict } from './decision.ts';

export interface BoxProblem {
  readonly field: string;
  readonly message: string;
}

/** Rounding slack for boxes drawn at the very edge, in pixels. */
const EDGE_SLACK_PX = 0.5;

export function checkDecisionBoxes(
  verdict: ReviewVerdict,
  boxes: readonly ReviewBox[],
  image: { readonly width: number; readonly height: number },
  field = 'boxes',
): BoxProblem | undefined {
  if (verdict === 'ok' && boxes.length > 0) {
    return { field, message: `an ok decision has no defect boxes; got ${boxes.length}` };
  }
  if (verdict === 'defect' && boxes.length === 0) {
    return { field, message: 'a defect decision needs at least one box around the defect; got none' };
  }
  for (const [i, b] of boxes.entries()) {
    if (b.width <= 0 || b.height <= 0) {
      return { field: `${field}.${i}`, message: `box ${i} is empty (${b.width} x ${b.height} px); expected > 0` };
    }
    if (b.x + b.width > image.width + EDGE_SLACK_PX) {
      return {
        field: `${field}.${i}.width`,
        message: `box ${i} ends at x=${b.x + b.width}, outside the image (width ${image.width} px)`,
      };
    }
    if (b.y + b.height > image.height + EDGE_SLACK_PX) {
      return {
        field: `${field}.${i}.height`,
        message: `box ${i} ends at y=${b.y + b.height}, outside the image (height ${image.height} px)`,
      };
    }
  }
  return undefined;
}

/**
 * Detection boxes on the image's pixel grid, and the area a set of them covers. A box (x, y, width,
 * height in image pixels, fractional) covers the pixel columns [round(x), round(x + width)) and rows
 * [round(y), round(y + height)), clipped to the image: the same pixels the anomaly mask fills, so a
 * class's area is the share of the image its colour would cover if no other class overlapped it.
 */

/** Half-open pixel rectangle [x0, x1) x [y0, y1). */
export interface PixelRect {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

const clamp = (v: number, max: number) => Math.min(max, Math.max(0, v));

export function pixelRect(box: Box, imageWidth: number, imageHeight: number): PixelRect {
  return {
    x0: clamp(Math.round(box.x), imageWidth),
    y0: clamp(Math.round(box.y), imageHeight),
    x1: clamp(Math.round(box.x + box.width), imageWidth),
    y1: clamp(Math.round(box.y + box.height), imageHeight),
  };
}

/**
 * Pixels covered by the union of `rects` (overlaps counted once): a sweep over the vertical slabs
 * between distinct x edges, merging the y intervals of the rectangles that span each slab.
 * O(n^2 log n) for n rectangles; n is at most the detector's maxDetections (1000).
 */
export function unionPixelCount(rects: readonly PixelRect[]): number {
  const solid = rects.filter((r) => r.x1 > r.x0 && r.y1 > r.y0);
  const xs = [...new Set(solid.flatMap((r) => [r.x0, r.x1]))].sort((a, b) => a - b);
  let total = 0;
  for (let i = 0; i + 1 < xs.length; i++) {
    const left = xs[i] as number;
    const right = xs[i + 1] as number;
    const spans = solid
      .filter((r) => r.x0 <= left && r.x1 >= right)
      .map((r) => [r.y0, r.y1] as const)
      .sort((a, b) => a[0] - b[0]);
    let covered = 0;
    let end = -1;
    for (const [y0, y1] of spans) {
      if (y1 <= end) continue;
      covered += y1 - Math.max(y0, end);
      end = y1;
    }
    total += covered * (right - left);
  }
  return total;
}

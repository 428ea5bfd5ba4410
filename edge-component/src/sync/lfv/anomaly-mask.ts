/**
 * The anomaly mask of an inspection's detections: an RGB888 bitmap at the image's resolution, black where nothing
 * was found, each detection's box (pixel-rects.ts) filled with its class's colour. Where boxes of
 * different classes overlap, the more confident detection is on top (painted last).
 */
import type { Detection } from '../../contracts/inspection.ts';
import { classHexColour, rgbOfHex } from './class-colours.ts';
import { pixelRect } from './pixel-rects.ts';

export function renderAnomalyMask(detections: readonly Detection[], width: number, height: number): Uint8Array {
  const mask = new Uint8Array(width * height * 3);
  const byConfidence = [...detections].sort((a, b) => a.confidence - b.confidence);
  for (const d of byConfidence) {
    const r = pixelRect(d.box, width, height);
    if (r.x1 <= r.x0 || r.y1 <= r.y0) continue;
    const [red, green, blue] = rgbOfHex(classHexColour(d.classId));
    const rowStart = (r.y0 * width + r.x0) * 3;
    const rowEnd = (r.y0 * width + r.x1) * 3;
    for (let i = rowStart; i < rowEnd; i += 3) {
      mask[i] = red;
      mask[i + 1] = green;
      mask[i + 2] = blue;
    }
    // The first row painted, copied to the others.
    for (let y = r.y0 + 1; y < r.y1; y++) mask.copyWithin((y * width + r.x0) * 3, rowStart, rowEnd);
  }
  return mask;
}

/**
 * Where each output pixel of a bilinear resize samples the source, and with which fixed-point weights,
 * exactly as OpenCV's cv2.resize(..., INTER_LINEAR) computes them for uint8 images (pure); the
 * letterbox (core/letterbox-tensor.ts) applies them. Per output index d of one axis:
 * f = float32((d + 0.5) * (1 / (dst / src)) - 0.5), s = floor(f), f = float32(f - s); weights
 * round(float32(1 - f) * 2048) and round(f * 2048), exact halves to even (so the two do not always
 * add up to 2048). Columns are clamped here: s < 0 becomes 0 and s >= src - 1 becomes src - 1, both
 * with f = 0 (weights 2048 and 0: the first tap alone, as OpenCV treats its edge columns). Rows are
 * not: OpenCV keeps their weights and clamps the two row indices when it reads them.
 */
import { roundHalfEven } from './letterbox.ts';

/** Fixed-point scale of the weights (OpenCV's INTER_RESIZE_COEF_SCALE). */
export const LINEAR_COEF_SCALE = 2048;

export interface LinearTaps {
  /** First source index per output index (rows: may be -1 or the last row, clamp when reading;
   * columns: the second tap is index + 1, or index itself at the last column, with weight 0). */
  readonly index: Int32Array;
  /** Fixed-point weights of the first and the second tap. */
  readonly w0: Int32Array;
  readonly w1: Int32Array;
}

/** The taps of one axis; `columns`: clamped as OpenCV clamps columns, else left as it leaves rows. */
export function linearTaps(srcSize: number, dstSize: number, columns: boolean): LinearTaps {
  const index = new Int32Array(dstSize);
  const w0 = new Int32Array(dstSize);
  const w1 = new Int32Array(dstSize);
  const scale = 1 / (dstSize / srcSize);
  for (let d = 0; d < dstSize; d += 1) {
    let f = Math.fround((d + 0.5) * scale - 0.5);
    let s = Math.floor(f);
    f = Math.fround(f - s);
    if (columns) {
      if (s < 0) {
        s = 0;
        f = 0;
      }
      if (s >= srcSize - 1) {
        s = srcSize - 1;
        f = 0;
      }
    }
    index[d] = s;
    w0[d] = roundHalfEven(Math.fround(1 - f) * LINEAR_COEF_SCALE);
    w1[d] = roundHalfEven(f * LINEAR_COEF_SCALE);
  }
  return { index, w0, w1 };
}

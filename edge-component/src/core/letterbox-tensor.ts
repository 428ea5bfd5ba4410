/**
 * The model input tensor from decoded pixels (pure): letterbox with bilinear resampling exactly as
 * OpenCV's cv2.resize INTER_LINEAR does it (half-pixel centres, edge pixels repeated, no
 * antialiasing), which is how the model was trained (scripts/demo_model/letterbox.py, Ultralytics);
 * each value rounded to a grey level as cv2 does (uint8); grey padding; NCHW float32 with
 * value = (level - mean) / std per channel in the manifest's colour order.
 *
 * Why not sharp's resize: its kernels (even `linear`) widen with the downscale factor (antialiasing),
 * so they differ from what the model saw in training (measured against the cv2 letterbox of the
 * samples: mean 0.2-3.5 grey levels, up to 40; this function: mean 0.06, at most 1, from cv2's
 * fixed-point arithmetic), and sharp's affine+bilinear, which matches, was slower than decoding once
 * and resampling here. The price: the full-size decoded image is held while resampling (3 bytes per
 * pixel: 6 MB for 2 MP, 36 MB for 12 MP), and JPEG shrink-on-load is not used.
 */
import type { LetterboxGeometry, ManifestInputSpec } from './types.ts';

/** Decoded pixels: rows of `width` pixels, `channels` interleaved bytes each (R, G, B first). */
export interface PixelBuffer {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: number;
}

/** Source index and weight of the second sample, per output coordinate, as cv2 INTER_LINEAR. */
function linearTaps(srcSize: number, dstSize: number): { first: Int32Array; second: Int32Array; weight: Float32Array } {
  const first = new Int32Array(dstSize);
  const second = new Int32Array(dstSize);
  const weight = new Float32Array(dstSize);
  const ratio = srcSize / dstSize;
  for (let d = 0; d < dstSize; d += 1) {
    const f = (d + 0.5) * ratio - 0.5;
    let i = Math.floor(f);
    let w = f - i;
    if (i < 0) {
      i = 0;
      w = 0;
    }
    if (i >= srcSize - 1) {
      i = srcSize - 1;
      w = 0;
    }
    first[d] = i;
    second[d] = Math.min(i + 1, srcSize - 1);
    weight[d] = w;
  }
  return { first, second, weight };
}

/**
 * Letterboxes `pixels` (already EXIF-oriented; its size must be the geometry's source size) into a new
 * [1, 3, inputHeight, inputWidth] tensor.
 */
export function letterboxTensor(pixels: PixelBuffer, g: LetterboxGeometry, input: ManifestInputSpec): Float32Array {
  const { data, width: W, height: H, channels } = pixels;
  if (W !== g.sourceWidth || H !== g.sourceHeight || channels < 3 || data.length < W * H * channels) {
    throw new RangeError(
      `pixels ${W}x${H}x${channels} (${data.length} bytes) do not match the letterbox source ${g.sourceWidth}x${g.sourceHeight}x3`,
    );
  }
  const inW = g.inputWidth;
  const plane = inW * g.inputHeight;
  const tensor = new Float32Array(3 * plane);
  const { mean, std } = input.normalization;
  // Tensor plane p holds source channel order[p] (RGB: R first; BGR: B first); value = (level - mean[p]) / std[p].
  const order = input.colorOrder === 'RGB' ? [0, 1, 2] : [2, 1, 0];
  const lutOfPlane = [0, 1, 2].map((p) =>
    Float32Array.from({ length: 256 }, (_, level) => (level - (mean[p] as number)) / (std[p] as number)),
  );
  for (let p = 0; p < 3; p += 1) {
    tensor.fill((lutOfPlane[p] as Float32Array)[input.resize.padValue] as number, p * plane, (p + 1) * plane);
  }
  // Per source channel: its plane's offset in the tensor and its lookup table.
  const planeOf = [order.indexOf(0), order.indexOf(1), order.indexOf(2)] as [number, number, number];
  const q0 = planeOf[0] * plane;
  const q1 = planeOf[1] * plane;
  const q2 = planeOf[2] * plane;
  const lut0 = lutOfPlane[planeOf[0]] as Float32Array;
  const lut1 = lutOfPlane[planeOf[1]] as Float32Array;
  const lut2 = lutOfPlane[planeOf[2]] as Float32Array;
  const xs = linearTaps(W, g.resizedWidth);
  const ys = linearTaps(H, g.resizedHeight);
  // Source byte offsets of the two horizontal taps of each output column.
  const xa = new Int32Array(g.resizedWidth);
  const xb = new Int32Array(g.resizedWidth);
  for (let x = 0; x < g.resizedWidth; x += 1) {
    xa[x] = (xs.first[x] as number) * channels;
    xb[x] = (xs.second[x] as number) * channels;
  }
  const rowBytes = W * channels;
  for (let y = 0; y < g.resizedHeight; y += 1) {
    const r0 = (ys.first[y] as number) * rowBytes;
    const r1 = (ys.second[y] as number) * rowBytes;
    const fy = ys.weight[y] as number;
    const gy = 1 - fy;
    let o = (y + g.padTop) * inW + g.padLeft;
    for (let x = 0; x < g.resizedWidth; x += 1, o += 1) {
      const fx = xs.weight[x] as number;
      const gx = 1 - fx;
      // Weights of the four taps: top-left, top-right, bottom-left, bottom-right.
      const w00 = gx * gy;
      const w01 = fx * gy;
      const w10 = gx * fy;
      const w11 = fx * fy;
      const a = r0 + (xa[x] as number);
      const c = r0 + (xb[x] as number);
      const d = r1 + (xa[x] as number);
      const e = r1 + (xb[x] as number);
      // Rounded to a grey level, as cv2 writes its uint8 result (+ 0.5 | 0: round half up, values >= 0).
      const v0 =
        ((data[a] as number) * w00 +
          (data[c] as number) * w01 +
          (data[d] as number) * w10 +
          (data[e] as number) * w11 +
          0.5) |
        0;
      const v1 =
        ((data[a + 1] as number) * w00 +
          (data[c + 1] as number) * w01 +
          (data[d + 1] as number) * w10 +
          (data[e + 1] as number) * w11 +
          0.5) |
        0;
      const v2 =
        ((data[a + 2] as number) * w00 +
          (data[c + 2] as number) * w01 +
          (data[d + 2] as number) * w10 +
          (data[e + 2] as number) * w11 +
          0.5) |
        0;
      tensor[q0 + o] = lut0[v0] as number;
      tensor[q1 + o] = lut1[v1] as number;
      tensor[q2 + o] = lut2[v2] as number;
    }
  }
  return tensor;
}

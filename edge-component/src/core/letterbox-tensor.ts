/**
 * The model input tensor from decoded pixels (pure): letterbox with bilinear resampling exactly as
 * OpenCV's cv2.resize INTER_LINEAR does it (half-pixel centres, edge pixels repeated, no
 * antialiasing), which is how the model was trained (scripts/demo_model/letterbox.py, Ultralytics);
 * grey padding; NCHW float32 with value = (pixel - mean) / std per channel in the manifest's colour order.
 *
 * Why not sharp's resize: its kernels (even `linear`) widen with the downscale factor (antialiasing),
 * so they differ from what the model saw in training (measured on the samples: mean 0.2-3.5 grey
 * levels, up to 40; this function: below 1 level, from rounding), and sharp's affine+bilinear, which
 * matches, was slower than decoding once and resampling here.
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
  // Tensor plane p takes source channel src[p]; value = pixel * k[p] + b[p].
  const src = input.colorOrder === 'RGB' ? [0, 1, 2] : [2, 1, 0];
  const k = [1 / std[0], 1 / std[1], 1 / std[2]];
  const b = [-mean[0] / std[0], -mean[1] / std[1], -mean[2] / std[2]];
  for (let p = 0; p < 3; p += 1) {
    const pad = input.resize.padValue * (k[p] as number) + (b[p] as number);
    tensor.fill(pad, p * plane, (p + 1) * plane);
  }
  const xs = linearTaps(W, g.resizedWidth);
  const ys = linearTaps(H, g.resizedHeight);
  // Source byte offsets of the two horizontal taps of each output column.
  const xa = new Int32Array(g.resizedWidth);
  const xb = new Int32Array(g.resizedWidth);
  for (let x = 0; x < g.resizedWidth; x += 1) {
    xa[x] = (xs.first[x] as number) * channels;
    xb[x] = (xs.second[x] as number) * channels;
  }
  // Source channel c goes to tensor plane at offset q_c (RGB: R first; BGR: B first).
  const q0 = (src.indexOf(0) as number) * plane;
  const q1 = (src.indexOf(1) as number) * plane;
  const q2 = (src.indexOf(2) as number) * plane;
  const k0 = k[src.indexOf(0)] as number;
  const k1 = k[src.indexOf(1)] as number;
  const k2 = k[src.indexOf(2)] as number;
  const b0 = b[src.indexOf(0)] as number;
  const b1 = b[src.indexOf(1)] as number;
  const b2 = b[src.indexOf(2)] as number;
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
      tensor[q0 + o] =
        ((data[a] as number) * w00 +
          (data[c] as number) * w01 +
          (data[d] as number) * w10 +
          (data[e] as number) * w11) *
          k0 +
        b0;
      tensor[q1 + o] =
        ((data[a + 1] as number) * w00 +
          (data[c + 1] as number) * w01 +
          (data[d + 1] as number) * w10 +
          (data[e + 1] as number) * w11) *
          k1 +
        b1;
      tensor[q2 + o] =
        ((data[a + 2] as number) * w00 +
          (data[c + 2] as number) * w01 +
          (data[d + 2] as number) * w10 +
          (data[e + 2] as number) * w11) *
          k2 +
        b2;
    }
  }
  return tensor;
}

/**
 * The model input tensor from decoded pixels (pure): letterbox with bilinear resampling bit-exact
 * with OpenCV's cv2.resize INTER_LINEAR on uint8 images, which is how the model was trained
 * (scripts/demo_model/letterbox.py, Ultralytics); grey padding; NCHW float32 with
 * value = (level - mean) / std per channel in the manifest's colour order.
 *
 * OpenCV's fixed-point arithmetic, reproduced: taps and weights from core/linear-taps.ts; per output
 * pixel and channel, the horizontal pass h = (p(s) * a0 + p(s + 1) * a1) >> 4 on the two source rows,
 * then the vertical pass as OpenCV's SIMD code does it (16-bit high multiplies):
 * level = ((h0 * b0) >> 16) + ((h1 * b1) >> 16) + 2) >> 2, at most 255. An image that is not resized
 * is copied (as cv2.resize does). Checked equal to cv2 (4.x/5.0) on every demo sample and on random
 * images of 5-3000 px, up- and downscaled; tests/core/letterbox-tensor.test.ts holds a fixture made
 * by cv2 (scripts/demo_model/letterbox_fixture.py). The previous float version differed from cv2 by
 * one grey level on about 6 % of the values; this one is as fast (measured side by side on the samples).
 *
 * Where it serves: the agent's letterbox for every image except one reduced three times or more, which
 * libvips letterboxes itself (JPEG shrink-on-load; adapters/sharp-letterbox.ts explains
 * why libvips' own resamplers are not used below that). It is also the trained-with letterbox that the
 * agent's is compared with (tests/inference/letterbox-formats and `edgeqc bench --accuracy --letterbox cv2`).
 */
import { linearTaps } from './linear-taps.ts';
import type { LetterboxGeometry, ManifestInputSpec } from './types.ts';

/** Decoded pixels: rows of `width` pixels, `channels` interleaved bytes each (R, G, B first). */
export interface PixelBuffer {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: number;
}

/**
 * Letterboxes `pixels` (already EXIF-oriented; its size must be the geometry's source size) into a
 * [1, 3, inputHeight, inputWidth] tensor: `into` (every value overwritten), or a new one.
 */
export function letterboxTensor(
  pixels: PixelBuffer,
  g: LetterboxGeometry,
  input: ManifestInputSpec,
  into?: Float32Array,
): Float32Array {
  const { data, width: W, height: H, channels } = pixels;
  if (W !== g.sourceWidth || H !== g.sourceHeight || channels < 3 || data.length < W * H * channels) {
    throw new RangeError(
      `pixels ${W}x${H}x${channels} (${data.length} bytes) do not match the letterbox source ${g.sourceWidth}x${g.sourceHeight}x3`,
    );
  }
  const inW = g.inputWidth;
  const plane = inW * g.inputHeight;
  const tensor = into ?? new Float32Array(3 * plane);
  if (tensor.length !== 3 * plane) {
    throw new RangeError(`tensor has ${tensor.length} values, expected 3x${inW}x${g.inputHeight} = ${3 * plane}`);
  }
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
  if (g.resizedWidth === W && g.resizedHeight === H) {
    // Not resized (cv2.resize copies; letterbox.py skips it): the pixels as they are.
    for (let y = 0; y < H; y += 1) {
      let t = y * W * channels;
      let o = (y + g.padTop) * inW + g.padLeft;
      for (let x = 0; x < W; x += 1, o += 1, t += channels) {
        tensor[q0 + o] = lut0[data[t] as number] as number;
        tensor[q1 + o] = lut1[data[t + 1] as number] as number;
        tensor[q2 + o] = lut2[data[t + 2] as number] as number;
      }
    }
    return tensor;
  }
  const xs = linearTaps(W, g.resizedWidth, true);
  const ys = linearTaps(H, g.resizedHeight, false);
  // Source byte offsets of each output column's two taps (the second is the first at the last column).
  const left = new Int32Array(g.resizedWidth);
  const right = new Int32Array(g.resizedWidth);
  for (let x = 0; x < g.resizedWidth; x += 1) {
    const i = xs.index[x] as number;
    left[x] = i * channels;
    right[x] = Math.min(i + 1, W - 1) * channels;
  }
  const xw0 = xs.w0;
  const xw1 = xs.w1;
  const rw = g.resizedWidth;
  const rowBytes = W * channels;
  for (let y = 0; y < g.resizedHeight; y += 1) {
    const s = ys.index[y] as number;
    const r0 = Math.min(Math.max(s, 0), H - 1) * rowBytes;
    const r1 = Math.min(Math.max(s + 1, 0), H - 1) * rowBytes;
    const b0 = ys.w0[y] as number;
    const b1 = ys.w1[y] as number;
    let o = (y + g.padTop) * inW + g.padLeft;
    for (let x = 0; x < rw; x += 1, o += 1) {
      const t0 = r0 + (left[x] as number);
      const t1 = r1 + (left[x] as number);
      const u0 = r0 + (right[x] as number);
      const u1 = r1 + (right[x] as number);
      const w0 = xw0[x] as number;
      const w1 = xw1[x] as number;
      const c0 =
        (((((data[t0] as number) * w0 + (data[u0] as number) * w1) >> 4) * b0) >> 16) +
        (((((data[t1] as number) * w0 + (data[u1] as number) * w1) >> 4) * b1) >> 16);
      const c1 =
        (((((data[t0 + 1] as number) * w0 + (data[u0 + 1] as number) * w1) >> 4) * b0) >> 16) +
        (((((data[t1 + 1] as number) * w0 + (data[u1 + 1] as number) * w1) >> 4) * b1) >> 16);
      const c2 =
        (((((data[t0 + 2] as number) * w0 + (data[u0 + 2] as number) * w1) >> 4) * b0) >> 16) +
        (((((data[t1 + 2] as number) * w0 + (data[u1 + 2] as number) * w1) >> 4) * b1) >> 16);
      // (v + 2) >> 2, saturated to 255 as OpenCV packs it.
      tensor[q0 + o] = lut0[c0 >= 1022 ? 255 : (c0 + 2) >> 2] as number;
      tensor[q1 + o] = lut1[c1 >= 1022 ? 255 : (c1 + 2) >> 2] as number;
      tensor[q2 + o] = lut2[c2 >= 1022 ? 255 : (c2 + 2) >> 2] as number;
    }
  }
  return tensor;
}

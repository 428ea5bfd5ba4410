/**
 * The model input tensor from letterboxed 8-bit pixels (pure): interleaved R G B bytes of the whole
 * input (padding included) become NCHW float32, value = (level - mean) / std per channel in the
 * manifest's colour order, through one 256-entry lookup table per plane. One pass over the pixels,
 * written straight into the tensor (no intermediate copy).
 */
import type { ManifestInputSpec } from './types.ts';

interface Plane {
  readonly byte: number;
  readonly lut: Float32Array;
}

/** Per tensor plane: which byte of a pixel it reads (0 = R) and its lookup table. */
function planes(input: ManifestInputSpec): [Plane, Plane, Plane] {
  const { mean, std } = input.normalization;
  // Tensor plane p holds source channel order[p] (RGB: R first; BGR: B first).
  const order = input.colorOrder === 'RGB' ? [0, 1, 2] : [2, 1, 0];
  const plane = (p: 0 | 1 | 2): Plane => ({
    byte: order[p] as number,
    lut: Float32Array.from({ length: 256 }, (_, level) => (level - (mean[p] as number)) / (std[p] as number)),
  });
  return [plane(0), plane(1), plane(2)];
}

/**
 * Fills a [1, 3, height, width] tensor from `pixels` (width x height x 3 bytes). `into`: the tensor to
 * fill (its length must be 3 x width x height); default a new one.
 */
export function planarTensor(
  pixels: Uint8Array,
  width: number,
  height: number,
  input: ManifestInputSpec,
  into?: Float32Array,
): Float32Array {
  const plane = width * height;
  if (pixels.length !== plane * 3) {
    throw new RangeError(`pixels have ${pixels.length} bytes, expected ${width}x${height}x3 = ${plane * 3}`);
  }
  const tensor = into ?? new Float32Array(3 * plane);
  if (tensor.length !== 3 * plane) {
    throw new RangeError(`tensor has ${tensor.length} values, expected 3x${width}x${height} = ${3 * plane}`);
  }
  const [a, b, c] = planes(input);
  const { lut: la, byte: ba } = a;
  const { lut: lb, byte: bb } = b;
  const { lut: lc, byte: bc } = c;
  const q1 = plane;
  const q2 = 2 * plane;
  for (let i = 0, j = 0; i < plane; i += 1, j += 3) {
    tensor[i] = la[pixels[j + ba] as number] as number;
    tensor[q1 + i] = lb[pixels[j + bb] as number] as number;
    tensor[q2 + i] = lc[pixels[j + bc] as number] as number;
  }
  return tensor;
}

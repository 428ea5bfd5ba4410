/**
 * The model input spec of an Ultralytics-style YOLO export (the demo model's): `images`, NCHW float32
 * RGB, 0..1 (level / 255), letterboxed with grey 114. For tests and benchmark scripts.
 */
import type { ManifestInputSpec } from '../../src/core/types.ts';

export function yoloInput(width = 640, height = width, over: Partial<ManifestInputSpec> = {}): ManifestInputSpec {
  return {
    name: 'images',
    shape: [1, 3, height, width],
    dtype: 'float32',
    layout: 'NCHW',
    colorOrder: 'RGB',
    normalization: { mean: [0, 0, 0], std: [255, 255, 255] },
    resize: { mode: 'letterbox', padValue: 114 },
    ...over,
  };
}

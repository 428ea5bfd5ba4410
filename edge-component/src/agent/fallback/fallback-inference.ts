/**
 * SHIM, to be deleted: the stand-in inference now lives in the planned modules, and this file only
 * re-exports them under the stand-in's names for the importers not switched yet (demo/bench). New
 * code imports core/*, adapters/sharp-image-preparer.ts, adapters/onnx-detector.ts and inference/*.
 */
import { decodeDetections } from '../../core/decode.ts';
import type { Detection, LetterboxGeometry, Manifest, Thresholds } from '../../core/types.ts';

export { loadDetector as loadFallbackDetector } from '../../adapters/onnx-detector.ts';
export { createSharpImagePreparer as createFallbackPreparer } from '../../adapters/sharp-image-preparer.ts';
export { admitBytes } from '../../core/admit.ts';
export { inspectImage as fallbackInspectImage } from '../../inference/inspect-image.ts';
export { runSelfTests as fallbackRunSelfTests } from '../../inference/self-test.ts';

/** The stand-in's decoder signature over core/decode.ts `decodeDetections`. */
export function decodeYoloOutput(
  data: Float32Array,
  dims: readonly number[],
  m: Pick<Manifest, 'classes'>,
  t: Thresholds,
  g: LetterboxGeometry,
): Detection[] {
  return decodeDetections({ data, dims }, { geometry: g, classes: m.classes, thresholds: t });
}

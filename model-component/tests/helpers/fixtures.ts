import { fileURLToPath } from 'node:url';

/** The demo model (model-component/models/tag-scratch; provenance in its README). */
export const DEMO_DIR = fileURLToPath(new URL('../../models/tag-scratch/', import.meta.url));
export const DEMO_INT8 = `${DEMO_DIR}model.int8.onnx`;
export const DEMO_FP32 = `${DEMO_DIR}model.fp32.onnx`;

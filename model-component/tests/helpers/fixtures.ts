import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The demo model (model-component/models/tag-scratch; provenance in its README). */
export const DEMO_DIR = fileURLToPath(new URL('../../models/tag-scratch/', import.meta.url));
export const DEMO_INT8 = `${DEMO_DIR}model.int8.onnx`;
export const DEMO_FP32 = `${DEMO_DIR}model.fp32.onnx`;

/** The GDK recipe schema, third-party data beside the checkout (see its README). */
export const GDK_SCHEMA_PATH = fileURLToPath(
  new URL('../../../../shared/schemas/greengrass-recipe.schema.json', import.meta.url),
);
export const gdkSchema = (): object => JSON.parse(readFileSync(GDK_SCHEMA_PATH, 'utf8')) as object;

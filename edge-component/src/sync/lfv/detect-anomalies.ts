/**
 * DetectAnomalies: our model only (NOT_FOUND otherwise), RUNNING only (FAILED_PRECONDITION), the bitmap
 * checked and read (inline or shared memory), inspected by the shared InspectionService, mapped onto
 * the Lookout for Vision result (anomaly-result.ts), and the anomaly mask when the request has
 * `anomaly_mask_params`: inline `byte_data` without a handle, else written into the client's segment
 * and returned as that handle.
 */
import { LfvCode, LfvError } from '../../errors.ts';
import type { InspectionService, ModelControl } from '../inspection-service.ts';
import { renderAnomalyMask } from './anomaly-mask.ts';
import { toDetectAnomalyResult } from './anomaly-result.ts';
import { maskTargetOf, readBitmap } from './bitmap-input.ts';
import type { BitmapOut, DetectAnomaliesRequest, DetectAnomaliesResponse } from './edge-agent-messages.ts';
import { requireOurModel } from './model-calls.ts';
import { writeSharedMemory } from './shared-memory.ts';

export interface DetectDeps {
  readonly service: InspectionService;
  readonly control: ModelControl;
}

export function detectAnomaliesCall(deps: DetectDeps) {
  return async (req: DetectAnomaliesRequest): Promise<DetectAnomaliesResponse> => {
    const component = requireOurModel(deps.control, req.model_component);
    const state = deps.control.state();
    if (state !== 'RUNNING') {
      throw new LfvError(LfvCode.ModelState, `${component} is ${state}: DetectAnomalies needs RUNNING`);
    }
    const image = await readBitmap(req.bitmap);
    const maskTarget = await maskTargetOf(req, image);
    const { width: w, height: h } = image;
    const inspection = await deps.service.inspect(
      image.pixels
        ? // The request's bitmap is ours alone (grpc-js built the message for this call): hand it over.
          { kind: 'rgb', width: w, height: h, pixels: image.pixels, handOver: true }
        : {
            kind: 'rgb-deferred',
            width: w,
            height: h,
            readPixels: image.readPixels ?? (async () => new Uint8Array()),
            ...(image.releasePixels ? { releasePixels: image.releasePixels } : {}),
          },
    );
    const result = toDetectAnomalyResult(inspection);
    if (maskTarget === null) return { detect_anomaly_result: result };
    const { width, height } = image;
    const mask = renderAnomalyMask(inspection.detections, width, height);
    let anomalyMask: BitmapOut;
    if (maskTarget.kind === 'inline') {
      anomalyMask = { width, height, byte_data: mask };
    } else {
      await writeSharedMemory(maskTarget.handle, mask, 'anomaly_mask_params.shared_memory_handle');
      anomalyMask = { width, height, shared_memory_handle: maskTarget.handle };
    }
    return { detect_anomaly_result: { ...result, anomaly_mask: anomalyMask } };
  };
}

/**
 * The InspectionService over the agent's own parts: the model manager's serving detector (the one
 * session the folder pipeline uses), the sharp preparer, inspect-image and, on request, the outbox and
 * the archive. So a synchronous answer is the very message the folder pipeline would publish for the
 * same bytes (same messageId), and it counts in the agent's status.
 *
 * - Admission: request-gate.ts (bounded concurrency, queue and bytes waiting, a deadline per request);
 *   an encoded body or inline pixels count with their size, deferred pixels (shared memory) with none;
 *   pixels handed over (inline gRPC) or read here (shared memory) are freed, or given back to whoever
 *   lent the buffer (shared memory reads into pooled buffers), as soon as the work ends.
 * - Hot swap: the detector is read when the request's turn comes; a run that fails because the model
 *   was swapped under it runs once more on the new one, so a swap fails no request.
 * - Encoded images are admitted by their bytes (size, magic bytes, SHA-256: core/admit.ts) and decoded
 *   like camera files; raw RGB pixels skip the decode.
 */
import { createHash } from 'node:crypto';
import type { Thresholds } from '@edgeqc/model-component/manifest';
import type { InspectFn, ModelProvider } from '../agent/agent-deps.ts';
import type { Inspection } from '../contracts/inspection.ts';
import { admitBytes, sniffImageFormat } from '../core/admit.ts';
import { ImageRejectedError, SyncInspectionError } from '../errors.ts';
import { effectiveThresholds } from '../inference/inspect-image.ts';
import type { Logger } from '../log.ts';
import type { AdmittedImage, Detector, ImagePreparer } from '../ports.ts';
import type { InspectionService, ServedModelInfo, SyncImage, SyncInspectOptions } from './inspection-service.ts';
import { releaseImageBytes } from './release-bytes.ts';
import { createRequestGate, type RequestGateOptions } from './request-gate.ts';

export interface AgentInspectionServiceDeps {
  readonly models: Pick<ModelProvider, 'current'>;
  readonly preparer: ImagePreparer;
  readonly inspect: InspectFn;
  /** Appends the inspection to the outbox (resolves once it is on disk). */
  readonly publish: (inspection: Inspection) => Promise<void>;
  /** Keeps the image under done/<verdict>/ like a camera file. */
  readonly archive: (image: AdmittedImage, inspection: Inspection) => Promise<void>;
  /** Counts the inspection in the agent's status (verdict counters, rate, latency). */
  readonly record: (inspection: Inspection, latencyMs: number) => void;
  readonly log: Logger;
}

export interface AgentInspectionServiceSettings extends RequestGateOptions {
  readonly thingName: string;
  /** Config overrides of the manifest's thresholds. */
  readonly thresholds?: Partial<Thresholds>;
  /** Larger encoded images are refused (IMAGE_TOO_LARGE), as camera files are. */
  readonly maxFileBytes: number;
}

export interface AgentInspectionService extends InspectionService {
  /** Refuses waiting and later requests; the ones running finish. */
  close(): void;
}

/** The model component that carries a model (the orchestrator names it so). */
export const modelComponentName = (modelName: string) => `com.edgeqc.Model.${modelName}`;

export function servedModelInfo(detector: Detector, overrides?: Partial<Thresholds>): ServedModelInfo {
  return {
    model: detector.model,
    componentName: modelComponentName(detector.model.name),
    labels: detector.manifest.classes,
    thresholds: effectiveThresholds(detector.manifest.thresholds, overrides),
  };
}

function admitted(image: Exclude<SyncImage, { kind: 'rgb-deferred' }>, maxFileBytes: number): AdmittedImage {
  const now = Date.now();
  if (image.kind === 'encoded') {
    const format = sniffImageFormat(image.bytes);
    const name = image.name ?? `request.${format === 'png' ? 'png' : 'jpg'}`;
    return admitBytes(name, image.bytes, now, maxFileBytes);
  }
  const { width, height, pixels } = image;
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width < 1 || height < 1) {
    throw new SyncInspectionError('SYNC_BAD_BITMAP', `bitmap size ${width}x${height}: expected whole numbers >= 1`);
  }
  if (pixels.length !== width * height * 3) {
    throw new SyncInspectionError(
      'SYNC_BAD_BITMAP',
      `bitmap of ${width}x${height} needs ${width * height * 3} bytes of RGB888, got ${pixels.length}`,
    );
  }
  const name = image.name ?? 'bitmap.rgb';
  return {
    path: name,
    file: name,
    bytes: pixels,
    sha256: createHash('sha256').update(pixels).digest('hex'),
    format: 'rgb',
    rgb: { width, height },
    sizeBytes: pixels.length,
    mtimeMs: now,
  };
}

export function createAgentInspectionService(
  deps: AgentInspectionServiceDeps,
  settings: AgentInspectionServiceSettings,
): AgentInspectionService {
  const gate = createRequestGate(settings);
  const serving = (): Detector => {
    const detector = deps.models.current();
    if (!detector) throw new SyncInspectionError('SYNC_NO_MODEL', 'no model serves now: try again later');
    return detector;
  };

  const inspectOn = async (image: AdmittedImage, detector: Detector): Promise<Inspection> => {
    const prepared = await deps.preparer.prepare(image, detector.manifest.input);
    return deps.inspect(prepared, detector, { thingName: settings.thingName, thresholds: settings.thresholds });
  };

  const inspectNow = async (image: AdmittedImage): Promise<Inspection> => {
    const detector = serving();
    try {
      return await inspectOn(image, detector);
    } catch (err) {
      if (err instanceof ImageRejectedError) throw err;
      const next = deps.models.current();
      if (next === null || next === detector) throw err;
      // Swapped while this image ran on the retired model: run it on the new one.
      deps.log.info({ file: image.file }, 'synchronous request run again on the new model');
      return inspectOn(image, next);
    }
  };

  return {
    async inspect(image: SyncImage, options: SyncInspectOptions = {}): Promise<Inspection> {
      const arrived = performance.now();
      if (options.archive && image.kind !== 'encoded') {
        throw new SyncInspectionError(
          'SYNC_BAD_BITMAP',
          'archive needs an encoded image (JPEG or PNG), not raw pixels',
        );
      }
      const admit = async () =>
        image.kind === 'rgb-deferred'
          ? admitted({ ...image, kind: 'rgb', pixels: await image.readPixels() }, settings.maxFileBytes)
          : admitted(image, settings.maxFileBytes);
      // Deferred pixels are read in the request's turn; the others are checked before the request queues.
      let admittedImage: AdmittedImage | null = image.kind === 'rgb-deferred' ? null : await admit();
      // Anything but an image rejection or a SyncInspectionError is an internal error (INSPECTION_FAILED).
      const held = image.kind === 'encoded' ? image.bytes.length : image.kind === 'rgb' ? image.pixels.length : 0;
      // Pixels the service owns are freed when the work really ends (not when a deadline answers first).
      const owned = image.kind === 'rgb-deferred' || (image.kind === 'rgb' && image.handOver === true);
      const inspection = await gate.run(async () => {
        try {
          admittedImage ??= await admit();
          return await inspectNow(admittedImage);
        } finally {
          if (owned && admittedImage) {
            const giveBack = image.kind === 'rgb-deferred' ? image.releasePixels : undefined;
            (giveBack ?? releaseImageBytes)(admittedImage.bytes);
          }
        }
      }, held);
      if (options.publish) await deps.publish(inspection);
      if (options.archive && admittedImage) await deps.archive(admittedImage, inspection);
      deps.record(inspection, performance.now() - arrived);
      return inspection;
    },

    served() {
      const detector = deps.models.current();
      return detector ? servedModelInfo(detector, settings.thresholds) : null;
    },

    retryAfterMs: () => gate.retryAfterMs(),

    close: () => gate.close(),
  };
}

/**
 * A fake InspectionService for the synchronous API's tests (HTTP and gRPC): answers with schema-valid
 * `edgeqc.inspection.v1` messages, or rejects with any code of the contract, or hangs until released.
 * It records every call (image and options). No model, no queue: the test says what happens.
 */
import { createHash } from 'node:crypto';
import type { Verdict } from '@edgeqc/model-component/manifest';
import type { Detection, Inspection } from '../../src/contracts/inspection.ts';
import { INSPECTION_SCHEMA_ID } from '../../src/contracts/inspection.ts';
import { ImageRejectedCode, ImageRejectedError, isCodeOf, SyncCode, SyncInspectionError } from '../../src/errors.ts';
import type {
  InspectionService,
  ServedModelInfo,
  SyncImage,
  SyncInspectOptions,
} from '../../src/sync/inspection-service.ts';

export const FAKE_SERVED: ServedModelInfo = Object.freeze<ServedModelInfo>({
  model: { name: 'fake-detector', version: '1.2.3', sha256: 'ab'.repeat(32), precision: 'int8' },
  componentName: 'com.edgeqc.Model.fake-detector',
  labels: ['scratch', 'dent'],
  thresholds: { confidence: 0.25, iou: 0.7, review: 0.25, defect: 0.5, maxDetections: 300 },
});

/** What the next calls do: answer with a verdict, reject, or hang until `release()`. */
export type FakeBehaviour =
  | { readonly kind: 'answer'; readonly verdict: Verdict }
  | { readonly kind: 'reject'; readonly error: Error }
  | { readonly kind: 'hang' };

export interface FakeCall {
  readonly image: SyncImage;
  readonly options: SyncInspectOptions | undefined;
}

export interface FakeInspectionService extends InspectionService {
  readonly calls: FakeCall[];
  /** Every later call answers with this verdict (the default: ok). */
  answer(verdict: Verdict): void;
  /** Every later call rejects with the contract's error for `code` (ImageRejectedError or SyncInspectionError). */
  rejectWith(code: ImageRejectedCode | SyncCode): void;
  /** Every later call rejects with this error (e.g. a plain Error: an internal failure). */
  fail(error: Error): void;
  /** Every later call hangs until `release()`, which answers them with `verdict`. */
  hang(): void;
  release(verdict?: Verdict): void;
  /** Calls waiting in hang(). */
  hanging(): number;
  setServed(info: ServedModelInfo | null): void;
  setRetryAfterMs(ms: number): void;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The error the real service throws for `code`. */
export function contractError(code: ImageRejectedCode | SyncCode): Error {
  const message = `fake service refuses with ${code}`;
  if (isCodeOf(ImageRejectedCode, code)) return new ImageRejectedError(code, message);
  if (isCodeOf(SyncCode, code)) return new SyncInspectionError(code, message);
  throw new Error(`not a contract code: ${String(code)}`);
}

const DETECTIONS: Record<Verdict, readonly Detection[]> = {
  ok: [],
  unclear: [
    {
      label: 'dent',
      classId: 1,
      confidence: 0.3,
      box: { x: 10, y: 20, width: 30, height: 40 },
      boxNormalized: { x: 0.1, y: 0.2, width: 0.3, height: 0.4 },
    },
  ],
  defect: [
    {
      label: 'scratch',
      classId: 0,
      confidence: 0.8,
      box: { x: 50, y: 25, width: 20, height: 10 },
      boxNormalized: { x: 0.5, y: 0.25, width: 0.2, height: 0.1 },
    },
    {
      label: 'dent',
      classId: 1,
      confidence: 0.4,
      box: { x: 0, y: 0, width: 10, height: 10 },
      boxNormalized: { x: 0, y: 0, width: 0.1, height: 0.1 },
    },
  ],
};

/** A schema-valid inspection of `image` with `verdict` (a 100 x 100 image unless raw pixels say otherwise). */
export function fakeInspection(image: SyncImage, verdict: Verdict, served: ServedModelInfo = FAKE_SERVED): Inspection {
  const bytes = image.kind === 'encoded' ? image.bytes : image.kind === 'rgb' ? image.pixels : new Uint8Array(0);
  const imageSha = sha256(bytes);
  const { maxDetections: _, ...thresholds } = served.thresholds;
  const now = new Date().toISOString();
  return {
    schema: INSPECTION_SCHEMA_ID,
    messageId: createHash('sha256').update(imageSha).update(served.model.sha256).digest('hex'),
    thingName: 'fake-thing',
    image: {
      file: image.name ?? `sync-${imageSha.slice(0, 12)}`,
      sha256: imageSha,
      width: image.kind === 'rgb' ? image.width : 100,
      height: image.kind === 'rgb' ? image.height : 100,
    },
    capturedAt: now,
    inspectedAt: now,
    model: { ...served.model },
    verdict,
    thresholds,
    detections: DETECTIONS[verdict].map((d) => structuredClone(d)),
    timingsMs: { decode: 1, preprocess: 2, inference: 3, postprocess: 0.5, total: 6.5 },
  };
}

export function fakeInspectionService(): FakeInspectionService {
  const calls: FakeCall[] = [];
  let behaviour: FakeBehaviour = { kind: 'answer', verdict: 'ok' };
  let served: ServedModelInfo | null = FAKE_SERVED;
  let retryAfterMs = 1500;
  const waiting: Array<(verdict: Verdict) => void> = [];
  return {
    calls,
    async inspect(image, options) {
      calls.push({ image, options });
      const now = behaviour;
      if (now.kind === 'reject') throw now.error;
      if (now.kind === 'answer') return fakeInspection(image, now.verdict, served ?? FAKE_SERVED);
      const verdict = await new Promise<Verdict>((resolve) => waiting.push(resolve));
      return fakeInspection(image, verdict, served ?? FAKE_SERVED);
    },
    served: () => served,
    retryAfterMs: () => retryAfterMs,
    answer(verdict) {
      behaviour = { kind: 'answer', verdict };
    },
    rejectWith(code) {
      behaviour = { kind: 'reject', error: contractError(code) };
    },
    fail(error) {
      behaviour = { kind: 'reject', error };
    },
    hang() {
      behaviour = { kind: 'hang' };
    },
    release(verdict = 'ok') {
      behaviour = { kind: 'answer', verdict };
      for (const resolve of waiting.splice(0)) resolve(verdict);
    },
    hanging: () => waiting.length,
    setServed(info) {
      served = info;
    },
    setRetryAfterMs(ms) {
      retryAfterMs = ms;
    },
  };
}

/**
 * Fakes for the Lookout for Vision server's tests: an InspectionService that answers each verdict with
 * known detections (or rejects, or holds calls up to a capacity and refuses beyond it, like the real
 * bounded queue), and a ModelControl whose loading and unloading take a set time.
 */
import { createHash } from 'node:crypto';
import type { Verdict } from '@edgeqc/model-component/manifest';
import type { Detection, Inspection } from '../../../src/contracts/inspection.ts';
import { SyncCode, SyncInspectionError } from '../../../src/errors.ts';
import type {
  InspectionService,
  ModelControl,
  ModelRunState,
  ServedModelInfo,
  SyncImage,
} from '../../../src/sync/inspection-service.ts';

export const COMPONENT = 'com.edgeqc.Model.fake-detector';

export const SERVED: ServedModelInfo = {
  model: { name: 'fake-detector', version: '1.2.3', sha256: 'ab'.repeat(32), precision: 'int8' },
  componentName: COMPONENT,
  labels: ['scratch', 'dent'],
  thresholds: { confidence: 0.25, iou: 0.7, review: 0.25, defect: 0.5, maxDetections: 300 },
};

const detection = (label: string, classId: number, confidence: number, x: number, y: number, w: number, h: number) =>
  ({
    label,
    classId,
    confidence,
    box: { x, y, width: w, height: h },
    boxNormalized: { x: 0, y: 0, width: 0, height: 0 },
  }) satisfies Detection;

/**
 * What each verdict finds on a 128 x 96 image (thresholds review 0.25, defect 0.5). defect: two
 * overlapping scratches (40 x 20 each, 20 x 10 in common: 1400 pixels together) and a 10 x 10 dent.
 */
export const DETECTIONS: Record<Verdict, readonly Detection[]> = {
  ok: [],
  unclear: [detection('dent', 1, 0.3, 10, 10, 20, 20)],
  defect: [
    detection('scratch', 0, 0.8, 0, 0, 40, 20),
    detection('scratch', 0, 0.6, 20, 10, 40, 20),
    detection('dent', 1, 0.4, 100, 50, 10, 10),
  ],
};

export function inspectionOf(image: SyncImage, verdict: Verdict): Inspection {
  const pixels = image.kind === 'rgb' ? image.pixels : image.kind === 'encoded' ? image.bytes : new Uint8Array(0);
  const sha = createHash('sha256').update(pixels).digest('hex');
  const now = new Date().toISOString();
  const { maxDetections: _, ...thresholds } = SERVED.thresholds;
  return {
    schema: 'edgeqc.inspection.v1',
    messageId: sha,
    thingName: 'fake-thing',
    image: {
      file: 'lfv',
      sha256: sha,
      width: image.kind === 'rgb' ? image.width : 1,
      height: image.kind === 'rgb' ? image.height : 1,
    },
    capturedAt: now,
    inspectedAt: now,
    model: SERVED.model,
    verdict,
    thresholds,
    detections: DETECTIONS[verdict].map((d) => structuredClone(d)),
    timingsMs: { decode: 0, preprocess: 1, inference: 2, postprocess: 0, total: 3 },
  };
}

export interface FakeService extends InspectionService {
  readonly images: SyncImage[];
  answer(verdict: Verdict): void;
  reject(error: Error): void;
  /** Later calls wait for release(); beyond `capacity` waiting calls they are refused SYNC_QUEUE_FULL. */
  hold(capacity: number): void;
  waiting(): number;
  release(verdict: Verdict): void;
}

export function fakeService(retryAfterMs = 750): FakeService {
  const images: SyncImage[] = [];
  let behaviour:
    | { kind: 'answer'; verdict: Verdict }
    | { kind: 'reject'; error: Error }
    | { kind: 'hold'; capacity: number } = { kind: 'answer', verdict: 'ok' };
  const held: Array<(verdict: Verdict) => void> = [];
  return {
    images,
    async inspect(request) {
      // Deferred pixels (shared memory) are read when the request's turn comes, as the real service does.
      const image: SyncImage =
        request.kind === 'rgb-deferred'
          ? { kind: 'rgb', width: request.width, height: request.height, pixels: await request.readPixels() }
          : request;
      images.push(image);
      const now = behaviour;
      if (now.kind === 'answer') return inspectionOf(image, now.verdict);
      if (now.kind === 'reject') throw now.error;
      if (held.length >= now.capacity) throw new SyncInspectionError(SyncCode.QueueFull, 'fake queue is full');
      return inspectionOf(image, await new Promise<Verdict>((resolve) => held.push(resolve)));
    },
    served: () => SERVED,
    retryAfterMs: () => retryAfterMs,
    answer: (verdict) => {
      behaviour = { kind: 'answer', verdict };
    },
    reject: (error) => {
      behaviour = { kind: 'reject', error };
    },
    hold: (capacity) => {
      behaviour = { kind: 'hold', capacity };
    },
    waiting: () => held.length,
    release: (verdict) => {
      behaviour = { kind: 'answer', verdict };
      for (const resolve of held.splice(0)) resolve(verdict);
    },
  };
}

export interface FakeControl extends ModelControl {
  set(state: ModelRunState): void;
  /** null: no model component seen yet. */
  setComponent(name: string | null): void;
  /** The next load ends FAILED instead of RUNNING. */
  failNextLoad(): void;
}

/** Loading takes `loadMs`, unloading `unloadMs`. */
export function fakeControl(initial: ModelRunState = 'RUNNING', loadMs = 300, unloadMs = 100): FakeControl {
  let state = initial;
  let failLoad = false;
  let component: string | null = COMPONENT;
  return {
    componentName: () => component,
    state: () => state,
    start() {
      if (state !== 'STOPPED' && state !== 'FAILED') throw new Error(`fake control: start while ${state}`);
      state = 'STARTING';
      setTimeout(() => {
        state = failLoad ? 'FAILED' : 'RUNNING';
        failLoad = false;
      }, loadMs);
    },
    stop() {
      if (state !== 'RUNNING') return Promise.reject(new Error(`fake control: stop while ${state}`));
      state = 'STOPPING';
      return new Promise((resolve) =>
        setTimeout(() => {
          state = 'STOPPED';
          resolve();
        }, unloadMs),
      );
    },
    set: (next) => {
      state = next;
    },
    setComponent: (name) => {
      component = name;
    },
    failNextLoad: () => {
      failLoad = true;
    },
  };
}

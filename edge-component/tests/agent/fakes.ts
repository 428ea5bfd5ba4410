/** Small in-memory fakes of the agent's ports, for the agent's unit tests. */
import { createHash } from 'node:crypto';
import type { Manifest } from '@edgeqc/model-component/manifest';
import type { ModelProvider, ModelRefusal } from '../../src/agent/agent-deps.ts';
import type { Inspection, ModelRef } from '../../src/contracts/inspection.ts';
import type { SelfTestResult } from '../../src/core/types.ts';
import { ImageRejectedError } from '../../src/errors.ts';
import type {
  AdmittedImage,
  CameraFile,
  CameraSource,
  Detector,
  ImageArchive,
  ImagePreparer,
  LifecycleReporter,
  Outbox,
  OutboxEntry,
  PreparedImage,
  Publisher,
  PublishRequest,
  SeenIndex,
  SeenRecord,
} from '../../src/ports.ts';
import { yoloInput } from '../support/yolo-input.ts';

export const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** A camera whose files are pushed by the test; `pulled` lists what the agent took. */
export function fakeCamera() {
  const waiting: CameraFile[] = [];
  const pulled: string[] = [];
  const done: string[] = [];
  let wake: (() => void) | undefined;
  let iterations = 0;
  const camera: CameraSource & { stats(): { pending: number } } = {
    async *files(signal) {
      iterations += 1;
      while (!signal.aborted) {
        const f = waiting.shift();
        if (f) {
          pulled.push(f.path);
          yield f;
          continue;
        }
        await new Promise<void>((r) => {
          wake = r;
          signal.addEventListener('abort', () => r(), { once: true });
        });
      }
    },
    markDone: (p) => {
      done.push(p);
    },
    stats: () => ({ pending: waiting.length }),
  };
  return {
    camera,
    pulled,
    done,
    iterations: () => iterations,
    add(...names: string[]) {
      for (const n of names) waiting.push({ path: `/cam/${n}`, sizeBytes: 10, mtimeMs: 1 });
      wake?.();
    },
  };
}

/** Content of a fake file is its name, unless it is listed in `contents` (for duplicates). */
export function fakePreparer(
  contents: Record<string, string> = {},
): ImagePreparer & { prepared: string[]; tensors: Float32Array<ArrayBuffer>[] } {
  const prepared: string[] = [];
  const tensors: Float32Array<ArrayBuffer>[] = [];
  return {
    prepared,
    tensors,
    async admit(file) {
      const name = file.path.split('/').pop() as string;
      if (name.startsWith('bad')) throw new ImageRejectedError('IMAGE_TRUNCATED', `${file.path} is truncated`);
      const body = contents[name] ?? name;
      return {
        path: file.path,
        file: name,
        bytes: new TextEncoder().encode(body),
        sha256: sha(body),
        format: 'jpeg',
        sizeBytes: body.length,
        mtimeMs: file.mtimeMs,
      } satisfies AdmittedImage;
    },
    async prepare(image, input) {
      prepared.push(image.file);
      const tensor = new Float32Array(3 * input.shape[2] * input.shape[3]);
      tensors.push(tensor);
      return {
        image,
        width: 10,
        height: 10,
        tensor,
        geometry: {
          sourceWidth: 10,
          sourceHeight: 10,
          inputWidth: input.shape[3],
          inputHeight: input.shape[2],
          scale: 1,
          resizedWidth: 10,
          resizedHeight: 10,
          padLeft: 0,
          padTop: 0,
        },
        timingsMs: { decode: 1, preprocess: 1 },
      } satisfies PreparedImage;
    },
  };
}

export function fakeDetector(version: string, size = 32): Detector {
  const model: ModelRef = { name: 'tag-scratch', version, sha256: sha(`model-${version}`), precision: 'int8' };
  const manifest = {
    input: yoloInput(size),
  } as unknown as Manifest;
  return {
    manifest,
    model,
    run: async (tensor) => {
      // as the real detectors do: a tensor of another size (or one already released) is refused
      if (tensor.length !== 3 * size * size) throw new RangeError(`input tensor has ${tensor.length} values`);
      return { data: new Float32Array(5), dims: [1, 5, 1] };
    },
    close: async () => undefined,
  };
}

export function fakeModels(initial: Detector | null = null) {
  let detector = initial;
  let refusal: ModelRefusal | null = null;
  let selfTest: SelfTestResult | null = null;
  const models: ModelProvider = {
    current: () => detector,
    status: () => ({ model: detector?.model ?? null, selfTest, lastRefusal: detector ? null : refusal }),
  };
  return {
    models,
    serve(d: Detector) {
      detector = d;
      refusal = null;
      selfTest = { passed: true, modelSha256: d.model.sha256, cases: 2, failures: [] };
    },
    refuse(r: ModelRefusal) {
      refusal = r;
    },
  };
}

/** inspectImage stand-in: verdict from the file name (ok/defect/unclear prefix, default ok). */
export async function fakeInspect(
  prepared: PreparedImage,
  detector: Detector,
  options: { thingName: string },
): Promise<Inspection> {
  await detector.run(prepared.tensor);
  const name = prepared.image.file;
  const verdict = name.startsWith('defect') ? 'defect' : name.startsWith('unclear') ? 'unclear' : 'ok';
  return {
    schema: 'edgeqc.inspection.v1',
    messageId: sha(`${prepared.image.sha256}${detector.model.sha256}`),
    thingName: options.thingName,
    image: { file: name, sha256: prepared.image.sha256, width: 10, height: 10 },
    capturedAt: new Date(0).toISOString(),
    inspectedAt: new Date().toISOString(),
    model: detector.model,
    verdict,
    thresholds: { confidence: 0.25, iou: 0.7, review: 0.25, defect: 0.5 },
    detections: [],
    timingsMs: { decode: 1, preprocess: 1, inference: 1, postprocess: 1, total: 4 },
  };
}

export function fakeOutbox(capacity = 100): Outbox & { entries: OutboxEntry[]; full: boolean } {
  let seq = 0;
  const box = {
    entries: [] as OutboxEntry[],
    full: false,
    async append(entry: Omit<OutboxEntry, 'seq'>) {
      const e = { ...entry, seq: ++seq };
      box.entries.push(e);
      return e;
    },
    isFull: () => box.full,
    stats: () => ({ pending: 0, capacity, dropped: 0 }),
    start: () => undefined,
    flush: async () => true,
    close: async () => undefined,
  };
  return box;
}

export function fakeArchive(): ImageArchive & { moves: string[] } {
  const moves: string[] = [];
  return {
    moves,
    async done(image, inspection) {
      moves.push(`done/${inspection.verdict}/${image.file}`);
      return '';
    },
    async quarantine(path, reason) {
      moves.push(`quarantine/${path.split('/').pop()}:${reason.code}`);
      return '';
    },
  };
}

export function fakeSeen(initial: SeenRecord[] = []): SeenIndex & { records: Map<string, SeenRecord> } {
  const records = new Map(initial.map((r) => [r.sha256, r]));
  return {
    records,
    get: (s) => records.get(s),
    async put(r) {
      records.set(r.sha256, r);
    },
    async markArchived(s) {
      const r = records.get(s);
      if (r) records.set(s, { ...r, archived: true });
    },
    close: async () => undefined,
  };
}

export function fakePublisher(): Publisher & { sent: PublishRequest[]; final?: PublishRequest } {
  const p = {
    sent: [] as PublishRequest[],
    final: undefined as PublishRequest | undefined,
    connect: async () => undefined,
    isConnected: () => true,
    async publish(r: PublishRequest) {
      p.sent.push(r);
    },
    async close(final?: PublishRequest) {
      p.final = final;
    },
  };
  return p;
}

export function fakeLifecycle(): LifecycleReporter & { states: string[] } {
  const states: string[] = [];
  return {
    states,
    async report(s) {
      states.push(s);
    },
  };
}

export const json = (b: Uint8Array) => JSON.parse(new TextDecoder().decode(b)) as Record<string, unknown>;

export async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

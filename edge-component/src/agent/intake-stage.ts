/**
 * The intake stage: pulls complete files from the camera folder into the job queue while there is
 * room, a model serves, the outbox takes messages and the camera source is not paused (a full disk);
 * otherwise no file is pulled (they wait safely
 * in the folder). Each pulled file is admitted, hashed and prepared for the serving model in the
 * background, several at once (decoding overlaps inference); the job records the result when done.
 */
import type { Manifest } from '@edgeqc/model-component/manifest';
import type { CameraFile, CameraSource, ImagePreparer, Outbox, SeenIndex } from '../ports.ts';
import type { ModelProvider } from './agent-deps.ts';
import type { BoundedQueue } from './bounded-queue.ts';
import type { Job } from './job.ts';
import { admitAndPrepare } from './pipeline.ts';
import type { StatusStage } from './status-stage.ts';
import { TICK_MS, type Wakeup } from './wakeup.ts';

export interface IntakeStageDeps {
  readonly camera: CameraSource;
  readonly preparer: ImagePreparer;
  readonly seen: SeenIndex;
  readonly models: ModelProvider;
  readonly outbox: Outbox;
  /** Where pulled files go, in the order they were pulled. */
  readonly jobs: BoundedQueue<Job>;
  /** True while the agent may hold one more image (pulled and not yet committed). */
  hasRoom(): boolean;
  readonly wakeup: Wakeup;
  /** Aborted when the agent stops: no file is pulled any more. */
  readonly stopping: AbortSignal;
  readonly status: Pick<StatusStage, 'evaluate' | 'noteError'>;
}

export interface IntakeStage {
  /** Pulls files until the agent stops or the camera folder ends or fails. */
  run(): Promise<void>;
}

export function createIntakeStage(deps: IntakeStageDeps): IntakeStage {
  return { run: () => intakeLoop(deps) };
}

async function intakeLoop(deps: IntakeStageDeps): Promise<void> {
  const { camera, preparer, seen, models, stopping, wakeup } = deps;
  const canPull = () =>
    !stopping.aborted &&
    models.current() !== null &&
    !deps.outbox.isFull() &&
    camera.paused?.() === undefined && // the disk is full: files wait in the folder
    deps.hasRoom();
  const servingInput = (): Manifest['input'] | null => models.current()?.manifest.input ?? null;
  let files: AsyncIterator<CameraFile> | undefined;
  try {
    while (!stopping.aborted) {
      if (!canPull()) {
        deps.status.evaluate();
        await wakeup.nap(TICK_MS);
        continue;
      }
      files ??= camera.files(stopping)[Symbol.asyncIterator]();
      const next = await files.next();
      if (next.done || stopping.aborted) break;
      const file = next.value;
      const job: Job = { file, pulledAt: Date.now() };
      void admitAndPrepare(
        {
          admit: (f) => preparer.admit(f),
          prepare: (image, input) => preparer.prepare(image, input),
          seen: (sha) => seen.get(sha),
          servingInput,
        },
        file,
      ).then(
        (intake) => {
          job.intake = intake;
          wakeup.poke();
        },
        (err: unknown) => {
          deps.status.noteError(`unexpected failure while reading ${file.path}; it stays for the next start`, err);
          job.intake = null;
          wakeup.poke();
        },
      );
      deps.jobs.push(job);
      wakeup.poke();
    }
  } catch (err) {
    deps.status.noteError('the camera folder cannot be read any more', err);
  } finally {
    await files?.return?.().catch(() => undefined);
  }
}

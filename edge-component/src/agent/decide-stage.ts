/**
 * The decide stage: what to do with each image, in intake order. A duplicate (in the seen index, or
 * inspected and waiting for its commit) and a crash leftover are settled by the commit stage without
 * inspecting; anything else is inspected with the detector that serves when its decision starts (a
 * hot swap takes effect between two images). INSPECT_AHEAD decisions run at once, and the decisions
 * are handed to the commit queue in intake order.
 *
 * A hung inference (the detector's watchdog restarted its worker: DETECTOR_RUN_TIMEOUT) is run once
 * more, on the restarted worker; hung again, the image is rejected with INSPECTION_HUNG (quarantined).
 *
 * Identical bytes: the decisions of two images with the same sha256 run one after the other, so the
 * second sees the first as inspected (a duplicate) and is never inspected itself.
 */
import type { Inspection } from '../contracts/inspection.ts';
import { DetectorCode, hasCode, InspectionCode, messageOf } from '../errors.ts';
import type { Detector, ImagePreparer, SeenIndex } from '../ports.ts';
import { isDetached, releaseMemory } from '../release-memory.ts';
import type { AgentSettings, InspectFn, ModelProvider } from './agent-deps.ts';
import { type BoundedQueue, createBoundedQueue } from './bounded-queue.ts';
import type { DecidedJob, Decision, Job } from './job.ts';
import { type IntakeResult, rejectionOf, sameInput } from './pipeline.ts';
import type { StatusStage } from './status-stage.ts';
import { TICK_MS, type Wakeup } from './wakeup.ts';

/**
 * Decisions under way at once: with two, the next image's inference is queued at the detector while
 * the current one runs, so a detector on its own thread never waits for the main thread (which may be
 * letterboxing another image) between two images.
 */
const INSPECT_AHEAD = 2;

export interface DecideStageDeps {
  readonly preparer: ImagePreparer;
  readonly models: ModelProvider;
  readonly seen: SeenIndex;
  readonly inspect: InspectFn;
  readonly settings: Pick<AgentSettings, 'thingName' | 'thresholds'>;
  /** Pulled jobs, in intake order; a job leaves it when its decision goes to `commits`. */
  readonly jobs: BoundedQueue<Job>;
  readonly commits: BoundedQueue<DecidedJob>;
  /** sha256 of images inspected but not yet in the seen index (the commit stage removes them). */
  readonly committing: Set<string>;
  readonly wakeup: Wakeup;
  /** Aborted when the agent stops: an image waiting for a model is left in the folder. */
  readonly stopping: AbortSignal;
  readonly status: Pick<StatusStage, 'noteError'>;
}

export interface DecideStage {
  /** Decides jobs until the job queue is empty and `intakeDone()`. */
  run(intakeDone: () => boolean): Promise<void>;
}

type Admitted = IntakeResult & { kind: 'admitted' };

/** A decision started for a job; `decision` is set when it is made. */
interface Deciding {
  readonly job: Job;
  decision?: Decision;
}

export function createDecideStage(deps: DecideStageDeps): DecideStage {
  const { models, seen, committing, wakeup, stopping } = deps;
  /** sha256 -> the decision under way for those bytes: a later image with the same bytes waits for it. */
  const deciding = new Map<string, Promise<void>>();

  /** The detector that serves now; waits while none does. null when stopping. */
  const servingDetector = async (): Promise<Detector | null> => {
    for (;;) {
      const d = models.current();
      if (d) return d;
      if (stopping.aborted) return null;
      await wakeup.nap(TICK_MS);
    }
  };

  const inspectOnce = async (
    image: Admitted,
    detector: Detector,
  ): Promise<{ inspection: Inspection } | { code: string; message: string }> => {
    let prepared = image.prepared;
    try {
      // Prepared again for another model's input, or when a detector took the tensor on an earlier try.
      if (!prepared || isDetached(prepared.tensor) || !sameInput(image.preparedFor, detector.manifest.input)) {
        prepared = await deps.preparer.prepare(image.image, detector.manifest.input);
      }
    } catch (err) {
      return rejectionOf(err, image.file.path);
    }
    try {
      return {
        inspection: await deps.inspect(prepared, detector, {
          thingName: deps.settings.thingName,
          thresholds: deps.settings.thresholds,
        }),
      };
    } catch (err) {
      if (hasCode(err, DetectorCode.RunTimeout)) {
        return { code: InspectionCode.Hung, message: `${image.file.path}: the inference hung: ${messageOf(err)}` };
      }
      const message = `${image.file.path} could not be inspected: ${messageOf(err)}`;
      return { code: InspectionCode.Failed, message };
    } finally {
      // A tensor prepared here for another model's input; the intake's own is released by `decide`.
      if (prepared !== image.prepared) releaseMemory(prepared.tensor);
    }
  };

  const decideAdmitted = async (result: Admitted): Promise<Decision> => {
    const { image } = result;
    if (seen.get(image.sha256) || committing.has(image.sha256)) return { kind: 'known', image };
    let detector = await servingDetector();
    if (!detector) return { kind: 'leave' };
    let outcome = await inspectOnce(result, detector);
    if ('code' in outcome && outcome.code === InspectionCode.Failed && models.current() !== detector) {
      // The model was swapped while this image ran on the old one: run it on the new one.
      detector = await servingDetector();
      if (!detector) return { kind: 'leave' };
      outcome = await inspectOnce(result, detector);
    }
    if ('code' in outcome && outcome.code === InspectionCode.Hung) {
      // The watchdog restarted the worker: once more; a second hang quarantines the image.
      deps.status.noteError(`${result.file.path}: the inference hung; trying it once more`, outcome.message);
      detector = await servingDetector();
      if (!detector) return { kind: 'leave' };
      outcome = await inspectOnce(result, detector);
      if ('code' in outcome && outcome.code === InspectionCode.Hung) {
        outcome = { code: InspectionCode.Hung, message: `${outcome.message} (twice: not tried again)` };
      }
    }
    if ('code' in outcome) {
      return {
        kind: 'rejected',
        file: result.file,
        code: outcome.code,
        message: outcome.message,
        sha256: image.sha256,
      };
    }
    committing.add(image.sha256);
    return { kind: 'inspected', image, inspection: outcome.inspection };
  };

  const decide = async (result: IntakeResult): Promise<Decision> => {
    if (result.kind !== 'admitted') return result;
    try {
      return await decideAdmitted(result);
    } finally {
      releaseMemory(result.prepared?.tensor); // inspected or not, nothing reads this tensor again
    }
  };

  /**
   * Starts the decision for a job whose intake is done. Called in intake order, and an image claims
   * its sha256 before anything is awaited, so of two images with the same bytes the later one waits
   * for the earlier one's decision, sees it inspected, and is settled as a duplicate.
   */
  const startDeciding = (job: Job, intake: IntakeResult | null): Deciding => {
    const entry: Deciding = { job };
    if (intake === null) {
      entry.decision = { kind: 'leave' };
      return entry;
    }
    const sha256 = intake.kind === 'admitted' ? intake.image.sha256 : undefined;
    const before = sha256 === undefined ? undefined : deciding.get(sha256);
    let finished: () => void = () => undefined;
    if (sha256 !== undefined) {
      const mine: Promise<void> = new Promise((resolve) => {
        finished = () => {
          if (deciding.get(sha256) === mine) deciding.delete(sha256);
          resolve();
        };
      });
      deciding.set(sha256, mine);
    }
    void (async () => {
      try {
        await before;
        entry.decision = await decide(intake);
      } catch (err) {
        deps.status.noteError(`unexpected failure while inspecting ${job.file.path}`, err);
        entry.decision = { kind: 'leave' };
      } finally {
        finished();
      }
      wakeup.poke();
    })();
    return entry;
  };

  return {
    async run(intakeDone) {
      const { jobs, commits } = deps;
      /** The decisions started, for jobs.at(0), jobs.at(1), ... */
      const started = createBoundedQueue<Deciding>(INSPECT_AHEAD);
      for (;;) {
        while (!started.isFull()) {
          const next = jobs.at(started.size);
          if (next?.intake === undefined) break; // its intake is still under way: decisions start in intake order
          started.push(startDeciding(next, next.intake));
        }
        const head = started.at(0);
        if (head?.decision && !commits.isFull()) {
          started.shift();
          jobs.shift();
          commits.push({ job: head.job, decision: head.decision });
          wakeup.poke();
          continue;
        }
        if (jobs.size === 0 && intakeDone()) return;
        await wakeup.nap(TICK_MS);
      }
    },
  };
}

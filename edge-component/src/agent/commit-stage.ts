/**
 * The commit stage: carries out each decision in intake order, while the decide stage already runs the
 * next image's inference. An inspected image is made durable before its file leaves the camera folder:
 * outbox.append (fsync) -> seen.put -> archive -> seen.markArchived. A rejected image goes to
 * quarantine/ with its reason, after an error event went into the outbox. A file left by a stop stays
 * in the folder and is handled after the restart.
 *
 * An inspection larger than the broker takes (OUTBOX_ENTRY_TOO_LARGE) never enters the outbox: its
 * image is quarantined with that code. A message the broker refused for good (the outbox's dead-letter
 * file) is reported on /errors (kind `dead-letter`: topic, messageId, size, reason), except a refused
 * /errors message itself, which is only logged (no event about an event, no loop).
 */
import { type ErrorEvent, ErrorEventSchema } from '../contracts/error-event.ts';
import type { Topics } from '../contracts/topics.ts';
import { ArchiveCode, hasCode, ImageRejectedCode, InspectionCode, isCodeOf, messageOf, OutboxCode } from '../errors.ts';
import type { Logger } from '../log.ts';
import type {
  CameraFile,
  CameraSource,
  DeadLetterNotice,
  ImageArchive,
  Outbox,
  Publisher,
  SeenIndex,
} from '../ports.ts';
import type { UploadSink } from '../upload/uploader.ts';
import type { AgentSettings, ModelProvider } from './agent-deps.ts';
import { type AgentCounters, errorEvent, jsonBytes } from './agent-messages.ts';
import type { BoundedQueue } from './bounded-queue.ts';
import type { DecidedJob, Decision, Job } from './job.ts';
import type { MetricsStage } from './metrics-stage.ts';
import { recoveredInspection } from './pipeline.ts';
import type { RateWindow } from './rate-window.ts';
import type { StatusStage } from './status-stage.ts';
import { TICK_MS, type Wakeup } from './wakeup.ts';

export interface CommitStageDeps {
  readonly log: Logger;
  readonly camera: CameraSource;
  readonly archive: ImageArchive;
  readonly seen: SeenIndex;
  readonly outbox: Outbox;
  readonly models: ModelProvider;
  readonly settings: Pick<AgentSettings, 'thingName'>;
  readonly topics: Pick<Topics, 'inspections' | 'errors'>;
  readonly now: () => Date;
  /** Decided jobs, in intake order; a job leaves it when its commit is over. */
  readonly commits: BoundedQueue<DecidedJob>;
  /** sha256 of images inspected but not yet in the seen index (the decide stage adds them). */
  readonly committing: Set<string>;
  readonly counters: AgentCounters;
  readonly rates: RateWindow;
  readonly wakeup: Wakeup;
  /** Aborted when the agent stops: a failed append is not tried again, the file stays. */
  readonly stopping: AbortSignal;
  readonly status: Pick<StatusStage, 'noteError' | 'setLastError'>;
  /** Offered each inspection once it is in the outbox, before the seen index (a crash repeats the offer). */
  readonly uploads?: UploadSink;
  /** The model metrics: each committed inspection, quarantine and failed inspection. */
  readonly metrics?: Pick<MetricsStage, 'inspected' | 'event'>;
}

/** An error event's content; the stage adds the thing name and the time. */
export type ErrorEventInput = Omit<Parameters<typeof errorEvent>[0], 'thingName' | 'at'>;

export interface CommitStage {
  /** Commits decisions until the commit queue is empty and `decideDone()`. */
  run(decideDone: () => boolean): Promise<void>;
  /** Appends an error event to the outbox; false when it could not be stored (stopping, bad entry). */
  sendError(input: ErrorEventInput): Promise<boolean>;
}

export function createCommitStage(deps: CommitStageDeps): CommitStage {
  const { log, camera, archive, seen, outbox, counters, status, topics } = deps;

  /** True once stored; false when it cannot be (stopping, closed, bad entry); the error when too large. */
  const appendOrRefusal = async (entry: { topic: string; payload: Uint8Array; messageId?: string }) => {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await outbox.append(entry);
        return true;
      } catch (err) {
        status.noteError(`outbox append to ${entry.topic} failed (attempt ${attempt + 1})`, err);
        // Too large for the broker: never deliverable, the caller quarantines what it came from.
        if (hasCode(err, OutboxCode.EntryTooLarge)) return err;
        // A full outbox frees up as the broker takes messages; a bad entry or a closed outbox never will.
        if (deps.stopping.aborted || hasCode(err, OutboxCode.BadEntry, OutboxCode.Closed)) return false;
        await deps.wakeup.nap(Math.min(5000, 200 * 2 ** attempt));
      }
    }
  };
  const appendDurably = async (entry: { topic: string; payload: Uint8Array; messageId?: string }) =>
    (await appendOrRefusal(entry)) === true;

  const sendEvent = (event: ErrorEvent) => appendDurably({ topic: topics.errors, payload: jsonBytes(event) });

  const sendError = async (input: ErrorEventInput) =>
    sendEvent(errorEvent({ ...input, thingName: deps.settings.thingName, at: deps.now() }));

  /** A message the broker refused for good, on /errors (a refused /errors message only in the log). */
  const reportDeadLetter = (notice: DeadLetterNotice) => {
    const summary = `${notice.topic}${notice.messageId ? ` (messageId ${notice.messageId})` : ''}, ${notice.sizeBytes} bytes, refused by the broker: ${notice.reason}; set aside in ${notice.file}`;
    status.setLastError(`${notice.code}: ${summary}`);
    if (notice.topic === topics.errors) return;
    const base = errorEvent({
      kind: 'dead-letter',
      code: notice.code,
      message: summary,
      thingName: deps.settings.thingName,
      at: deps.now(),
    });
    const event = ErrorEventSchema.parse({
      ...base,
      delivery: {
        topic: notice.topic,
        ...(notice.messageId !== undefined ? { messageId: notice.messageId } : {}),
        sizeBytes: notice.sizeBytes,
        ...(notice.reasonCode !== undefined ? { reasonCode: notice.reasonCode } : {}),
      },
    });
    sendEvent(event).catch((err: unknown) => status.noteError('the dead-letter event could not be stored', err));
  };
  outbox.onDeadLetter?.(reportDeadLetter);

  const quarantine = async (file: CameraFile, code: string, message: string, sha256?: string) => {
    status.setLastError(`${code}: ${message}`);
    log.warn({ file: file.path, code }, message);
    if (!(await sendError({ kind: 'quarantine', code, message, file: baseName(file.path), sha256 }))) return;
    try {
      await archive.quarantine(file.path, { code, message, sha256 });
      camera.markDone(file.path);
    } catch (err) {
      if (hasCode(err, ArchiveCode.SourceMissing)) camera.markDone(file.path);
      else status.noteError(`${file.path} could not be moved to quarantine`, err);
    }
  };

  /** A known image: a duplicate goes to quarantine; a crash leftover (inspected, never moved) is moved. */
  const settleKnown = async (file: CameraFile, decision: Decision & { kind: 'known' }) => {
    const { image } = decision;
    const known = seen.get(image.sha256);
    if (known?.archived) {
      counters.duplicates += 1;
      await quarantine(
        file,
        ImageRejectedCode.Duplicate,
        `${file.path} has the same bytes as ${known.file}, already inspected (messageId ${known.messageId}); not inspected again`,
        image.sha256,
      );
    } else if (known) {
      // Inspected and in the outbox before a crash, but never moved: finish the move only.
      log.info({ file: file.path, messageId: known.messageId }, 'finishing the archive move of an inspected image');
      try {
        await archive.done(image, recoveredInspection(known, image, deps.models.current()));
        await seen.markArchived(image.sha256);
        camera.markDone(file.path);
      } catch (err) {
        status.noteError(`${file.path} could not be archived`, err);
      }
    }
    // Not known any more: the identical image before it was not committed (stopping); both stay.
  };

  /** An inspected image: outbox.append -> seen.put -> archive -> seen.markArchived. */
  const commitInspected = async (job: Job, decision: Decision & { kind: 'inspected' }) => {
    const { file } = job;
    const { image, inspection } = decision;
    let tooLarge: unknown;
    try {
      const appended = await appendOrRefusal({
        topic: topics.inspections,
        payload: jsonBytes(inspection),
        messageId: inspection.messageId,
      });
      if (appended !== true) {
        tooLarge = appended || undefined;
        return; // stopping: the file stays in the folder and is inspected after the restart
      }
      counters.inspected += 1;
      counters[inspection.verdict] += 1;
      deps.metrics?.inspected(inspection);
      await deps.uploads
        ?.offer({ inspection, image })
        .catch((err: unknown) => status.noteError(`${file.path} could not be queued for upload`, err));
      await seen.put({
        sha256: image.sha256,
        messageId: inspection.messageId,
        file: image.file,
        verdict: inspection.verdict,
        archived: false,
      });
      await archive.done(image, inspection).catch((err: unknown) => {
        // The file vanished after it was read: its inspection stands; nothing is left to move.
        if (!hasCode(err, ArchiveCode.SourceMissing)) throw err;
        log.warn({ file: file.path }, 'the inspected file vanished before it could be moved');
      });
      await seen.markArchived(image.sha256);
      camera.markDone(file.path);
    } catch (err) {
      status.noteError(`${file.path} was inspected (messageId ${inspection.messageId}) but could not be archived`, err);
    } finally {
      deps.committing.delete(image.sha256);
      if (tooLarge !== undefined) {
        counters.quarantined += 1;
        deps.metrics?.event('quarantined');
        await quarantine(
          file,
          OutboxCode.EntryTooLarge,
          `${file.path}: its inspection (messageId ${inspection.messageId}, ${inspection.detections.length} detections) is too large to publish: ${messageOf(tooLarge)}`,
          image.sha256,
        );
      }
    }
    const t = Date.now();
    deps.rates.record(t, t - job.pulledAt);
  };

  const commit = async ({ job, decision }: DecidedJob) => {
    const { file } = job;
    switch (decision.kind) {
      case 'leave':
        return; // stopping: the file stays and is handled after the restart
      case 'gone':
        log.info({ file: file.path }, decision.message);
        camera.markDone(file.path);
        return;
      case 'rejected':
        counters.quarantined += 1;
        deps.metrics?.event(isCodeOf(InspectionCode, decision.code) ? 'error' : 'quarantined');
        await quarantine(file, decision.code, decision.message, decision.sha256);
        return;
      case 'known':
        return settleKnown(file, decision);
      case 'inspected':
        return commitInspected(job, decision);
    }
  };

  return {
    sendError,
    async run(decideDone) {
      for (;;) {
        const next = deps.commits.at(0);
        if (!next) {
          if (decideDone()) return;
          await deps.wakeup.nap(TICK_MS);
          continue;
        }
        try {
          await commit(next);
        } catch (err) {
          status.noteError(`unexpected failure while handling ${next.job.file.path}`, err);
        }
        deps.commits.shift();
        deps.wakeup.poke();
      }
    },
  };
}

/** The publisher the outbox delivers through, counting the inspections it published. */
export function countingPublisher(p: Publisher, inspectionsTopic: string, counters: AgentCounters): Publisher {
  return {
    connect: () => p.connect(),
    isConnected: () => p.isConnected(),
    close: (final) => p.close(final),
    async publish(request) {
      await p.publish(request);
      if (request.topic === inspectionsTopic) counters.published += 1;
    },
  };
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

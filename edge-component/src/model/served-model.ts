/**
 * A model that serves (or served): its detector behind a facade that counts the runs in flight, and
 * its retirement. After a swap the old session closes once a short grace passed (for a caller that
 * read `current()` just before the switch) and its runs drained; a run after that is refused with
 * MODEL_RETIRED.
 */
import type { ModelRef } from '../contracts/inspection.ts';
import type { Manifest, RawOutput, SelfTestResult, VerifiedBundle } from '../core/types.ts';
import { ModelIntegrityError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Detector } from '../ports.ts';

export interface ServedModel {
  readonly detector: Detector;
  /** What `current()` hands out: runs are counted; its close() is a no-op (the manager owns the session). */
  readonly facade: Detector;
  readonly ref: ModelRef;
  readonly manifest: Manifest;
  readonly selfTest: SelfTestResult;
  readonly keyId: string;
  readonly loadedAt: string;
  inFlight: number;
  retired: boolean;
  /** Set once closing was decided (after the grace); the session closes when the runs drained. */
  closed: Promise<void> | null;
  /** True from the moment the session closes: a run is refused. */
  shut: boolean;
  drained: (() => void) | null;
  endGrace: (() => void) | null;
}

export const refOf = (m: Manifest, sha256: string): ModelRef => ({
  name: m.name,
  version: m.version,
  sha256,
  precision: m.precision,
});

export function createServedModel(detector: Detector, bundle: VerifiedBundle, selfTest: SelfTestResult): ServedModel {
  const served: ServedModel = {
    detector,
    ref: refOf(bundle.manifest, bundle.modelSha256),
    manifest: bundle.manifest,
    selfTest,
    keyId: bundle.keyId,
    loadedAt: new Date().toISOString(),
    inFlight: 0,
    retired: false,
    closed: null,
    shut: false,
    drained: null,
    endGrace: null,
    facade: {
      manifest: detector.manifest,
      model: detector.model,
      async run(tensor: Float32Array): Promise<RawOutput> {
        if (served.shut) {
          throw new ModelIntegrityError(
            'MODEL_RETIRED',
            `model ${served.ref.name} ${served.ref.version} was replaced and closed; read current() again`,
          );
        }
        served.inFlight += 1;
        try {
          return await detector.run(tensor);
        } finally {
          served.inFlight -= 1;
          if (served.inFlight === 0 && served.drained) served.drained();
        }
      },
      async close() {
        // the manager owns the session
      },
    },
  };
  return served;
}

function idle(served: ServedModel): Promise<void> {
  if (served.inFlight === 0) return Promise.resolve();
  return new Promise<void>((resolve) => {
    served.drained = () => {
      served.drained = null;
      resolve();
    };
  });
}

/**
 * Closes a model once its grace passed (`afterMs`; 0 cuts a grace under way short) and its runs
 * drained; `onClosed` runs when it is closed (or failed to close).
 */
export function closeServedModel(
  served: ServedModel,
  afterMs: number,
  log: Logger,
  onClosed: () => void,
): Promise<void> {
  served.closed ??= (async () => {
    if (afterMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, afterMs);
        served.endGrace = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    while (served.inFlight > 0) await idle(served);
    served.shut = true; // same synchronous step as the check above: no run can start in between
    try {
      await served.detector.close();
      log.info({ model: served.ref }, 'retired model closed');
    } catch (err) {
      log.warn({ err, model: served.ref }, 'closing a model failed');
    } finally {
      onClosed();
    }
  })();
  if (afterMs === 0) served.endGrace?.();
  return served.closed;
}

/**
 * The model metrics of one device: rolling and cumulative figures of the model version that serves,
 * started afresh when another version (another model sha256) serves, and its drift: the window's
 * best-score histogram against the baseline, the first `drift.baselineImages` images of that version.
 * Pure: time comes in as arguments, the message is built and checked against edgeqc.metrics.v1.
 *
 * Drift is measured when a message is built (every publish interval): PSI of the window vs the
 * baseline, once the baseline is complete and the window holds at least min(baselineImages,
 * windowImages) images (null before). Above the limit, `drifted` is true; the first message above it
 * after being at or below it (or after the start) carries a `crossing`, so each crossing raises one
 * event. A model swap starts everything afresh, drift included; an inspection made by another
 * version than the one serving (in flight across a swap) is not counted. A version is its name,
 * version and model sha256 together: a release with the same weights and other thresholds is another
 * version.
 */
import type { ModelRef } from '../contracts/inspection.ts';
import { METRICS_SCHEMA_ID, type MetricsMessage, MetricsSchema, SCORE_BIN_EDGES } from '../contracts/metrics.ts';
import { emptyBins, type ImageSample, scoreBin } from './image-sample.ts';
import { populationStabilityIndex } from './psi.ts';
import { createRollingWindow, type RollingWindow, type WindowEventKind } from './rolling-window.ts';

export interface ModelMetricsSettings {
  readonly windowSeconds: number;
  readonly windowImages: number;
  readonly drift: { readonly baselineImages: number; readonly psiLimit: number };
}

/** A drift crossing: the window's histogram went past the limit (raised once per crossing). */
export interface DriftCrossing {
  readonly model: ModelRef;
  readonly psi: number;
  readonly limit: number;
  readonly baselineImages: number;
  readonly windowImages: number;
}

export interface ModelMetrics {
  /** The model that serves now (null: none); another version than before starts everything afresh. */
  serving(model: ModelRef | null, atMs: number): void;
  /**
   * One committed inspection by `model`; false (not counted) when another version serves now. Before
   * any `serving` call, the first inspection's model is taken as the serving one.
   */
  inspected(model: ModelRef, sample: ImageSample): boolean;
  /** A quarantined file or a failed inspection, counted for the model that serves. */
  event(kind: WindowEventKind, atMs: number): void;
  /** The message as of `nowMs` (null while no model served); a new crossing comes with it. */
  message(
    nowMs: number,
    ids: { readonly thingName: string; readonly messageId: string },
  ): { readonly message: MetricsMessage; readonly crossing?: DriftCrossing } | null;
  /** The message of the last `message()` call, without measuring again (null before the first). */
  last(): MetricsMessage | null;
}

interface VersionState {
  readonly model: ModelRef;
  readonly sinceMs: number;
  readonly window: RollingWindow;
  readonly since: {
    images: number;
    verdicts: { ok: number; defect: number; unclear: number };
    bestScoreCounts: number[];
    quarantined: number;
    errors: number;
  };
  readonly baseline: number[];
  baselineImages: number;
  drifted: boolean;
}

export function createModelMetrics(settings: ModelMetricsSettings): ModelMetrics {
  const { baselineImages, psiLimit } = settings.drift;
  const windowMs = settings.windowSeconds * 1000;
  let current: VersionState | null = null;
  let lastMessage: MetricsMessage | null = null;

  const start = (model: ModelRef, atMs: number): VersionState => ({
    model,
    sinceMs: atMs,
    window: createRollingWindow({ maxImages: settings.windowImages, windowMs }),
    since: {
      images: 0,
      verdicts: { ok: 0, defect: 0, unclear: 0 },
      bestScoreCounts: emptyBins(),
      quarantined: 0,
      errors: 0,
    },
    baseline: emptyBins(),
    baselineImages: 0,
    drifted: false,
  });

  const serving = (model: ModelRef | null, atMs: number) => {
    if (model === null || (current !== null && sameModel(model, current.model))) return;
    current = start(model, atMs);
    lastMessage = null;
  };

  return {
    serving,
    inspected(model, sample) {
      if (current === null) serving(model, sample.atMs);
      const s = current as VersionState | null;
      if (s === null || !sameModel(s.model, model)) return false;
      const bin = scoreBin(sample.bestScore);
      s.window.add(sample);
      s.since.images += 1;
      s.since.verdicts[sample.verdict] += 1;
      s.since.bestScoreCounts[bin] = (s.since.bestScoreCounts[bin] as number) + 1;
      if (s.baselineImages < baselineImages) {
        s.baseline[bin] = (s.baseline[bin] as number) + 1;
        s.baselineImages += 1;
      }
      return true;
    },
    event(kind, atMs) {
      if (current === null) return;
      current.window.addEvent(kind, atMs);
      current.since[kind === 'quarantined' ? 'quarantined' : 'errors'] += 1;
    },
    message(nowMs, ids) {
      const s = current;
      if (s === null) return null;
      const w = s.window.summarize(nowMs);
      const enough = s.baselineImages >= baselineImages && w.images >= Math.min(baselineImages, settings.windowImages);
      const psi = enough ? populationStabilityIndex(s.baseline, w.bestScoreCounts) : null;
      const drifted = psi !== null && psi > psiLimit;
      const crossing: DriftCrossing | undefined =
        drifted && !s.drifted
          ? { model: s.model, psi, limit: psiLimit, baselineImages, windowImages: w.images }
          : undefined;
      s.drifted = drifted;
      const rate = (n: number) => (w.images === 0 ? 0 : n / w.images);
      const at = new Date(nowMs).toISOString();
      lastMessage = MetricsSchema.parse({
        schema: METRICS_SCHEMA_ID,
        messageId: ids.messageId,
        thingName: ids.thingName,
        publishedAt: at,
        model: s.model,
        modelSince: new Date(s.sinceMs).toISOString(),
        window: {
          start: w.startMs === undefined ? at : new Date(w.startMs).toISOString(),
          end: at,
          seconds: settings.windowSeconds,
          maxImages: settings.windowImages,
        },
        images: w.images,
        verdicts: w.verdicts,
        unclearRate: rate(w.verdicts.unclear),
        defectRate: rate(w.verdicts.defect),
        bestScore: { binEdges: SCORE_BIN_EDGES, counts: w.bestScoreCounts },
        detectionsPerImage: w.detectionsPerImage,
        latencyMs: w.latencyMs,
        quarantined: w.quarantined,
        errors: w.errors,
        sinceModel: {
          images: s.since.images,
          verdicts: { ...s.since.verdicts },
          bestScoreCounts: [...s.since.bestScoreCounts],
          quarantined: s.since.quarantined,
          errors: s.since.errors,
        },
        drift: { baselineImages, psi, limit: psiLimit, drifted },
      });
      return crossing ? { message: lastMessage, crossing } : { message: lastMessage };
    },
    last: () => lastMessage,
  };
}

function sameModel(a: ModelRef, b: ModelRef): boolean {
  return a.sha256 === b.sha256 && a.version === b.version && a.name === b.name;
}

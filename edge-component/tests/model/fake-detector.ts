/**
 * A stand-in for adapters/onnx-detector.ts's loadDetector in the model-manager tests: it builds a
 * Detector from a verified bundle's manifest (zeros of the manifest's output shape), counts loads and
 * closes, and can hold runs open so that a test sees inspections in flight across a hot swap.
 */
import type { RawOutput, SelfTestResult, VerifiedBundle } from '../../src/core/types.ts';
import type { Detector } from '../../src/ports.ts';

export interface FakeDetector extends Detector {
  readonly bundle: VerifiedBundle;
  /** The model bytes' length when it was loaded (the manager frees them afterwards). */
  readonly bytesAtLoad: number;
  readonly closedCount: () => number;
  readonly runs: () => number;
}

export interface FakeLoader {
  load(bundle: VerifiedBundle, options: { intraOpThreads: number; interOpThreads: number }): Promise<FakeDetector>;
  readonly loaded: FakeDetector[];
  /** While set, every run waits for this promise. */
  hold: Promise<void> | null;
}

export function createFakeLoader(): FakeLoader {
  const loader: FakeLoader = {
    loaded: [],
    hold: null,
    async load(bundle) {
      let closed = 0;
      let runs = 0;
      const [, rows, anchors] = bundle.manifest.output.shape;
      const detector: FakeDetector = {
        bundle,
        bytesAtLoad: bundle.modelBytes.length,
        manifest: bundle.manifest,
        model: {
          name: bundle.manifest.name,
          version: bundle.manifest.version,
          sha256: bundle.modelSha256,
          precision: bundle.manifest.precision,
        },
        async run(): Promise<RawOutput> {
          if (closed > 0) throw new Error('run on a closed session');
          runs += 1;
          if (loader.hold) await loader.hold;
          if (closed > 0) throw new Error('session closed during a run');
          return { data: new Float32Array(rows * anchors), dims: [1, rows, anchors] };
        },
        async close() {
          closed += 1;
        },
        closedCount: () => closed,
        runs: () => runs,
      };
      loader.loaded.push(detector);
      return detector;
    },
  };
  return loader;
}

/** A self-test stand-in that passes, counting its cases from the manifest. */
export async function passingSelfTests(bundle: VerifiedBundle): Promise<SelfTestResult> {
  return { passed: true, modelSha256: bundle.modelSha256, cases: bundle.manifest.selfTest.length, failures: [] };
}

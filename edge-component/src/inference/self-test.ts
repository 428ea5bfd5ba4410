/**
 * A bundle's self-test: each image listed in the manifest (already checked against its size and
 * sha256 by verifyModelBundle) is admitted, prepared and inspected with the manifest's own thresholds;
 * its verdict must be the expected one. An image that cannot be inspected is a failure too (named
 * with its reason), never a crash. The model manager refuses a bundle whose self-test did not pass.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { admitBytes } from '../core/admit.ts';
import type { SelfTestResult, VerifiedBundle } from '../core/types.ts';
import { errorCode, messageOf } from '../errors.ts';
import type { Detector, ImagePreparer } from '../ports.ts';
import { inspectImage } from './inspect-image.ts';

const reasonOf = (err: unknown) => {
  const code = errorCode(err);
  return code === undefined ? messageOf(err) : `${code}: ${messageOf(err)}`;
};

export async function runSelfTests(
  bundle: VerifiedBundle,
  detector: Detector,
  preparer: ImagePreparer,
): Promise<SelfTestResult> {
  const failures: string[] = [];
  for (const c of bundle.manifest.selfTest) {
    try {
      const path = join(bundle.dir, c.file);
      const image = admitBytes(path, new Uint8Array(await readFile(path)), 0, Number.MAX_SAFE_INTEGER);
      const prepared = await preparer.prepare(image, bundle.manifest.input);
      const inspection = await inspectImage(prepared, detector, { thingName: 'self-test' });
      if (inspection.verdict !== c.expectedVerdict) {
        const best = Math.max(0, ...inspection.detections.map((d) => d.confidence));
        failures.push(
          `${c.file}: expected ${c.expectedVerdict}, got ${inspection.verdict} (best score ${best.toFixed(3)})`,
        );
      }
    } catch (err) {
      failures.push(`${c.file}: cannot be inspected: ${reasonOf(err)}`);
    }
  }
  return {
    passed: failures.length === 0,
    modelSha256: bundle.modelSha256,
    cases: bundle.manifest.selfTest.length,
    failures,
  };
}

/** Small builders for test data in the API's shapes. */
import type { ModelPackage } from '../../src/ports.ts';

export const SHA_NEW = 'a'.repeat(64);
export const SHA_OLD = 'b'.repeat(64);

export function modelPackage(over: Partial<ModelPackage> = {}): ModelPackage {
  const version = over.version ?? 1;
  return {
    arn: `arn:aws:sagemaker:us-east-1:123456789012:model-package/tag-scratch/${version}`,
    group: 'tag-scratch',
    version,
    approvalStatus: 'Approved',
    createdAt: new Date(Date.UTC(2026, 10, 1, 0, version)),
    modelDataUrl: `s3://models/tag-scratch/${version}/model.onnx`,
    metadata: {},
    ...over,
  };
}

/** An edgeqc.status.v1 message. */
export function statusMessage(
  thingName: string,
  over: {
    sha256?: string;
    selfTestPassed?: boolean;
    selfTestSha?: string;
    state?: 'online' | 'degraded' | 'offline';
  } = {},
): unknown {
  const sha256 = over.sha256 ?? SHA_NEW;
  return {
    schema: 'edgeqc.status.v1',
    thingName,
    state: over.state ?? 'online',
    at: '2026-11-23T01:00:00.000Z',
    agentVersion: '0.1.0',
    model: { name: 'tag-scratch', version: '1.0.2', sha256, precision: 'int8' },
    selfTest: {
      passed: over.selfTestPassed ?? true,
      modelSha256: over.selfTestSha ?? sha256,
      cases: 2,
      failures: over.selfTestPassed === false ? ['selftest-1-scratch.jpg: expected defect, got ok'] : [],
    },
    rates: { imagesPerSecond: 1 },
    latencyMs: { p50: 40, p95: 60 },
    queueDepth: 0,
    outbox: { pending: 0, capacity: 1000, dropped: 0 },
    counters: { inspected: 3, ok: 2, defect: 1, unclear: 0, quarantined: 0, duplicates: 0, published: 3 },
    lastError: null,
  };
}

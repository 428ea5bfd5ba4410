/** An edgeqc.status.v1 message as a device retains it, for the tests that read fleet health. */
export function statusMessage(
  thingName: string,
  over: { sha256?: string; selfTestPassed?: boolean; state?: 'online' | 'degraded' | 'offline' } = {},
): unknown {
  const sha256 = over.sha256 ?? 'a'.repeat(64);
  return {
    schema: 'edgeqc.status.v1',
    thingName,
    state: over.state ?? 'online',
    at: '2026-11-23T01:00:00.000Z',
    agentVersion: '0.1.0',
    model: { name: 'tag-scratch', version: '1.0.2', sha256, precision: 'int8' },
    selfTest: {
      passed: over.selfTestPassed ?? true,
      modelSha256: sha256,
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

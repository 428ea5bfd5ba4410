import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMPONENT, fakeControl, fakeService } from './fakes.ts';
import { type Harness, PROTO_FILE, startHarness } from './lfv-client.ts';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
/** Created by scripts/install-test-tools.sh: a venv with grpcio and grpcio-tools. */
const PYTHON = join(REPO, '.work/grpcio-venv/bin/python');
const CLIENT = fileURLToPath(new URL('./lfv_client.py', import.meta.url));

let h: Harness;
let stubs: string;
beforeAll(async () => {
  if (!existsSync(PYTHON)) {
    throw new Error(
      `${PYTHON} is missing: the Python client test needs grpcio and grpcio-tools in that venv. ` +
        'Install them with `bash scripts/install-test-tools.sh` (from the repository root).',
    );
  }
  stubs = await mkdtemp(join(tmpdir(), 'lfv-py-stubs-'));
  const protoDir = dirname(PROTO_FILE);
  await run(PYTHON, [
    '-m',
    'grpc_tools.protoc',
    `-I${protoDir}`,
    `--python_out=${stubs}`,
    `--grpc_python_out=${stubs}`,
    'edge-agent.proto',
  ]);
  const service = fakeService();
  service.answer('defect');
  h = await startHarness({ service, control: fakeControl('STOPPED', 300) });
});
afterAll(async () => {
  await h?.close();
  if (stubs) await rm(stubs, { recursive: true, force: true });
});

describe('a Python Lookout for Vision client (grpcio, stubs generated from the proto at test time)', () => {
  it('starts the stopped model, polls until RUNNING, and detects anomalies inline and through shared memory', async () => {
    const { stdout } = await run(PYTHON, [CLIENT, h.server.socketPath, COMPONENT], {
      env: { ...process.env, PYTHONPATH: stubs },
      timeout: 60_000,
    });
    const seen = JSON.parse(stdout);
    expect(seen.statuses[0]).toBe('STOPPED');
    expect(seen.statuses[1]).toBe('StartModel:STARTING');
    expect(seen.statuses.at(-1)).toBe('RUNNING');
    for (const result of [seen.inline, seen.shared_memory]) {
      expect(result).toMatchObject({ is_anomalous: true });
      expect(result.anomaly_score).toBeCloseTo(0.8, 6);
      expect(result.anomaly_threshold).toBeCloseTo(0.5, 6);
      expect(result.anomalies.map((a: { name: string }) => a.name)).toEqual(['background', 'scratch', 'dent']);
    }
    expect(seen.inline.anomaly_mask).toMatchObject({ width: 96, height: 64, byte_data: 96 * 64 * 3 });
    expect(seen.shared_memory.anomaly_mask).toBeUndefined();
    expect(seen.unknown_model).toBe('NOT_FOUND');
  }, 60_000);
});

/**
 * `edgeqc bench --sync`: the options of the synchronous API benchmark (run-sync-bench.ts), refused
 * before anything runs when they are wrong (exit 2, the option and its value named, then the usage).
 */
import { parseArgs } from 'node:util';
import type { CommandIo } from '@edgeqc/model-component/cli';
import { SYNC_APIS, type SyncApi, type SyncBenchOptions } from './run-sync-bench.ts';

export const SYNC_HELP = `usage: edgeqc bench --sync [--clients 1,4,16] [--apis http,grpc-inline,grpc-shm] [--requests 200]
                    [--max-run-sec 60] [--folder-images 200] [--raw-runs 200] [--single-rounds 5]
                    [--sync-concurrency n] [--sync-max-queue n] [--sync-max-queue-bytes n] [--json]

Benchmarks the agent's synchronous API side by side with its references, in one run, on the demo model's
sample images and its INT8 model: raw session.run and the single-image inspect time of every sample
(this process, one image at a time: the agent's preparer and detector, decode + letterbox + inference,
from the files and from RGB pixels); the agent in its
own process: its folder throughput (before and after the rest), then for each client count HTTP
(POST /v1/inspect), gRPC DetectAnomalies with inline bitmaps and with shared memory, each client with one
request at a time; p50/p95, images/s, answers, queue-full refusals (retried after the wait asked) and
other errors; each request's latency over its own sample's single-image time (encoded for HTTP, RGB
for gRPC); the agent's RSS (max over the run and per run) and CPU per image. The gRPC clients send
requests serialized once before the run (a client's encoding is not the agent's work).
Targets: at one client the p95 of each request's latency over its sample's single-image inspect time
<= 1.3; at the most clients images/s >=
0.9 x the folder throughput; no error but queue-full refusals; RSS <= 256 MiB. Takes a few minutes.
The variables and EDGEQC_BENCH_AGENT_NODE_ARGS of 'edgeqc bench --help' apply.

options:
  --clients <list>      client counts, one run per API each (default 1,4,16)
  --apis <list>         the APIs to run, of http, grpc-inline, grpc-shm (default all three)
  --requests <n>        measured requests per run (default 200)
  --max-run-sec <n>     time bound of one run (default 60)
  --folder-images <n>   images of each folder flood (default 200)
  --raw-runs <n>        session.run calls for the raw figure (default 200)
  --single-rounds <n>   rounds through every sample for the single-image time, each way (default 5)
  --sync-concurrency <n>, --sync-max-queue <n>, --sync-max-queue-bytes <n>
                        the agent's sync.concurrency, sync.maxQueue and sync.maxQueueBytes
                        (default: the config's)
  --json                print the report as JSON (progress still on stderr)
`;

function whole(name: string, value: string | undefined, min: number, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  const v = Number(value);
  if (!Number.isInteger(v) || v < min)
    throw new Error(`--${name} ${JSON.stringify(value)}: expected a whole number >= ${min}`);
  return v;
}

export type SyncCommandOptions = Omit<SyncBenchOptions, 'say' | 'signal'> & { readonly json: boolean };

/** The options, or undefined for --help. Throws with the option and value named. */
export function parseSyncOptions(argv: readonly string[]): SyncCommandOptions | undefined {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      clients: { type: 'string' },
      requests: { type: 'string' },
      'max-run-sec': { type: 'string' },
      'folder-images': { type: 'string' },
      'raw-runs': { type: 'string' },
      apis: { type: 'string' },
      'single-rounds': { type: 'string' },
      'sync-concurrency': { type: 'string' },
      'sync-max-queue': { type: 'string' },
      'sync-max-queue-bytes': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return undefined;
  const clients = (values.clients ?? '1,4,16').split(',').map((c) => whole('clients', c.trim(), 1) as number);
  const syncConcurrency = whole('sync-concurrency', values['sync-concurrency'], 1);
  const syncMaxQueue = whole('sync-max-queue', values['sync-max-queue'], 0);
  const syncMaxQueueBytes = whole('sync-max-queue-bytes', values['sync-max-queue-bytes'], 0);
  const apis = (values.apis ?? SYNC_APIS.join(',')).split(',').map((a): SyncApi => {
    const api = SYNC_APIS.find((x) => x === a.trim());
    if (api === undefined) throw new Error(`--apis ${JSON.stringify(a)}: expected one of ${SYNC_APIS.join(', ')}`);
    return api;
  });
  return {
    clients,
    apis,
    requests: whole('requests', values.requests, 1, 200) as number,
    maxRunSec: whole('max-run-sec', values['max-run-sec'], 1, 60) as number,
    folderImages: whole('folder-images', values['folder-images'], 1, 200) as number,
    rawRuns: whole('raw-runs', values['raw-runs'], 1, 200) as number,
    singleRounds: whole('single-rounds', values['single-rounds'], 1, 5) as number,
    ...(syncConcurrency !== undefined ? { syncConcurrency } : {}),
    ...(syncMaxQueue !== undefined ? { syncMaxQueue } : {}),
    ...(syncMaxQueueBytes !== undefined ? { syncMaxQueueBytes } : {}),
    json: values.json === true,
  };
}

export async function runSyncBenchCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  let options: SyncCommandOptions | undefined;
  try {
    options = parseSyncOptions(argv);
  } catch (err) {
    io.stderr.write(`edgeqc bench --sync: ${err instanceof Error ? err.message : String(err)}\n\n${SYNC_HELP}`);
    return 2;
  }
  if (!options) {
    io.stdout.write(SYNC_HELP);
    return 0;
  }
  const { runSyncBench } = await import('./run-sync-bench.ts');
  const { formatSyncReport, targetChecks } = await import('./sync-report.ts');
  try {
    const report = await runSyncBench({ ...options, say: (line) => io.stderr.write(`${line}\n`), signal: io.signal });
    io.stdout.write(
      options.json
        ? `${JSON.stringify({ ...report, targets: targetChecks(report) }, null, 2)}\n`
        : `${formatSyncReport(report).join('\n')}\n`,
    );
    return 0;
  } catch (err) {
    const e = err as { code?: string; message?: string };
    io.stderr.write(`edgeqc bench --sync: ${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}\n`);
    return 1;
  }
}

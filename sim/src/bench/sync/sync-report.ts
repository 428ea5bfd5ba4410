/**
 * The synchronous API benchmark's report: the references, one row per run (API x clients), memory and
 * errors, then the targets of issue 25 as ratios, each with whether it is met. Pure.
 *
 * Targets (per API: HTTP, gRPC inline, gRPC shared memory):
 * - at one client, p95 <= 1.3 x the single-image inspect time, like with like: each answered request's
 *   latency over the single-image time (the median, in process, single-image.ts) of the same sample
 *   the same way in (from the encoded file for HTTP; from RGB pixels for gRPC, which sends pixels), and
 *   the p95 of those ratios. The samples differ in size (20 KB to 700 KB, 0.2 to 6 MP), so a p95 over
 *   all of them set beside a median over all of them would count the spread of the samples as the
 *   API's; that figure is printed too, for comparison with earlier reports;
 * - at the largest client count (16 by default), images/s >= 0.9 x the agent's folder throughput (the
 *   mean of the folder runs before and after);
 * - no error but refusals for a full queue (429, RESOURCE_EXHAUSTED), and the folder lost no image;
 * - the agent's RSS, the max over the run, <= 256 MiB.
 */
import type { SyncBenchReport, SyncRun } from './run-sync-bench.ts';

export interface TargetCheck {
  readonly name: string;
  readonly value: number;
  readonly limit: number;
  readonly op: '<=' | '>=';
  readonly met: boolean;
}

export const P95_LIMIT = 1.3;
export const THROUGHPUT_LIMIT = 0.9;
export const RSS_LIMIT_MIB = 256;

const check = (name: string, value: number, op: '<=' | '>=', limit: number): TargetCheck => ({
  name,
  value,
  limit,
  op,
  met: Number.isFinite(value) && (op === '<=' ? value <= limit : value >= limit),
});

/** Errors other than queue-full refusals, everywhere in the run. */
export function otherErrors(r: SyncBenchReport): number {
  const folder = r.folder.reduce((a, f) => a + f.errors + f.missing, 0);
  return r.runs.reduce((a, x) => a + x.errors, 0) + folder + (r.agentExitCode === 0 ? 0 : 1);
}

export function targetChecks(r: SyncBenchReport): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const one = Math.min(...r.runs.map((x) => x.clients));
  const most = Math.max(...r.runs.map((x) => x.clients));
  for (const x of r.runs.filter((x) => x.clients === one)) {
    checks.push(check(`${x.api}: p95 at ${one} client / single-image inspect`, x.relative.p95, '<=', P95_LIMIT));
  }
  for (const x of r.runs.filter((x) => x.clients === most)) {
    checks.push(
      check(
        `${x.api}: images/s at ${most} clients / folder`,
        x.imagesPerSecond / r.folderImagesPerSecond,
        '>=',
        THROUGHPUT_LIMIT,
      ),
    );
  }
  checks.push(check('errors other than queue full', otherErrors(r), '<=', 0));
  checks.push(check('agent RSS max (MiB)', (r.rssBytes.max ?? Number.NaN) / 1048576, '<=', RSS_LIMIT_MIB));
  return checks;
}

const n = (v: number | undefined, d = 0) => (v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(d));

export function formatSyncReport(r: SyncBenchReport): string[] {
  const mib = (b: number | undefined) => n(b === undefined ? undefined : b / 1048576);
  const env = Object.entries(r.agent.env).map(([k, v]) => `${k}=${v}`);
  const row = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(12) : c.padStart(11))).join('');
  const runRow = (x: SyncRun) =>
    row([
      x.api,
      String(x.clients),
      n(x.latency.p50, 1),
      n(x.latency.p95, 1),
      n(x.imagesPerSecond, 1),
      String(x.ok),
      String(x.refused),
      String(x.errors),
      n(x.relative.p50, 2),
      n(x.relative.p95, 2),
      n(x.agentCpuMsPerImage, 1),
      n(x.clientCpuMsPerImage, 1),
      mib(x.rssMaxBytes),
      n(x.loadAverage1m, 1),
    ]);
  const s = r.singleImage;
  const one = Math.min(...r.runs.map((x) => x.clients));
  const lines = [
    `machine: ${r.machine.cpus} x ${r.machine.cpuModel}, Node ${r.machine.node}; load average ${r.loadAverage.start.map((v) => v.toFixed(2)).join(' ')} at start, ${r.loadAverage.end.map((v) => v.toFixed(2)).join(' ')} at end`,
    `model: ${r.model.precision.toUpperCase()} ${r.model.sha256.slice(0, 12)}, input ${r.model.inputShape.join('x')}; ${r.samples} sample images; agent: sync concurrency ${r.agent.syncConcurrency}, max queue ${r.agent.syncMaxQueue}, folder in flight ${r.agent.inFlight}, session in ${r.agent.detectorThread} with ${r.agent.intraOpThreads} intra-op thread(s)${env.length > 0 ? `; env ${env.join(' ')}` : ''}`,
    '',
    'references:',
    `  raw session.run (this process, the agent not started): ${n(r.raw.imagesPerSecond, 1)} images/s (${n(r.raw.meanMs, 1)} ms per run)`,
    "  single-image inspect (own process, the agent's settings and nice value, the agent idle, one image at a time):",
    `    encoded (read, decode, letterbox, inference): p50 ${n(s.encoded.p50, 1)} / p95 ${n(s.encoded.p95, 1)} / mean ${n(s.encoded.meanMs, 1)} ms over ${s.encoded.count}; its own rel p50 / p95 ${n(s.encoded.relative.p50, 2)} / ${n(s.encoded.relative.p95, 2)}`,
    `    RGB pixels (letterbox, inference): p50 ${n(s.rgb.p50, 1)} / p95 ${n(s.rgb.p95, 1)} / mean ${n(s.rgb.meanMs, 1)} ms over ${s.rgb.count}; its own rel p50 / p95 ${n(s.rgb.relative.p50, 2)} / ${n(s.rgb.relative.p95, 2)}`,
    "    (its own rel: each of its runs over its sample's median, as a request's rel is: the machine's own spread, the floor of every rel p95 below)",
    `folder throughput (camera folder -> broker): ${r.folder.map((f) => `${n(f.imagesPerSecond, 1)} images/s over ${f.images} (${f.errors} errors, ${f.missing} missing)`).join('; ')}; mean ${n(r.folderImagesPerSecond, 1)}`,
    '',
    row([
      'API',
      'clients',
      'p50 ms',
      'p95 ms',
      'images/s',
      'ok',
      'queue full',
      'other',
      'rel p50',
      'rel p95',
      'agent CPU',
      'client CPU',
      'RSS max',
      'load',
    ]),
    ...r.runs.map(runRow),
    "  (ok: 200 / OK; queue full: 429 / RESOURCE_EXHAUSTED, retried after the wait asked; rel: each request over its sample's single-image time, encoded for http, RGB for grpc; CPU: ms per image; RSS max: MiB during the run; load: 1-minute load average after the run)",
    ...r.runs.filter((x) => x.firstError).map((x) => `  ${x.api} x${x.clients} first error: ${x.firstError}`),
    ...r.runs.filter((x) => x.cutShort).map((x) => `  ${x.api} x${x.clients}: stopped by the time bound`),
    `agent RSS start / max / end: ${mib(r.rssBytes.start)} / ${mib(r.rssBytes.max)} / ${mib(r.rssBytes.end)} MiB; exit code ${r.agentExitCode}`,
    `  p95 at ${one} client over the single-image encoded p50 of all samples (earlier reports' figure; counts the samples' spread): ${r.runs
      .filter((x) => x.clients === one)
      .map((x) => `${x.api} ${n(x.latency.p95 / s.encoded.p50, 2)}`)
      .join(', ')}`,
    '',
    'targets:',
    ...targetChecks(r).map(
      (c) =>
        `  ${c.name.padEnd(52)} ${n(c.value, 2).padStart(8)}  (target ${c.op} ${c.limit})  ${c.met ? 'met' : 'MISSED'}`,
    ),
  ];
  return lines;
}

/**
 * `npm start`: the edge side on one machine with nothing installed beyond `npm ci`.
 *
 *   embedded MQTT broker (Aedes) on a free localhost port
 *   the agent (main.ts's `agent` command, in this process) on a fresh camera folder, with the demo bundle
 *   a camera simulator dropping the demo model's sample images at a steady rate (temp name, then rename)
 *   a watch client printing every inspection, status and error (watch-command.ts's formatting)
 *
 * The agent uploads every unclear and defect image (and a share of ok ones) with its message to a local
 * folder store, <root>/review-store, in the inspection store's layout: `edgeqc review --store <it>` shows
 * the unclear ones to a person.
 *
 * Ends on its own once every dropped image was inspected or quarantined and its upload is in the store
 * (or when `signal` aborts), and returns a summary: counts per verdict, throughput, latency, and where
 * done/, quarantine/ and the review store are.
 */
import { mkdir, mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { workFolders } from '@edgeqc/edge-component/config';
import { DEMO_SAMPLES_DIR, demoBundle } from '@edgeqc/edge-component/demo-bundle';
import { runAgentCommand } from '@edgeqc/edge-component/main';
import { isSelected } from '@edgeqc/edge-component/upload';
import { formatWatchLine } from '@edgeqc/edge-component/watch';
import type { Precision, Verdict } from '@edgeqc/model-component/manifest';
import { watchDevice } from '../bench/arrivals.ts';
import { perSecond, summarizeLatencies } from '../bench/stats.ts';
import { startEmbeddedBroker } from '../mqtt/embedded-broker.ts';
import { runCameraSimulator } from './camera-simulator.ts';
import { demoAgentArgs } from './demo-agent-args.ts';

export const DEMO_THING_NAME = 'demo-line-1';
/** Share of ok inspections the demo uploads to the review store (every unclear and defect is). */
export const DEMO_OK_SAMPLE_RATE = 0.2;
/**
 * The demo line's defect threshold, above the model's own 0.5: a best score from 0.25 (the review
 * threshold) up to this is `unclear`, for a person. The demo model's weaker hits (a faint scratch, a
 * false alarm on clutter) land there, so `npm start` leaves images to decide in `edgeqc review`.
 */
export const DEMO_DEFECT_THRESHOLD = 0.8;

export interface EdgeDemoOptions {
  /** Lines for the person watching (default: nothing). */
  readonly say?: (line: string) => void;
  /** Images the camera drops from. Default: every sample of the demo model, in name order. */
  readonly sources?: readonly string[];
  /** How many images the camera drops, cycling through the sources. Default: each source once. */
  readonly images?: number;
  /** Time between two camera drops. Default 300 ms. */
  readonly intervalMs?: number;
  /** Working folder (camera/ and camera.edgeqc/ go in it). Default: a new temporary folder (kept). */
  readonly root?: string;
  /** The local inspection store the agent uploads to. Default <root>/review-store. */
  readonly reviewStore?: string;
  readonly precision?: Precision;
  /** Demo bundle cache (tests). */
  readonly demoCacheDir?: string;
  /** Agent log level (pino JSON on stderr). Default warn. */
  readonly agentLogLevel?: string;
  /** Give up waiting for the last inspections after this long. Default 60 s. */
  readonly settleTimeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface EdgeDemoSummary {
  readonly root: string;
  readonly cameraDir: string;
  readonly doneDir: string;
  readonly quarantineDir: string;
  /** The local inspection store (`edgeqc review --store <it>`), and the inspections uploaded to it. */
  readonly reviewStore: string;
  readonly uploaded: { readonly total: number; readonly unclear: number };
  readonly brokerUrl: string;
  readonly model: { readonly name: string; readonly version: string; readonly precision: Precision };
  readonly dropped: number;
  readonly inspected: Readonly<Record<Verdict, number>>;
  readonly quarantined: number;
  /** Dropped images with neither an inspection nor an error when the demo ended. */
  readonly missing: number;
  /** Files found in done/<verdict>/ and quarantine/ at the end (excluding reason files). */
  readonly onDisk: Readonly<Record<Verdict | 'quarantine', number>>;
  readonly imagesPerSecond: number;
  readonly latencyMs: { readonly p50: number; readonly p95: number };
  readonly elapsedMs: number;
  readonly aborted: boolean;
}

async function countFiles(dir: string, skip = /\.reason\.json$|\.annotated\./): Promise<number> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile() && !skip.test(e.name)).length;
}

/** The inspections in a local store: its .json messages, by verdict folder. */
async function storeCounts(store: string): Promise<{ total: number; unclear: number }> {
  const names = (await readdir(join(store, 'inspections'), { recursive: true }).catch(() => [] as string[])).filter(
    (n) => n.endsWith('.json'),
  );
  return { total: names.length, unclear: names.filter((n) => n.split(/[\\/]/).includes('unclear')).length };
}

async function samples(): Promise<string[]> {
  const names = (await readdir(DEMO_SAMPLES_DIR)).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort();
  return names.map((f) => join(DEMO_SAMPLES_DIR, f));
}

/** A writable that hands complete lines to `say` (the agent command's own stdout/stderr lines). */
function lineSink(say: (line: string) => void): Writable {
  let pending = '';
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const l of lines) if (l.length > 0) say(`agent: ${l}`);
      done();
    },
  });
}

const withTimeout = <T>(p: Promise<T>, ms: number, signal: AbortSignal): Promise<T | 'timeout' | 'aborted'> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve('timeout'), ms);
    const onAbort = () => resolve('aborted');
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    });
  });

export async function runEdgeDemo(options: EdgeDemoOptions = {}): Promise<EdgeDemoSummary> {
  const say = options.say ?? (() => undefined);
  const outer = options.signal ?? new AbortController().signal;
  const sources = options.sources ?? (await samples());
  const images = options.images ?? sources.length;
  const intervalMs = options.intervalMs ?? 300;
  const settleTimeoutMs = options.settleTimeoutMs ?? 60_000;

  const bundle = await demoBundle({ precision: options.precision, cacheDir: options.demoCacheDir });
  const m = bundle.manifest;
  say(
    `model: ${m.name}@${m.version} ${m.precision} (${bundle.dir}), signed by the demo key ${bundle.keyId.slice(0, 23)}…, trusted for this demo only`,
  );
  const root = options.root ?? (await mkdtemp(join(tmpdir(), 'edgeqc-edge-demo-')));
  const cameraDir = join(root, 'camera');
  await mkdir(cameraDir, { recursive: true });
  const reviewStore = options.reviewStore ?? join(root, 'review-store');
  const broker = await startEmbeddedBroker();
  say(`broker: embedded Aedes at ${broker.url}`);
  const topicPrefix = `edgeqc/${DEMO_THING_NAME}`;
  const watcher = await watchDevice(broker.url, topicPrefix);
  watcher.onMessage((topic, payload) => say(formatWatchLine(topic, payload)));

  const stopAgent = new AbortController();
  const agentLines: string[] = [];
  const agentSay = (line: string) => {
    agentLines.push(line);
    if (agentLines.length > 20) agentLines.shift();
    say(line);
  };
  const started = performance.now();
  const agentExit = runAgentCommand(
    demoAgentArgs(
      {
        cameraDir,
        bundle,
        brokerUrl: broker.url,
        thingName: DEMO_THING_NAME,
        logLevel: options.agentLogLevel ?? 'warn',
      },
      [
        ...['--upload-enabled', '--upload-target', 'folder', '--upload-folder-dir', reviewStore],
        ...['--upload-ok-sample-rate', String(DEMO_OK_SAMPLE_RATE)],
        ...['--thresholds-defect', String(DEMO_DEFECT_THRESHOLD)],
      ],
    ),
    { stdout: lineSink(agentSay), stderr: lineSink(agentSay), env: {}, signal: stopAgent.signal },
  );
  const folders = workFolders({ workDir: `${cameraDir}.edgeqc` });
  say(`agent: thing ${DEMO_THING_NAME}, camera folder ${cameraDir}, work folder ${cameraDir}.edgeqc`);
  say(
    `agent: uploads unclear, defect and ${DEMO_OK_SAMPLE_RATE * 100} % of ok images to the review store ${reviewStore}`,
  );

  const drops: Array<{ file: string; droppedAtMs: number }> = [];
  const latencies: number[] = [];
  const inspected: Record<Verdict, number> = { ok: 0, defect: 0, unclear: 0 };
  let quarantined = 0;
  let toUpload = 0;
  let firstDropMs = Number.NaN;
  let lastArrivalMs = Number.NaN;
  let aborted = false;
  const arrived = (atMs: number) => {
    lastArrivalMs = Number.isNaN(lastArrivalMs) ? atMs : Math.max(lastArrivalMs, atMs);
  };
  try {
    const online = await withTimeout(
      Promise.race([
        watcher.status((s) => s.state === 'online' && s.model !== null),
        agentExit.then((code) =>
          Promise.reject(new Error(`the agent exited with code ${code}: ${agentLines.join(' | ')}`)),
        ),
      ]),
      settleTimeoutMs,
      outer,
    );
    if (online === 'aborted') aborted = true;
    if (online === 'timeout') throw new Error(`the agent did not report online within ${settleTimeoutMs} ms`);
    if (!aborted) {
      say(
        `camera: dropping ${images} image(s) from ${dirname(sources[0] ?? DEMO_SAMPLES_DIR)}, one every ${intervalMs} ms`,
      );
      const outcomes: Array<Promise<void>> = [];
      await runCameraSimulator({
        sources,
        cameraDir,
        intervalMs,
        count: images,
        signal: outer,
        onDrop: (d) => {
          if (Number.isNaN(firstDropMs)) firstDropMs = d.droppedAtMs;
          drops.push(d);
          outcomes.push(
            Promise.race([
              watcher.inspection(d.file).then((a) => {
                latencies.push(a.atMs - d.droppedAtMs);
                inspected[a.inspection.verdict] += 1;
                if (isSelected(a.inspection.verdict, a.inspection.messageId, DEMO_OK_SAMPLE_RATE)) toUpload += 1;
                arrived(a.atMs);
              }),
              watcher.errorFor(d.file).then(() => {
                quarantined += 1;
                arrived(performance.now());
              }),
            ]),
          );
        },
      });
      const settled = await withTimeout(Promise.all(outcomes), settleTimeoutMs, outer);
      if (settled === 'aborted' || outer.aborted) aborted = true;
      if (settled === 'timeout') say(`gave up waiting after ${settleTimeoutMs} ms for the last inspections`);
      // The uploads go on after the messages: wait until the store holds every one chosen.
      const deadline = Date.now() + settleTimeoutMs;
      while (!outer.aborted && (await storeCounts(reviewStore)).total < toUpload && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    // Stop the agent first, so that every move out of the camera folder is done before counting.
    stopAgent.abort('demo finished');
    await agentExit.catch(() => 1);
    await watcher.close();
    await broker.close();
  }
  const lat = summarizeLatencies(latencies);
  return {
    root,
    cameraDir,
    doneDir: folders.done,
    quarantineDir: folders.quarantine,
    reviewStore,
    uploaded: await storeCounts(reviewStore),
    brokerUrl: broker.url,
    model: { name: m.name, version: m.version, precision: m.precision },
    dropped: drops.length,
    inspected: { ...inspected },
    quarantined,
    missing: drops.length - latencies.length - quarantined,
    onDisk: {
      ok: await countFiles(join(folders.done, 'ok')),
      defect: await countFiles(join(folders.done, 'defect')),
      unclear: await countFiles(join(folders.done, 'unclear')),
      quarantine: await countFiles(folders.quarantine),
    },
    imagesPerSecond: perSecond(latencies.length + quarantined, lastArrivalMs - firstDropMs),
    latencyMs: { p50: lat.p50, p95: lat.p95 },
    elapsedMs: performance.now() - started,
    aborted,
  };
}

/** The summary as lines for the console. */
export function formatDemoSummary(s: EdgeDemoSummary): string[] {
  const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
  const total = s.inspected.ok + s.inspected.defect + s.inspected.unclear;
  return [
    `summary${s.aborted ? ' (interrupted)' : ''}: ${s.dropped} image(s) dropped, ${total} inspected (ok ${s.inspected.ok}, defect ${s.inspected.defect}, unclear ${s.inspected.unclear}), ${s.quarantined} quarantined${s.missing > 0 ? `, ${s.missing} without an outcome` : ''}`,
    `model ${s.model.name}@${s.model.version} ${s.model.precision}; ${fmt(s.imagesPerSecond, 1)} images/s; drop -> message at the broker p50 ${fmt(s.latencyMs.p50)} ms, p95 ${fmt(s.latencyMs.p95)} ms`,
    `done/:       ${s.doneDir} (ok ${s.onDisk.ok}, defect ${s.onDisk.defect}, unclear ${s.onDisk.unclear})`,
    `quarantine/: ${s.quarantineDir} (${s.onDisk.quarantine})`,
    `review store: ${s.reviewStore} (${s.uploaded.total} uploaded, ${s.uploaded.unclear} unclear to review)`,
    `review them: npx edgeqc review --store ${s.reviewStore}  (prints a sign-in link to the page on http://127.0.0.1:4780/)`,
  ];
}

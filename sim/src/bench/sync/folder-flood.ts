/**
 * The agent's folder throughput, as `edgeqc bench` measures it end to end (run-bench.ts), in short:
 * `count` sample files (each made unique) dropped into the camera folder as fast as the disk takes
 * them, images per second from the first drop to the last inspection message through the broker.
 * Bounded: the wait ends when every image is accounted for, when no message came for `stallMs`, or at
 * `timeoutMs` after the last drop; an image whose message (or error event) has not come by then counts
 * as missing.
 */
import { runCameraSimulator } from '../../edge-demo/camera-simulator.ts';
import type { DeviceWatcher } from '../arrivals.ts';
import { perSecond } from '../stats.ts';

export interface FolderFloodResult {
  readonly images: number;
  readonly inspected: number;
  readonly errors: number;
  readonly missing: number;
  readonly elapsedMs: number;
  readonly imagesPerSecond: number;
}

export async function folderFlood(o: {
  readonly sources: readonly string[];
  readonly cameraDir: string;
  readonly watcher: DeviceWatcher;
  readonly count: number;
  readonly firstSequence: number;
  readonly timeoutMs: number;
  readonly stallMs: number;
  readonly signal?: AbortSignal;
}): Promise<FolderFloodResult> {
  let inspected = 0;
  let errors = 0;
  let first = Number.NaN;
  let last = Number.NaN;
  let progressAt = performance.now();
  const outcomes: Array<Promise<void>> = [];
  await runCameraSimulator({
    sources: o.sources,
    cameraDir: o.cameraDir,
    intervalMs: 0,
    count: o.count,
    firstSequence: o.firstSequence,
    uniqueBytes: true,
    ...(o.signal ? { signal: o.signal } : {}),
    onDrop: (d) => {
      if (Number.isNaN(first)) first = d.droppedAtMs;
      outcomes.push(
        Promise.race([
          o.watcher.inspection(d.file).then((a) => {
            inspected += 1;
            progressAt = performance.now();
            last = Number.isNaN(last) ? a.atMs : Math.max(last, a.atMs);
          }),
          o.watcher.errorFor(d.file).then(() => {
            errors += 1;
            progressAt = performance.now();
          }),
        ]),
      );
    },
  });
  const end = performance.now() + o.timeoutMs;
  let settled = false;
  void Promise.all(outcomes).then(() => {
    settled = true;
  });
  progressAt = Math.max(progressAt, performance.now());
  while (!settled && o.signal?.aborted !== true) {
    const now = performance.now();
    if (now >= end || now - progressAt >= o.stallMs) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const elapsedMs = last - first;
  return {
    images: outcomes.length,
    inspected,
    errors,
    missing: outcomes.length - inspected - errors,
    elapsedMs,
    imagesPerSecond: perSecond(inspected, elapsedMs),
  };
}

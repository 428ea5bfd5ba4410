/**
 * `edgeqc watch --view table`: the compact live table of every device's model metrics, one row per
 * device from its newest edgeqc.metrics.v1 message. Pure: messages in, text out (the watch command
 * redraws it in place).
 *
 * Columns: the model version serving; images per second (from the since-model count between the
 * device's last two messages of the same model, or, for its first message, the window's images over
 * the window's span); the verdict mix and unclear rate of the window; the drift PSI against the
 * model's baseline (`-` until measured, `DRIFT` past the limit); inference p95 of the window; and how
 * old the message is.
 */
import type { MetricsMessage } from '../contracts/metrics.ts';

export interface BoardRow {
  readonly message: MetricsMessage;
  readonly imagesPerSecond: number;
}

/** The newest metrics of each device, by thing name. */
export type MetricsBoard = ReadonlyMap<string, BoardRow>;

const seconds = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 1000;

/** The board with `message` in its device's row (an older message than the row's is ignored). */
export function updateBoard(board: MetricsBoard, message: MetricsMessage): MetricsBoard {
  const before = board.get(message.thingName);
  if (before && Date.parse(before.message.publishedAt) >= Date.parse(message.publishedAt)) return board;
  const prev = before?.message;
  let imagesPerSecond: number;
  const same = prev?.model.sha256 === message.model.sha256 && prev?.model.version === message.model.version;
  if (prev && same && prev.modelSince === message.modelSince) {
    imagesPerSecond =
      (message.sinceModel.images - prev.sinceModel.images) / seconds(prev.publishedAt, message.publishedAt);
  } else {
    imagesPerSecond = message.images / Math.max(1, seconds(message.window.start, message.window.end));
  }
  const next = new Map(board);
  next.set(message.thingName, { message, imagesPerSecond: Math.max(0, imagesPerSecond) });
  return next;
}

const pct = (n: number) => `${Math.round(n * 100)}%`;

function cells(row: BoardRow, nowMs: number): string[] {
  const m = row.message;
  const v = m.verdicts;
  const share = (n: number) => (m.images === 0 ? '-' : pct(n / m.images));
  const psi = m.drift.psi === null ? '-' : `${m.drift.psi.toFixed(3)}${m.drift.drifted ? ' DRIFT' : ''}`;
  const age = Math.max(0, Math.round((nowMs - Date.parse(m.publishedAt)) / 1000));
  return [
    m.thingName,
    `${m.model.name}@${m.model.version}`,
    row.imagesPerSecond.toFixed(1),
    String(m.images),
    `${share(v.ok)}/${share(v.defect)}/${share(v.unclear)}`,
    m.images === 0 ? '-' : pct(m.unclearRate),
    psi,
    `${Math.round(m.latencyMs.inference.p95)} ms`,
    `${age}s`,
  ];
}

const HEADER = ['DEVICE', 'MODEL', 'IMG/S', 'WINDOW', 'OK/DEF/UNC', 'UNCLEAR', 'DRIFT PSI', 'P95 INF', 'AGE'];
/** Columns aligned right (numbers). */
const RIGHT = new Set([2, 3, 5, 8]);

/** The table as lines: a header and one row per device, sorted by thing name, columns aligned. */
export function renderMetricsTable(board: MetricsBoard, nowMs: number): string[] {
  if (board.size === 0) return ['no metrics yet (devices publish them every metrics.intervalSeconds)'];
  const rows = [...board.values()]
    .sort((a, b) => a.message.thingName.localeCompare(b.message.thingName))
    .map((r) => cells(r, nowMs));
  const table = [HEADER, ...rows];
  const widths = HEADER.map((_, c) => Math.max(...table.map((r) => (r[c] as string).length)));
  return table.map((r) =>
    r
      .map((cell, c) => (RIGHT.has(c) ? cell.padStart(widths[c] as number) : cell.padEnd(widths[c] as number)))
      .join('  ')
      .trimEnd(),
  );
}

/** One line for a metrics message in the stream view. */
export function formatMetrics(m: MetricsMessage): string {
  const v = m.verdicts;
  return [
    m.publishedAt.slice(11, 19),
    m.thingName,
    `METRICS ${m.model.name}@${m.model.version}`,
    `window ${m.images} (ok ${v.ok}, defect ${v.defect}, unclear ${v.unclear})`,
    `unclear ${pct(m.unclearRate)} defect ${pct(m.defectRate)}`,
    `p95 prepare ${Math.round(m.latencyMs.prepare.p95)} ms inference ${Math.round(m.latencyMs.inference.p95)} ms`,
    `quarantined ${m.quarantined} errors ${m.errors}`,
    `psi ${m.drift.psi === null ? '-' : m.drift.psi.toFixed(3)}${m.drift.drifted ? ' DRIFT' : ''}`,
    `since model ${m.sinceModel.images}`,
  ].join('  ');
}

/**
 * `edgeqc watch`: an MQTT test client for engineers. Subscribes to `<root>/+/inspections`, `/status`,
 * `/errors` and `/metrics` of every device and prints one readable line per message, checked against
 * the message contracts (a message that does not match is printed as INVALID with the first problem).
 * `--view table` redraws a live table of every device's model metrics (metrics-table.ts) in place,
 * with the newest stream lines below it.
 */
import { parseArgs } from 'node:util';
import type { z } from 'zod';
import { subscribeMqtt } from '../adapters/mqtt-subscriber.ts';
import {
  type ErrorEvent,
  ErrorEventSchema,
  type Inspection,
  InspectionSchema,
  MetricsSchema,
  type Status,
  StatusSchema,
} from '../contracts/index.ts';
import type { Command, CommandIo } from './command.ts';
import { formatMetrics, type MetricsBoard, renderMetricsTable, updateBoard } from './metrics-table.ts';

const HELP = `usage: edgeqc watch [--url mqtt://host:port] [--root edgeqc] [--count N] [--json] [--view stream|table]

Subscribes to <root>/+/inspections, /status, /errors and /metrics (MQTT 3.1.1, so it also works with
the embedded broker) and prints one line per message: verdicts and boxes, model versions, rates,
latency, queue depth, errors and model metrics. Ctrl-C stops it.

options:
  --url <url>     broker (default $EDGEQC_MQTT_URL or mqtt://127.0.0.1:1883)
  --root <topic>  topic root before the thing name (default edgeqc)
  --count <n>     stop after n messages (for scripts)
  --json          print each message as received, one JSON object per line
  --view <view>   stream (default): one line per message; table: a live table per device (model,
                  images/s, verdict mix, unclear rate, drift PSI, inference p95) redrawn in place,
                  the newest stream lines below it
`;

const KINDS = ['inspections', 'status', 'errors', 'metrics'] as const;
const VIEWS = ['stream', 'table'] as const;
/** Stream lines kept below the table in the table view. */
const TABLE_VIEW_LINES = 12;
/** ANSI: cursor home, clear the screen. */
const REDRAW = '\x1b[H\x1b[2J';
type Kind = (typeof KINDS)[number];

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  return `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`;
}

function clock(iso: string): string {
  return iso.slice(11, 19);
}

function ms(n: number): string {
  return `${Math.round(n)} ms`;
}

export function formatInspection(m: Inspection): string {
  const boxes = m.detections
    .slice(0, 5)
    .map(
      (d) =>
        `${d.label} ${d.confidence.toFixed(2)} @${Math.round(d.box.x)},${Math.round(d.box.y)} ${Math.round(d.box.width)}x${Math.round(d.box.height)}`,
    )
    .join('; ');
  const more = m.detections.length > 5 ? ` (+${m.detections.length - 5} more)` : '';
  return [
    clock(m.inspectedAt),
    m.thingName,
    m.verdict.toUpperCase().padEnd(7),
    m.image.file,
    boxes.length > 0 ? `[${boxes}${more}]` : '[no detections]',
    `model ${m.model.name}@${m.model.version} ${m.model.precision}`,
    ms(m.timingsMs.total),
  ].join('  ');
}

export function formatStatus(m: Status): string {
  const model = m.model
    ? `model ${m.model.name}@${m.model.version} ${m.model.precision} sha ${m.model.sha256.slice(0, 12)}`
    : 'no model';
  const c = m.counters;
  return [
    clock(m.at),
    m.thingName,
    `STATUS ${m.state.toUpperCase()}${m.reason ? ` (${m.reason})` : ''}`,
    model,
    `${m.rates.imagesPerSecond.toFixed(1)} img/s`,
    m.latencyMs ? `p50 ${ms(m.latencyMs.p50)} p95 ${ms(m.latencyMs.p95)}` : 'no latency yet',
    `queue ${m.queueDepth}`,
    `outbox ${m.outbox.pending}/${m.outbox.capacity}${m.outbox.dropped > 0 ? ` dropped ${m.outbox.dropped}` : ''}`,
    `inspected ${c.inspected} (ok ${c.ok}, defect ${c.defect}, unclear ${c.unclear}) quarantined ${c.quarantined} duplicates ${c.duplicates}`,
    ...(m.selfTest ? [`self-test ${m.selfTest.passed ? 'passed' : 'FAILED'}`] : []),
    ...(m.lastError ? [`last error: ${m.lastError}`] : []),
  ].join('  ');
}

export function formatErrorEvent(m: ErrorEvent): string {
  return [clock(m.at), m.thingName, `ERROR ${m.kind} ${m.code}`, ...(m.file ? [m.file] : []), m.message].join('  ');
}

/** One printable line for a message on `<root>/<thing>/<kind>`. */
export function formatWatchLine(topic: string, payload: Uint8Array): string {
  const parts = topic.split('/');
  const kind = parts[parts.length - 1] as Kind;
  const thing = parts[parts.length - 2] ?? '?';
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    return `--:--:--  ${thing}  INVALID ${kind} message: not JSON (${payload.length} bytes)`;
  }
  if (kind === 'inspections') {
    const r = InspectionSchema.safeParse(json);
    return r.success ? formatInspection(r.data) : `--:--:--  ${thing}  INVALID inspection: ${firstIssue(r.error)}`;
  }
  if (kind === 'status') {
    const r = StatusSchema.safeParse(json);
    return r.success ? formatStatus(r.data) : `--:--:--  ${thing}  INVALID status: ${firstIssue(r.error)}`;
  }
  if (kind === 'metrics') {
    const r = MetricsSchema.safeParse(json);
    return r.success ? formatMetrics(r.data) : `--:--:--  ${thing}  INVALID metrics: ${firstIssue(r.error)}`;
  }
  const r = ErrorEventSchema.safeParse(json);
  return r.success ? formatErrorEvent(r.data) : `--:--:--  ${thing}  INVALID error event: ${firstIssue(r.error)}`;
}

async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  let values: { url?: string; root?: string; count?: string; json?: boolean; view?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        url: { type: 'string' },
        root: { type: 'string' },
        count: { type: 'string' },
        json: { type: 'boolean' },
        view: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    io.stderr.write(`edgeqc watch: ${err instanceof Error ? err.message : String(err)}\n${HELP}`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const count = values.count === undefined ? Number.POSITIVE_INFINITY : Number(values.count);
  if (!(count >= 1) || (Number.isFinite(count) && !Number.isInteger(count))) {
    io.stderr.write(`edgeqc watch: --count ${JSON.stringify(values.count)}: expected a whole number >= 1\n`);
    return 2;
  }
  const view = values.view ?? 'stream';
  if (!VIEWS.includes(view as (typeof VIEWS)[number]) || (view === 'table' && values.json)) {
    io.stderr.write(
      `edgeqc watch: --view ${JSON.stringify(values.view)}: expected stream or table (table not with --json)\n`,
    );
    return 2;
  }
  const url = values.url ?? io.env.EDGEQC_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
  const root = (values.root ?? 'edgeqc').replace(/\/+$/, '');
  let subscription: Awaited<ReturnType<typeof subscribeMqtt>>;
  try {
    subscription = await subscribeMqtt({ url, topicFilter: `${root}/+/+` });
  } catch (err) {
    const cause = err instanceof Error && err.cause ? ` (${String(err.cause)})` : '';
    io.stderr.write(
      `edgeqc watch: cannot subscribe at ${url}: ${err instanceof Error ? err.message : String(err)}${cause}\n`,
    );
    return 1;
  }
  const stop = () => void subscription.close();
  io.signal.addEventListener('abort', stop, { once: true });
  io.stderr.write(`watching ${root}/+/{inspections,status,errors,metrics} at ${url}\n`);
  const table = view === 'table' ? createTableView(io) : undefined;
  let seen = 0;
  try {
    for await (const m of subscription.messages) {
      const kind = m.topic.split('/').pop();
      if (!KINDS.includes(kind as Kind)) continue;
      const line = `${formatWatchLine(m.topic, m.payload)}${m.retain ? '  (retained)' : ''}`;
      if (table) table.add(kind as Kind, m.payload, line);
      else
        io.stdout.write(
          values.json
            ? `${JSON.stringify({ topic: m.topic, retain: m.retain, message: safeJson(m.payload) })}\n`
            : `${line}\n`,
        );
      seen += 1;
      if (seen >= count) break;
    }
  } finally {
    table?.close();
    io.signal.removeEventListener('abort', stop);
    await subscription.close();
  }
  return 0;
}

/** The table view: the metrics board redrawn in place every second and on each metrics message. */
function createTableView(io: CommandIo) {
  let board: MetricsBoard = new Map();
  const recent: string[] = [];
  const draw = () => {
    const lines = [...renderMetricsTable(board, Date.now()), '', ...recent];
    io.stdout.write(`${REDRAW}${lines.join('\n')}\n`);
  };
  const timer = setInterval(draw, 1000);
  timer.unref();
  draw();
  return {
    add(kind: Kind, payload: Uint8Array, line: string) {
      recent.push(line);
      if (recent.length > TABLE_VIEW_LINES) recent.shift();
      if (kind !== 'metrics') return;
      const parsed = MetricsSchema.safeParse(safeJson(payload));
      if (parsed.success) board = updateBoard(board, parsed.data);
      draw();
    },
    close() {
      clearInterval(timer);
      draw();
    },
  };
}

function safeJson(payload: Uint8Array): unknown {
  const text = new TextDecoder().decode(payload);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export const watchCommand: Command = {
  name: 'watch',
  summary: 'print the inspections, status, errors and model metrics of all devices from an MQTT broker',
  run,
};

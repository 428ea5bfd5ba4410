/**
 * `edgeqc inspect <files|dir>`: one-shot inspection for offline evaluation and scripting. Prints, per
 * image, the same `edgeqc.inspection.v1` message the agent publishes (JSON lines with --json, a readable
 * line otherwise); a file that cannot be inspected gives the `edgeqc.error.v1` message the agent would
 * put on /errors, the other files are still inspected, and the exit code is 1 at the end. Files are only
 * read, never moved. Without --model it uses the demo bundle (see demo/demo-bundle.ts for its trust).
 * Locally, as in the agent, the next files are admitted and prepared while one is inferred (its
 * detector runs the session in a worker thread); the output keeps the files' order.
 * With --url it is a client of a running agent's HTTP API instead (sync/http/remote-inspector.ts): the
 * agent's model inspects, the output is the same.
 */
import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isIgnoredCameraName } from '../adapters/camera-names.ts';
import type { InspectOutcome } from '../demo-model/inspect-files.ts';
import type { OpenedModel } from '../demo-model/open-model.ts';
import { errorCode, messageOf } from '../errors.ts';
import { openRemoteInspector, type RemoteInspector } from '../sync/http/remote-inspector.ts';
import type { Command, CommandIo } from './command.ts';

const HELP = `usage: edgeqc inspect <file|dir>... [--model <bundle dir> --trusted-key <pem file>] [--json]
                      [--thing-name <name>] [--precision int8|fp32]
       edgeqc inspect --url <http(s)://host:port> [--token <token>] [--publish] [--archive] <file|dir>...

Inspects each image once and prints the inspection message the agent would publish (one JSON object
per line with --json, else one readable line per image). A folder means the .jpg, .jpeg and .png
files directly in it, in name order; every other entry is named on stderr with why it was skipped
(another extension, a hidden or temporary name, a symbolic link, a folder, a FIFO...). A file named
explicitly is always tried (a symbolic link is refused, not followed). A file that cannot be inspected
prints the error
message the agent would publish on /errors; the others are still inspected and the exit code is 1.
Nothing is moved or written.

options:
  --model <dir>         signed model bundle (model.onnx, manifest.json, manifest.sig); default: the
                        bundled demo model, signed on first use by a demo key that is trusted for it
  --trusted-key <file>  PEM public key the bundle's signature must verify against (repeatable;
                        required with --model)
  --precision <p>       demo model precision, int8 (default) or fp32 (without --model only)
  --thing-name <name>   thingName in the messages (default $EDGEQC_THING_NAME or the host name)
  --json                JSON lines on stdout (inspections and error messages)

client of a running agent (its HTTP API, POST /v1/inspect; the agent's model inspects):
  --url <url>           the agent's HTTP API, e.g. http://127.0.0.1:8181 (https: trusts the system's
                        CAs; NODE_EXTRA_CA_CERTS=<pem file> adds one)
  --token <token>       bearer token (default $EDGEQC_HTTP_TOKEN; prefer the variable: arguments are
                        visible to other users of the machine)
  --publish             the agent also publishes each inspection on <prefix>/inspections
  --archive             the agent also keeps each image under done/<verdict>/
`;

const IMAGE_NAME = /\.(jpe?g|png)$/i;

/** A folder entry that is not inspected, and why. */
export interface SkippedEntry {
  readonly path: string;
  readonly reason: string;
}

/** Why a folder entry is not inspected; undefined for an image to inspect. Never follows a link. */
function skipReason(entry: Dirent): string | undefined {
  if (isIgnoredCameraName(entry.name)) return 'a hidden or temporary name';
  if (entry.isSymbolicLink()) return 'a symbolic link (not followed)';
  if (entry.isDirectory()) return 'a folder (only the files directly in a folder are inspected)';
  if (!entry.isFile()) {
    const kind = entry.isFIFO() ? 'a FIFO' : entry.isSocket() ? 'a socket' : 'a device';
    return `${kind}, not a regular file`;
  }
  if (!IMAGE_NAME.test(entry.name)) return 'not named .jpg, .jpeg or .png';
  return undefined;
}

/**
 * The files to inspect (explicit files as given, folders expanded to the images directly in them, in
 * name order) and every folder entry skipped, with its reason.
 */
export async function expandInputsWithSkips(
  inputs: readonly string[],
): Promise<{ files: string[]; skipped: SkippedEntry[] }> {
  const files: string[] = [];
  const skipped: SkippedEntry[] = [];
  for (const input of inputs) {
    const info = await stat(input).catch(() => undefined);
    if (!info?.isDirectory()) {
      files.push(input); // a missing file is reported as that file's error
      continue;
    }
    const entries = (await readdir(input, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      const reason = skipReason(e);
      if (reason === undefined) files.push(join(input, e.name));
      else skipped.push({ path: join(input, e.name), reason });
    }
  }
  return { files, skipped };
}

/** The files to inspect: explicit files as given, folders expanded to the images directly in them. */
export async function expandInputs(inputs: readonly string[]): Promise<string[]> {
  return (await expandInputsWithSkips(inputs)).files;
}

/** One readable line: verdict, file, best score, boxes, time. */
export function formatOutcome(o: InspectOutcome): string {
  if (o.kind === 'error') return `ERROR    ${o.error.file ?? '?'}  ${o.error.code}  ${o.error.message}`;
  const m = o.inspection;
  const best = m.detections.reduce((b, d) => Math.max(b, d.confidence), 0);
  const boxes = m.detections
    .slice(0, 5)
    .map(
      (d) =>
        `${d.label} ${d.confidence.toFixed(2)} @${Math.round(d.box.x)},${Math.round(d.box.y)} ${Math.round(d.box.width)}x${Math.round(d.box.height)}`,
    );
  const more = m.detections.length > 5 ? ` (+${m.detections.length - 5} more)` : '';
  return [
    m.verdict.toUpperCase().padEnd(7),
    m.image.file,
    `best ${best.toFixed(2)}`,
    boxes.length > 0 ? `[${boxes.join('; ')}${more}]` : '[no detections]',
    `${Math.round(m.timingsMs.total)} ms`,
  ].join('  ');
}

function defaultThingName(env: CommandIo['env']): string {
  const name = env.EDGEQC_THING_NAME ?? hostname().replace(/[^a-zA-Z0-9:_-]/g, '-');
  return name.slice(0, 128) || 'local';
}

async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    io.stderr.write(`edgeqc inspect: ${err instanceof Error ? err.message : String(err)}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  if (positionals.length === 0) {
    io.stderr.write(`edgeqc inspect: expected at least one image file or folder\n\n${HELP}`);
    return 2;
  }
  if (values.precision !== undefined && values.precision !== 'int8' && values.precision !== 'fp32') {
    io.stderr.write(`edgeqc inspect: --precision ${JSON.stringify(values.precision)}: expected int8 or fp32\n`);
    return 2;
  }
  if (values.precision !== undefined && values.model !== undefined) {
    io.stderr.write('edgeqc inspect: --precision selects the demo model; a --model bundle has its own\n');
    return 2;
  }
  const thingName = values['thing-name'] ?? defaultThingName(io.env);
  if (!/^[a-zA-Z0-9:_-]{1,128}$/.test(thingName)) {
    io.stderr.write(
      `edgeqc inspect: --thing-name ${JSON.stringify(thingName)}: expected letters, digits, ":", "_" or "-", at most 128\n`,
    );
    return 2;
  }
  const usage = clientModeUsage(values);
  if (usage !== undefined) {
    io.stderr.write(`edgeqc inspect: ${usage}\n`);
    return 2;
  }
  const { files, skipped } = await expandInputsWithSkips(positionals);
  for (const s of skipped) io.stderr.write(`skipped  ${s.path}  ${s.reason}\n`);
  if (files.length === 0) {
    io.stderr.write(`edgeqc inspect: no images in ${positionals.join(', ')}\n`);
    return 1;
  }

  const token = tokenOf(values, io.env);
  const inspector: Inspector | number =
    values.url !== undefined
      ? await openRemoteInspector(
          {
            url: values.url,
            thingName,
            publish: values.publish ?? false,
            archive: values.archive ?? false,
            ...(token !== undefined ? { token } : {}),
          },
          io,
        )
      : await openLocalInspector(values, thingName, io);
  if (typeof inspector === 'number') return inspector;

  const counts = { ok: 0, defect: 0, unclear: 0, error: 0 };
  try {
    // Up to `ahead` files under way at once (the next ones prepared while one is inferred), printed in order.
    const underWay: Promise<InspectOutcome>[] = [];
    let next = 0;
    const startMore = () => {
      while (underWay.length < (inspector.ahead ?? 1) && next < files.length && !io.signal.aborted) {
        underWay.push(inspector.inspect(files[next++] as string));
      }
    };
    startMore();
    for (let outcome = await underWay.shift(); outcome !== undefined; outcome = await underWay.shift()) {
      startMore();
      counts[outcome.kind === 'error' ? 'error' : outcome.inspection.verdict] += 1;
      io.stdout.write(
        values.json
          ? `${JSON.stringify(outcome.kind === 'error' ? outcome.error : outcome.inspection)}\n`
          : `${formatOutcome(outcome)}\n`,
      );
    }
  } finally {
    await inspector.close();
  }
  io.stderr.write(
    `${files.length} file(s): ok ${counts.ok}, defect ${counts.defect}, unclear ${counts.unclear}, not inspected ${counts.error}` +
      `${skipped.length > 0 ? `; ${skipped.length} skipped (named above)` : ''}\n`,
  );
  return counts.error > 0 || io.signal.aborted ? 1 : 0;
}

type Values = ReturnType<typeof parse>['values'];

/** Files inspected at once by the local model: one in the detector, the next ones being prepared. */
const LOCAL_AHEAD = 3;

/** An inspector, and how many files it takes at once (default 1). */
type Inspector = RemoteInspector & { readonly ahead?: number };

/** The token for --url: --token, else $EDGEQC_HTTP_TOKEN. */
function tokenOf(values: Values, env: CommandIo['env']): string | undefined {
  return values.token ?? (env.EDGEQC_HTTP_TOKEN || undefined);
}

/** What --url excludes and needs; undefined when the options fit together. */
function clientModeUsage(values: Values): string | undefined {
  if (values.url === undefined) {
    const clientOnly = (['token', 'publish', 'archive'] as const).filter((k) => values[k] !== undefined);
    return clientOnly.length > 0 ? `--${clientOnly[0]} needs --url (it asks a running agent)` : undefined;
  }
  const localOnly = (['model', 'trusted-key', 'precision'] as const).filter((k) => values[k] !== undefined);
  if (localOnly.length > 0) return `--${localOnly[0]} does not go with --url: the agent inspects with its own model`;
  if (!/^https?:\/\/[^/?#\s]+\/?$/.test(values.url)) {
    return `--url ${JSON.stringify(values.url)}: expected http://host:port or https://host:port`;
  }
  return undefined;
}

/** The local model (--model or the demo bundle), or the exit code when it cannot be opened. */
async function openLocalInspector(values: Values, thingName: string, io: CommandIo): Promise<Inspector | number> {
  // Loaded only now: onnxruntime and sharp are not needed for --help and usage errors.
  const [{ openModel }, { inspectFile }] = await Promise.all([
    import('../demo-model/open-model.ts'),
    import('../demo-model/inspect-files.ts'),
  ]);
  let model: OpenedModel;
  try {
    model = await openModel({
      ...(values.model !== undefined ? { model: values.model } : {}),
      trustedKeyFiles: values['trusted-key'] ?? [],
      ...(values.precision === 'int8' || values.precision === 'fp32' ? { precision: values.precision } : {}),
    });
  } catch (err) {
    const code = errorCode(err);
    const cause = err instanceof Error && err.cause instanceof Error ? ` (${err.cause.message})` : '';
    io.stderr.write(`edgeqc inspect: ${code ? `${code}: ` : ''}${messageOf(err)}${cause}\n`);
    return 1;
  }
  const m = model.bundle.manifest;
  io.stderr.write(
    `model ${m.name}@${m.version} ${m.precision} sha ${model.bundle.modelSha256.slice(0, 12)}, self-test passed (${model.selfTest.cases} images)` +
      `${model.demo ? `; demo bundle trusted by its demo key ${model.demo.keyId.slice(0, 19)}… (development only)` : ''}\n`,
  );

  return { inspect: (file) => inspectFile(model, file, thingName), close: () => model.close(), ahead: LOCAL_AHEAD };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      'trusted-key': { type: 'string', multiple: true },
      precision: { type: 'string' },
      'thing-name': { type: 'string' },
      json: { type: 'boolean' },
      url: { type: 'string' },
      token: { type: 'string' },
      publish: { type: 'boolean' },
      archive: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'inspect image files once and print the inspection messages (demo model by default)',
  run,
};

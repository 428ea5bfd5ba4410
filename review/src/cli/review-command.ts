/**
 * `edgeqc review`: the review app on this machine over a local store folder (the one the uploader of
 * `npm start` fills). Prints the sign-in link and serves until Ctrl-C.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Command, CommandIo } from '@edgeqc/model-component/cli';
import { pino } from 'pino';
import { INSPECTIONS_PREFIX } from '../adapters/local-folder-catalog.ts';
import { ReviewError } from '../errors.ts';
import { isLoopback, startLocalReview } from '../local-review.ts';
import { runExport } from './export-command.ts';

/** Where `npm start` leaves its store unless told otherwise; also --store's default. */
export const DEFAULT_REVIEW_STORE = 'review-store';

const HELP = `usage: edgeqc review [--store DIR] [--port N] [--host ADDR] [--reviewer NAME]
       edgeqc review export --out DIR   (the reviewed images as a training dataset; --help for its options)

Serves the review page and its API on this machine: the inspections under DIR/${INSPECTIONS_PREFIX}/ (the
uploader's layout), newest first; decisions are written to DIR/decisions/. Prints a sign-in link: open it
in a browser (it sets a session cookie; the link is valid until the server stops). Ctrl-C stops it.

options:
  --store <dir>      the store folder (default $EDGEQC_REVIEW_STORE or ./${DEFAULT_REVIEW_STORE})
  --port <n>         port (default 4780; 0 picks a free one)
  --host <addr>      address to listen on (default 127.0.0.1; other addresses expose the page, over plain HTTP)
  --reviewer <name>  the name decisions are stored under (default: the OS user)
`;

export const reviewCommand: Command = {
  name: 'review',
  summary: 'review page and API on this machine over a local store folder',
  async run(argv: readonly string[], io: CommandIo): Promise<number> {
    // `edgeqc review export ...`: the reviewed images as a training dataset (cli/export-command.ts).
    if (argv[0] === 'export') return runExport(argv.slice(1), io, DEFAULT_REVIEW_STORE);
    let values: { store?: string; port?: string; host?: string; reviewer?: string; help?: boolean };
    try {
      ({ values } = parseArgs({
        args: [...argv],
        options: {
          store: { type: 'string' },
          port: { type: 'string' },
          host: { type: 'string' },
          reviewer: { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
      }));
    } catch (err) {
      io.stderr.write(`edgeqc review: ${(err as Error).message}\n${HELP}`);
      return 2;
    }
    if (values.help) {
      io.stdout.write(HELP);
      return 0;
    }
    const port = values.port === undefined ? undefined : Number(values.port);
    if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65_535)) {
      io.stderr.write(`edgeqc review: --port ${JSON.stringify(values.port)}: expected a whole number 0-65535\n`);
      return 2;
    }
    const store = resolve(values.store ?? io.env.EDGEQC_REVIEW_STORE ?? DEFAULT_REVIEW_STORE);
    const host = values.host ?? '127.0.0.1';
    const log = pino({ name: 'edgeqc-review', level: io.env.EDGEQC_LOG_LEVEL ?? 'warn' }, pino.destination(2));
    let review: Awaited<ReturnType<typeof startLocalReview>>;
    try {
      review = await startLocalReview({
        store,
        host,
        log,
        ...(port !== undefined ? { port } : {}),
        ...(values.reviewer !== undefined ? { reviewer: values.reviewer } : {}),
      });
    } catch (err) {
      const why = err instanceof ReviewError ? err.message : `${(err as Error).message}`;
      io.stderr.write(`edgeqc review: ${why}\n`);
      return err instanceof ReviewError ? 2 : 1;
    }
    if (!existsSync(join(store, INSPECTIONS_PREFIX))) {
      io.stdout.write(
        `note: ${join(store, INSPECTIONS_PREFIX)} does not exist yet: nothing to review until something is uploaded there (npm start does)\n`,
      );
    }
    if (!isLoopback(host))
      io.stdout.write(`warning: listening on ${host}: anyone with the link below can review, over plain HTTP\n`);
    io.stdout.write(
      `review store: ${store}\nreviewer: ${review.reviewer.name}\nopen: ${review.signInUrl}\n(Ctrl-C stops)\n`,
    );
    await new Promise<void>((done) => {
      if (io.signal.aborted) done();
      else io.signal.addEventListener('abort', () => done(), { once: true });
    });
    await review.close();
    return 0;
  },
};

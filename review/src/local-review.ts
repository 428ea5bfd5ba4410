/**
 * The one-machine review app: the folder catalog and JSON decision store over one store folder, a
 * local sign-in link, the app listening on loopback by default. `edgeqc review` and tests start it.
 */

import { isIP } from 'node:net';
import { userInfo } from 'node:os';
import type { Logger } from 'pino';
import { LocalFolderCatalog } from './adapters/local-folder-catalog.ts';
import { LocalJsonDecisionStore } from './adapters/local-json-decision-store.ts';
import { createLocalSession } from './adapters/local-session-auth.ts';
import { buildReviewApp, type ReviewApp } from './app.ts';
import type { Reviewer } from './domain/index.ts';
import { ReviewCode, ReviewError } from './errors.ts';

export interface LocalReviewOptions {
  /** The store folder (holds inspections/ from the uploader; decisions/ is written here). */
  readonly store: string;
  /** Default 127.0.0.1. Anything but loopback exposes the page to the network (plain HTTP). */
  readonly host?: string;
  /** Default 4780; 0 picks a free one. */
  readonly port?: number;
  /** Default: the OS user. */
  readonly reviewer?: string;
  /** Default: random. */
  readonly token?: string;
  readonly log?: Logger;
}

export interface LocalReview {
  readonly app: ReviewApp;
  /** The page's address. */
  readonly url: string;
  /** The sign-in link to open (carries the token). */
  readonly signInUrl: string;
  readonly reviewer: Reviewer;
  close(): Promise<void>;
}

const REVIEWER_NAME = /^[\w.@ -]{1,64}$/;

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

export async function startLocalReview(o: LocalReviewOptions): Promise<LocalReview> {
  const name = o.reviewer ?? userInfo().username;
  if (!REVIEWER_NAME.test(name)) {
    throw new ReviewError(
      ReviewCode.BadOptions,
      `reviewer name ${JSON.stringify(name)}: expected 1-64 letters, digits, space, dot, @, dash or underscore`,
    );
  }
  const port = o.port ?? 4780;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ReviewError(ReviewCode.BadOptions, `port ${port}: expected a whole number 0-65535`);
  }
  const host = o.host ?? '127.0.0.1';
  const reviewer: Reviewer = { id: `local:${name}`, name };
  const session = createLocalSession(reviewer, o.token === undefined ? {} : { token: o.token });
  const app = await buildReviewApp({
    catalog: new LocalFolderCatalog({ root: o.store, ...(o.log ? { log: o.log } : {}) }),
    decisions: new LocalJsonDecisionStore(o.store),
    auth: session.authenticator,
    login: session.login,
    ...(o.log ? { log: o.log } : {}),
  });
  await app.listen({ host, port });
  const address = app.server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${shownHost}:${bound}/`;
  return {
    app,
    url,
    signInUrl: `${url}login?token=${encodeURIComponent(session.token)}`,
    reviewer,
    close: () => app.close(),
  };
}

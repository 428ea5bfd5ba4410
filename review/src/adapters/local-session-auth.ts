/**
 * Sessions on one machine, without an identity provider: `edgeqc review` prints a sign-in link with a
 * random token; GET /login exchanges it for an HttpOnly session cookie holding a second random secret;
 * every API request must carry that cookie. Whoever has the link is the one reviewer this server knows
 * (name from --reviewer or the OS user). Both secrets live in memory: a restart signs everyone out.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { parseCookie } from 'cookie';
import type { Reviewer } from '../domain/index.ts';
import type { Authenticator, LoginExchange, RequestHeaders } from '../ports.ts';

export const LOCAL_SESSION_COOKIE = 'edgeqc_review_session';

export interface LocalSession {
  /** The sign-in token for the link (`/login?token=...`). */
  readonly token: string;
  readonly authenticator: Authenticator;
  readonly login: LoginExchange;
}

function secret(): string {
  return randomBytes(24).toString('base64url');
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** `token`: the sign-in token (default: random); tests pass their own. */
export function createLocalSession(reviewer: Reviewer, options: { token?: string } = {}): LocalSession {
  const token = options.token ?? secret();
  const session = secret();
  return {
    token,
    authenticator: {
      async authenticate(headers: RequestHeaders): Promise<Reviewer | undefined> {
        const header = headers.cookie;
        if (typeof header !== 'string') return undefined;
        const value = parseCookie(header)[LOCAL_SESSION_COOKIE];
        return value !== undefined && same(value, session) ? reviewer : undefined;
      },
    },
    login: {
      async exchange(candidate: string) {
        return same(candidate, token) ? { name: LOCAL_SESSION_COOKIE, value: session } : undefined;
      },
    },
  };
}

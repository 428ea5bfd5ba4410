/**
 * Sessions: every /api request must carry a valid session (the Authenticator says whose), or it gets
 * 401 before any route runs. The optional /login route exchanges a one-time link's token for an
 * HttpOnly, SameSite=Strict session cookie (the one-machine world) and redirects to the page.
 */
import { stringifySetCookie } from 'cookie';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Reviewer } from '../domain/index.ts';
import { ReviewCode, ReviewError } from '../errors.ts';
import type { Authenticator, LoginExchange } from '../ports.ts';

const reviewers = new WeakMap<FastifyRequest, Reviewer>();

/** The reviewer of an authenticated /api request (the hook ran). */
export function reviewerOf(request: FastifyRequest): Reviewer {
  const r = reviewers.get(request);
  if (r === undefined) throw new ReviewError(ReviewCode.Unauthenticated, 'no valid session');
  return r;
}

export function registerSession(app: FastifyInstance, auth: Authenticator, login: LoginExchange | undefined): void {
  app.addHook('onRequest', async (request) => {
    if (!request.url.startsWith('/api/')) return;
    const reviewer = await auth.authenticate(request.headers);
    if (reviewer === undefined) {
      throw new ReviewError(
        ReviewCode.Unauthenticated,
        'no valid session: sign in again (edgeqc review prints a link)',
      );
    }
    reviewers.set(request, reviewer);
  });

  app.get('/api/session', async (request) => ({ reviewer: reviewerOf(request) }));

  if (login === undefined) return;
  app.get<{ Querystring: { token?: string } }>('/login', async (request, reply) => {
    const token = typeof request.query.token === 'string' ? request.query.token : '';
    const cookie = token.length > 0 && token.length <= 256 ? await login.exchange(token) : undefined;
    if (cookie === undefined) {
      throw new ReviewError(
        ReviewCode.Unauthenticated,
        'the sign-in link is not valid: use the one edgeqc review printed (a restart makes a new one)',
      );
    }
    const secure = request.protocol === 'https';
    const options = { httpOnly: true, sameSite: 'strict', path: '/', secure } as const;
    void reply.header('set-cookie', stringifySetCookie({ name: cookie.name, value: cookie.value, ...options }));
    return reply.redirect('./', 303);
  });
}

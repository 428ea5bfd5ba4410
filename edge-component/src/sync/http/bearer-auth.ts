/**
 * The bearer token check: every route but /healthz (a supervisor's liveness probe carries no secret)
 * needs `Authorization: Bearer <token>`, checked before the body is read. Both sides are hashed before
 * the comparison so it takes the same time whatever the length or the first differing byte. The token
 * is never logged or echoed.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpApiCode } from '../../errors.ts';
import { errorBody } from './error-reply.ts';

/** Routes that need no token. */
export const OPEN_ROUTES: ReadonlySet<string> = new Set(['/healthz']);

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** True when the Authorization header carries exactly `token` as a bearer token. */
export function bearerMatches(header: string | undefined, expectedDigest: Buffer): boolean {
  const match = /^Bearer[ ]+(\S+)[ ]*$/i.exec(header ?? '');
  const given = digest(match?.[1] ?? '');
  return timingSafeEqual(given, expectedDigest) && match !== null;
}

/** An onRequest hook that answers 401 (JSON, with WWW-Authenticate) unless the token matches. */
export function bearerAuthHook(token: string) {
  const expected = digest(token);
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const route = request.routeOptions.url;
    if (route !== undefined && OPEN_ROUTES.has(route)) return undefined;
    if (bearerMatches(request.headers.authorization, expected)) return undefined;
    const message =
      request.headers.authorization === undefined
        ? 'this API needs an Authorization: Bearer <token> header'
        : 'the bearer token is not the one this API expects';
    return reply
      .code(401)
      .header('www-authenticate', 'Bearer realm="edgeqc"')
      .send(errorBody(HttpApiCode.Unauthorized, message));
  };
}

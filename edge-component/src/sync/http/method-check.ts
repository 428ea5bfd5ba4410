/**
 * 404 and 405 as JSON with a code. fastify answers a known path with an unknown method as "not found";
 * this keeps the methods of each registered path (an onRoute hook, so it must be registered before the
 * routes) and answers 405 with an Allow header for those, 404 for the rest.
 */
import type { FastifyInstance } from 'fastify';
import { HttpApiCode } from '../../errors.ts';
import { errorBody } from './error-reply.ts';

export function registerMethodCheck(app: FastifyInstance): void {
  const methods = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    const known = methods.get(route.url) ?? new Set<string>();
    for (const m of [route.method].flat()) known.add(m.toUpperCase());
    methods.set(route.url, known);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? request.url;
    const allowed = methods.get(path);
    if (allowed === undefined) {
      return reply
        .code(404)
        .send(
          errorBody(HttpApiCode.NotFound, `no route ${path}: the API has POST /v1/inspect, GET /healthz, GET /readyz`),
        );
    }
    const allow = [...allowed].sort().join(', ');
    return reply
      .code(405)
      .header('allow', allow)
      .send(errorBody(HttpApiCode.MethodNotAllowed, `${request.method} ${path} is not allowed: use ${allow}`));
  });
}

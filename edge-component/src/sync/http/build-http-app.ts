/**
 * The HTTP API as a fastify app, apart from the process (fastify's own advice): tests inject requests
 * or listen on port 0; startHttpServer (start-http-server.ts) listens. Routes: POST /v1/inspect,
 * GET /healthz, GET /readyz. Every error is JSON `{ error: { code, message } }` (error-reply.ts),
 * also 404 and 405 (with Allow). Requests are not logged one by one (a line controller sends many);
 * internal errors are, with their cause, at error level.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from '../../log.ts';
import type { InspectionService } from '../inspection-service.ts';
import { bearerAuthHook } from './bearer-auth.ts';
import { errorReply } from './error-reply.ts';
import { registerHealthRoutes } from './health-routes.ts';
import { type HttpApiOptions, type ResolvedHttpApiOptions, resolveHttpApiOptions } from './http-api-options.ts';
import { registerInspectRoute } from './inspect-route.ts';
import { registerMethodCheck } from './method-check.ts';

export interface HttpApiDeps {
  readonly service: InspectionService;
  readonly log: Logger;
  /** False when the agent is stuck; /healthz then answers 503. Default: always alive. */
  readonly liveness?: () => boolean;
}

/** The app; its raw server is an https.Server when TLS is configured. */
export type HttpApp = FastifyInstance;

function createFastify(log: Logger, o: ResolvedHttpApiOptions): HttpApp {
  const logger: FastifyBaseLogger = log;
  const common = {
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: o.maxBodyBytes,
    requestTimeout: o.requestTimeoutMs,
    return503OnClosing: true,
  };
  if (o.tls === undefined) return Fastify(common);
  const { certPem, keyPem, caPem } = o.tls;
  const clientCerts = caPem !== undefined ? { ca: caPem, requestCert: true, rejectUnauthorized: true } : {};
  const app: HttpApp = Fastify({
    ...common,
    https: { cert: certPem, key: keyPem, minVersion: 'TLSv1.2', ...clientCerts },
  });
  return app;
}

/** Builds the app (nothing listens). Throws HTTP_BAD_OPTIONS or HTTP_INSECURE_BIND for bad options. */
export function buildHttpApp(deps: HttpApiDeps, options: HttpApiOptions = {}): HttpApp {
  const o = resolveHttpApiOptions(options);
  const app = createFastify(deps.log, o);
  registerMethodCheck(app);
  if (o.authToken !== undefined) app.addHook('onRequest', bearerAuthHook(o.authToken));

  app.setErrorHandler((err, request, reply) => {
    const r = errorReply(err, { maxBodyBytes: o.maxBodyBytes, retryAfterMs: () => deps.service.retryAfterMs() });
    if (r.statusCode >= 500 && r.body.error.code === 'INSPECTION_FAILED') {
      request.log.error({ err, method: request.method, route: request.routeOptions.url }, 'http request failed');
    }
    if (r.retryAfterSeconds !== undefined) void reply.header('retry-after', String(r.retryAfterSeconds));
    return reply.code(r.statusCode).send(r.body);
  });

  registerInspectRoute(app, deps.service, { maxBodyBytes: o.maxBodyBytes, requestTimeoutMs: o.requestTimeoutMs });
  registerHealthRoutes(app, deps);
  return app;
}

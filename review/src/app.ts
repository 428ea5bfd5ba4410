/**
 * `buildReviewApp(deps)`: the review API under /api and the page, as a fastify instance that listens on
 * nothing (fastify's advice: the app apart from the process). `edgeqc review` listens on it locally; in
 * AWS a Lambda handler wraps the same app. Where inspections, decisions and sessions live is the deps'
 * business (ports.ts).
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import { registerDecisionRoutes } from './http/decision-routes.ts';
import { errorReply } from './http/error-reply.ts';
import { registerItemRoutes } from './http/item-routes.ts';
import { registerSession } from './http/session.ts';
import { registerWebRoutes } from './http/web-routes.ts';
import type { Authenticator, DecisionStore, InspectionCatalog, LoginExchange } from './ports.ts';
import { ReviewService } from './review-service.ts';
import type { WebConfig } from './web-assets.ts';

export interface ReviewAppDeps {
  readonly catalog: InspectionCatalog;
  readonly decisions: DecisionStore;
  readonly auth: Authenticator;
  /** The one-time sign-in link exchange (local); absent: no /login route. */
  readonly login?: LoginExchange;
  /** Default: no logging. */
  readonly log?: Logger;
  /** Default: the system clock. */
  readonly now?: () => Date;
  /** Default: random UUIDs. */
  readonly newActionId?: () => string;
  /** Serve the page and config.json; `false` for an API only (the page hosted elsewhere). Default: served. */
  readonly web?: WebConfig | false;
  /** Largest request body. Default 256 KiB (a decision with 300 boxes is about 25 KiB). */
  readonly bodyLimitBytes?: number;
}

export type ReviewApp = FastifyInstance;

export async function buildReviewApp(deps: ReviewAppDeps): Promise<ReviewApp> {
  const bodyLimitBytes = deps.bodyLimitBytes ?? 256 * 1024;
  const logger: FastifyBaseLogger | undefined = deps.log;
  const app: ReviewApp = Fastify({
    ...(logger ? { loggerInstance: logger } : { logger: false }),
    bodyLimit: bodyLimitBytes,
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
  });
  const service = new ReviewService({
    catalog: deps.catalog,
    decisions: deps.decisions,
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.newActionId ? { newActionId: deps.newActionId } : {}),
  });

  app.setErrorHandler((err, request, reply) => {
    const r = errorReply(err, bodyLimitBytes);
    if (r.statusCode >= 500)
      request.log.error({ err, method: request.method, url: request.url }, 'review request failed');
    return reply.code(r.statusCode).send(r.body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url}` } }),
  );

  registerSession(app, deps.auth, deps.login);
  registerItemRoutes(app, service);
  registerDecisionRoutes(app, service);
  if (deps.web !== false) await registerWebRoutes(app, deps.web ?? { apiBase: 'api/' });
  return app;
}

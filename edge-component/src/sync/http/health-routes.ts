/**
 * `GET /healthz`: the process answers (and the optional liveness check holds): 200 `{ status: "alive" }`,
 * else 503. Needs no token, so a supervisor can probe it.
 * `GET /readyz`: a model serves: 200 with its name, version, sha256 (digest) and precision, else 503
 * with the reason (SYNC_NO_MODEL). A load balancer sends inspections only while it is 200.
 */
import type { FastifyInstance } from 'fastify';
import { HttpApiCode, SyncCode } from '../../errors.ts';
import type { InspectionService } from '../inspection-service.ts';
import { errorBody, retryAfterSeconds } from './error-reply.ts';

export interface HealthDeps {
  readonly service: InspectionService;
  /** False when the agent is stuck (e.g. its detector watchdog fired). Default: always alive. */
  readonly liveness?: () => boolean;
}

export function registerHealthRoutes(app: FastifyInstance, deps: HealthDeps): void {
  app.get('/healthz', async (_request, reply) => {
    if (deps.liveness === undefined || deps.liveness()) return { status: 'alive' };
    return reply
      .code(503)
      .send({ status: 'not-alive', ...errorBody(HttpApiCode.NotAlive, 'the agent reports itself not alive') });
  });

  app.get('/readyz', async (_request, reply) => {
    const served = deps.service.served();
    if (served !== null) {
      const { name, version, sha256, precision } = served.model;
      return { status: 'ready', model: { name, version, sha256, precision }, componentName: served.componentName };
    }
    return reply
      .code(503)
      .header('retry-after', String(retryAfterSeconds(deps.service.retryAfterMs())))
      .send({
        status: 'not-ready',
        ...errorBody(SyncCode.NoModel, 'no model serves yet (loading, refused or stopped)'),
      });
  });
}

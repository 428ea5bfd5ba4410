/**
 * PUT /api/items/:messageId/decision (one decision; 409 with what is stored when the revision moved on),
 * POST /api/decisions/mark-ok ("mark all on this page as ok": 200 when all were stored, 409 listing the
 * conflicts, which kept what was there), POST /api/undo (the reviewer's last action; 404 when there is
 * none, 409 when another reviewer decided on top since).
 */
import type { FastifyInstance } from 'fastify';
import type { ReviewService } from '../review-service.ts';
import { messageIdParam } from './item-routes.ts';
import { BatchBodySchema, DecisionBodySchema, parseRequest } from './request-schemas.ts';
import { reviewerOf } from './session.ts';

export function registerDecisionRoutes(app: FastifyInstance, service: ReviewService): void {
  app.put('/api/items/:messageId/decision', async (request, reply) => {
    const messageId = messageIdParam(request.params);
    const body = parseRequest(DecisionBodySchema, request.body, 'body');
    const r = await service.decide(reviewerOf(request), messageId, body);
    if (r.kind === 'conflict') {
      return reply.code(409).send({
        error: { code: 'CONFLICT', message: 'another decision was stored since this item was loaded' },
        item: r.item,
      });
    }
    return { item: r.item };
  });

  app.post('/api/decisions/mark-ok', async (request, reply) => {
    const body = parseRequest(BatchBodySchema, request.body, 'body');
    const r = await service.markOk(reviewerOf(request), body.items);
    if (r.conflicts.length > 0) {
      return reply.code(409).send({
        error: { code: 'CONFLICT', message: `${r.conflicts.length} item(s) were decided by someone else meanwhile` },
        ...r,
      });
    }
    return r;
  });

  app.post('/api/undo', async (request, reply) => {
    const r = await service.undo(reviewerOf(request));
    if (r.kind === 'conflict') {
      return reply.code(409).send({
        error: { code: 'CONFLICT', message: 'someone decided on top of your last decision: nothing was undone' },
        actionId: r.actionId,
        items: r.items,
      });
    }
    return { actionId: r.actionId, items: r.items };
  });

  app.get('/api/agreement', async () => ({ versions: await service.agreement() }));
}

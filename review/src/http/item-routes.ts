/**
 * GET /api/items (the list: filters, status, page, counts), GET /api/items/:messageId (one item, its
 * log and where its image is), GET /api/items/:messageId/image (the bytes, a redirect to a presigned URL,
 * or 404 IMAGE_MISSING), GET /api/facets (filter choices).
 */
import type { FastifyInstance } from 'fastify';
import { ReviewCode, ReviewError } from '../errors.ts';
import type { ImageRef } from '../ports.ts';
import type { ReviewService } from '../review-service.ts';
import { ListQuerySchema, MessageIdSchema, parseRequest } from './request-schemas.ts';

export function messageIdParam(params: unknown): string {
  const id = (params as { messageId?: unknown }).messageId;
  return parseRequest(MessageIdSchema, id, 'messageId');
}

/** Where the page loads an image from: the presigned URL itself, or this API's image route. */
export function imageUrl(ref: ImageRef, messageId: string): string | null {
  if (ref.kind === 'missing') return null;
  return ref.kind === 'url' ? ref.url : `api/items/${messageId}/image`;
}

export function registerItemRoutes(app: FastifyInstance, service: ReviewService): void {
  app.get('/api/items', async (request) => {
    const q = parseRequest(ListQuerySchema, request.query, 'query');
    const filter = {
      ...(q.thing !== undefined ? { thing: q.thing } : {}),
      ...(q.verdict !== undefined ? { modelVerdict: q.verdict } : {}),
      ...(q.modelVersion !== undefined ? { modelVersion: q.modelVersion } : {}),
      ...(q.from !== undefined ? { from: q.from } : {}),
      ...(q.to !== undefined ? { to: q.to } : {}),
    };
    return service.list(filter, q.status === 'all' ? undefined : q.status, { offset: q.offset, limit: q.limit });
  });

  app.get('/api/facets', async () => service.facets());

  app.get('/api/items/:messageId', async (request) => {
    const messageId = messageIdParam(request.params);
    const detail = await service.get(messageId);
    const { item, message, log } = detail;
    return { item, message, log, imageUrl: imageUrl(detail.image, messageId) };
  });

  app.get('/api/items/:messageId/image', async (request, reply) => {
    const messageId = messageIdParam(request.params);
    const ref = await service.image(messageId);
    if (ref.kind === 'missing') {
      throw new ReviewError(ReviewCode.ImageMissing, `the image of ${messageId} is missing from the store`);
    }
    if (ref.kind === 'url') return reply.redirect(ref.url, 302);
    return reply.header('cache-control', 'private, max-age=3600').type(ref.contentType).send(Buffer.from(ref.bytes));
  });
}

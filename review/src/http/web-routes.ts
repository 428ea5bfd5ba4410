/**
 * The page: review/web/ at /, the vendor modules at /vendor/, and /config.json (the page's settings).
 * These need no session (they are the same for everyone); the data behind /api does.
 */
import { readFile } from 'node:fs/promises';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { vendorModules, type WebConfig, webRoot } from '../web-assets.ts';

export async function registerWebRoutes(app: FastifyInstance, config: WebConfig): Promise<void> {
  await app.register(fastifyStatic, { root: webRoot, prefix: '/', index: ['index.html'], cacheControl: false });
  app.get('/config.json', async () => config);
  app.get<{ Params: { file: string } }>('/vendor/:file', async (request, reply) => {
    const path = Object.hasOwn(vendorModules, request.params.file) ? vendorModules[request.params.file] : undefined;
    if (path === undefined) return reply.code(404).send({ error: { code: 'NOT_FOUND', message: 'no such file' } });
    return reply.type('text/javascript; charset=utf-8').send(await readFile(path));
  });
}

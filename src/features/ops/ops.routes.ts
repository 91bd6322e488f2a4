import { sql } from 'kysely';
import { Type } from 'typebox';
import type { Db } from '../../db/store.js';
import type { App } from '../../http/types.js';
import type { Registry } from 'prom-client';

const Health = Type.Object({ status: Type.String(), store: Type.Optional(Type.String()) });

/** Liveness, readiness (the store answers and the node is not draining) and Prometheus metrics. */
export function opsRoutes(app: App, deps: { db: Db; engine: string; registry: Registry; isDraining: () => boolean }) {
  const tags = ['Operations'];
  app.get('/health/live', { schema: { tags, summary: 'The process is up', response: { 200: Health } } }, () => ({ status: 'ok' }));
  app.get(
    '/health/ready',
    { schema: { tags, summary: 'The node can serve: store reachable, not draining', response: { 200: Health, 503: Health } } },
    async (req, reply) => {
      if (deps.isDraining()) return reply.code(503).send({ status: 'draining' });
      try {
        await sql`SELECT 1`.execute(deps.db);
        return { status: 'ok', store: deps.engine };
      } catch (err) {
        req.log.warn({ err }, 'readiness check failed');
        return reply.code(503).send({ status: 'store unavailable', store: deps.engine });
      }
    },
  );
  app.get('/metrics', { schema: { tags, summary: 'Prometheus metrics', hide: false } }, async (_req, reply) => {
    reply.header('content-type', deps.registry.contentType);
    return deps.registry.metrics();
  });
}

import { Type } from 'typebox';
import type { Registry } from 'prom-client';
import type { App } from '../../http/types.js';

const Health = Type.Object({ status: Type.String(), store: Type.Optional(Type.String()) });
// Draining is refused before the handler runs (app.ts), in the error envelope; the handler's own 503 says why the store failed.
const NotReady = Type.Union([Health, Type.Ref('ErrorEnvelope')], { description: 'Not ready: draining, or the store does not answer.' });
const Metrics = { description: 'Prometheus text exposition format.', content: { 'text/plain': { schema: Type.String() } } };

export interface OpsDeps {
  /** Resolves when the store answers (readiness). */
  ping: () => Promise<void>;
  engine: string;
  registry: Registry;
  isDraining: () => boolean;
}

/**
 * Liveness, readiness (the store answers and the node is not draining) and Prometheus metrics:
 * the API registers them beside its routes, `npm run worker` serves them alone (probe.ts).
 */
export function opsRoutes(app: App, deps: OpsDeps) {
  const tags = ['Operations'];
  const config = { auth: 'none' } as const;
  app.get('/health/live', { config, schema: { operationId: 'healthLive', tags, summary: 'The process is up', response: { 200: Health } } }, () => ({ status: 'ok' }));
  app.get(
    '/health/ready',
    {
      config,
      schema: { operationId: 'healthReady', tags, summary: 'The node can serve: store reachable, not draining', response: { 200: Health, 503: NotReady } },
    },
    async (req, reply) => {
      if (deps.isDraining()) return reply.code(503).send({ status: 'draining' });
      try {
        await deps.ping();
        return { status: 'ok', store: deps.engine };
      } catch (err) {
        req.log.warn({ err }, 'readiness check failed');
        return reply.code(503).send({ status: 'store unavailable', store: deps.engine });
      }
    },
  );
  app.get('/metrics', { config, schema: { operationId: 'metrics', tags, summary: 'Prometheus metrics', response: { 200: Metrics } } }, async (_req, reply) => {
    reply.header('content-type', deps.registry.contentType);
    return deps.registry.metrics();
  });
}

import { collectDefaultMetrics, Counter, Histogram, type Registry } from 'prom-client';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** HTTP metrics in the container's registry (one per app, so tests can build many apps). */
export function createHttpMetrics(registry: Registry) {
  collectDefaultMetrics({ register: registry, prefix: 'wasl_' });
  const labelNames = ['method', 'route', 'status'] as const;
  const requests = new Counter({ name: 'wasl_http_requests_total', help: 'HTTP requests answered', labelNames, registers: [registry] });
  const latency = new Histogram({
    name: 'wasl_http_request_duration_seconds',
    help: 'HTTP request latency',
    labelNames,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });

  return {
    registry,
    onResponse(req: FastifyRequest, reply: FastifyReply, done: () => void) {
      const labels = { method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) };
      requests.inc(labels);
      latency.observe(labels, reply.elapsedTime / 1000);
      done();
    },
  };
}
export type HttpMetrics = ReturnType<typeof createHttpMetrics>;

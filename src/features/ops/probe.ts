import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import { ErrorEnvelope } from '../../http/schemas.js';
import type { App } from '../../http/types.js';
import { createHttpMetrics } from './metrics.js';
import { opsRoutes, type OpsDeps } from './ops.routes.js';

/**
 * The HTTP server of a process without the API (`npm run worker`): the same health and metrics
 * routes as the API, and nothing else, so an orchestrator probes every node the same way.
 */
export function createProbeServer(deps: OpsDeps & { logger: FastifyBaseLogger }) {
  const probe = Fastify({
    loggerInstance: deps.logger.child({ component: 'probe' }),
    logController: new LogController({ disableRequestLogging: true }), // probes every few seconds: no line each
  }).withTypeProvider<TypeBoxTypeProvider>() as App;
  probe.addSchema(ErrorEnvelope); // the routes' documented 503 refers to it
  probe.addHook('onResponse', createHttpMetrics(deps.registry).onResponse);
  opsRoutes(probe, deps);
  return probe;
}

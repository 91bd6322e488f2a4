import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyServerOptions } from 'fastify';
import type { Config } from './config.js';
import { createContainer } from './container.js';
import type { Db, Engine } from './db/store.js';
import { tokenRoutes } from './features/auth/token.routes.js';
import { ADMIN_TOKEN_KEY } from './features/bootstrap/bootstrap.service.js';
import { channelsAdminRoutes, channelsRoutes } from './features/channels/channels.routes.js';
import { createHttpMetrics } from './features/ops/metrics.js';
import { opsRoutes } from './features/ops/ops.routes.js';
import { serviceAccountsAdminRoutes } from './features/service-accounts/service-accounts.routes.js';
import { tagsRoutes } from './features/tags/tags.routes.js';
import { workspaceUsersAdminRoutes, workspaceUsersRoutes } from './features/workspace-users/workspace-users.routes.js';
import { workspacesAdminRoutes } from './features/workspaces/workspaces.routes.js';
import { webhooksAdminRoutes } from './features/webhooks/webhooks.routes.js';
import { createAdminAuth, createBearerAuth } from './http/auth.js';
import { compileShape, normalise, type Shape } from './http/casing.js';
import { errors } from './http/errors.js';
import { registerErrorHandling } from './http/error-handler.js';
import { createRateLimiter } from './http/rate-limit.js';
import { ErrorEnvelope } from './http/schemas.js';
import type { App } from './http/types.js';
import { validatorCompiler } from './http/validation.js';
import type { ValidationIssue } from './http/errors.js';
import { sha256Hex } from './lib/crypto.js';
import type { Clock } from './lib/clock.js';
import { newId } from './lib/ids.js';
import { openApiDocument } from './openapi.js';

export interface AppDeps {
  config: Config;
  db: Db;
  engine: Engine;
  clock: Clock;
  logger?: FastifyServerOptions['logger'] | FastifyBaseLogger;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    shapes?: { body?: Shape; query?: Shape };
  }
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** The whole HTTP application as a function of its dependencies; used by server.ts and by every test. */
export async function buildApp(deps: AppDeps) {
  const { config, db, clock } = deps;
  const loggerOption =
    deps.logger && typeof (deps.logger as FastifyBaseLogger).child === 'function'
      ? { loggerInstance: deps.logger as FastifyBaseLogger }
      : { logger: deps.logger ?? { level: config.logLevel } };
  const app = Fastify({
    ...loggerOption,
    bodyLimit: config.bodyLimitBytes,
    return503OnClosing: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : newId();
    },
    routerOptions: { ignoreTrailingSlash: true, caseSensitive: false },
  }).withTypeProvider<TypeBoxTypeProvider>() as App;

  const c = createContainer({ config, db, clock });
  await c.keys.init();
  // Read when the app is ready, not now: on a first start the bootstrap creates it after buildApp.
  let adminTokenHash = config.adminToken ? sha256Hex(config.adminToken) : null;
  app.addHook('onReady', async () => {
    adminTokenHash ??= (await c.settings.get<string>(ADMIN_TOKEN_KEY)) ?? null;
  });

  let draining = false;
  const metrics = createHttpMetrics(c.registry);
  app.decorateRequest('principal', null as never);
  app.setValidatorCompiler(validatorCompiler);
  app.removeContentTypeParser('text/plain');
  registerErrorHandling(app, config.bodyLimitBytes);

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
    if (draining) {
      reply.header('connection', 'close');
      throw errors.draining();
    }
  });
  app.addHook('onResponse', metrics.onResponse);

  // Case-insensitive names: one shape per route, compiled once, applied before validation.
  app.addHook('onRoute', (route) => {
    const schema = route.schema as { body?: unknown; querystring?: unknown; response?: Record<string, unknown> } | undefined;
    if (!schema) return;
    route.config = { ...(route.config ?? {}), shapes: { body: compileShape(schema.body), query: compileShape(schema.querystring) } };
    if (schema.response && !route.url.startsWith('/connect/')) {
      schema.response = { '4xx': ErrorEnvelope, '5xx': ErrorEnvelope, ...schema.response };
    }
  });
  app.addHook('preValidation', async (req) => {
    const shapes = req.routeOptions.config.shapes;
    if (!shapes) return;
    const issues: ValidationIssue[] = [];
    if (shapes.body && req.body && typeof req.body === 'object') req.body = normalise(req.body, shapes.body, '', issues);
    if (shapes.query && req.query && typeof req.query === 'object') req.query = normalise(req.query, shapes.query, '', issues);
    if (issues.length) throw errors.invalid(issues);
  });

  await app.register(swagger, {
    openapi: openApiDocument(config.publicUrl),
    // Shared schemas appear in components under their $id (ChannelItem, Tag, …).
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());

  tokenRoutes(app, { serviceAccounts: c.serviceAccounts, tokens: c.tokens, keys: c.keys, issuer: config.publicUrl });
  opsRoutes(app, { db, engine: deps.engine, registry: c.registry, isDraining: () => draining });

  const limiter = config.rateLimitPerMinute > 0 ? createRateLimiter(config.rateLimitPerMinute) : null;
  const authenticate = createBearerAuth({ tokens: c.tokens, limiter });
  await app.register(async (scope) => {
    const hatif = scope as unknown as App;
    hatif.addHook('onRequest', authenticate);
    tagsRoutes(hatif, c);
    channelsRoutes(hatif, c);
    workspaceUsersRoutes(hatif, c);
  });

  const authenticateAdmin = createAdminAuth(() => adminTokenHash);
  await app.register(async (scope) => {
    const admin = scope as unknown as App;
    admin.addHook('onRequest', authenticateAdmin);
    workspacesAdminRoutes(admin, c);
    serviceAccountsAdminRoutes(admin, c);
    workspaceUsersAdminRoutes(admin, c);
    channelsAdminRoutes(admin, c);
    webhooksAdminRoutes(admin, { webhooks: c.webhooks, db });
  });
  app.addHook('onClose', async () => c.outbound.close());

  /** `markDraining()`: from now on refuse new requests with 503 (SIGTERM, before close). */
  return Object.assign(app, { container: c, markDraining: () => void (draining = true) });
}
export type WaslApp = Awaited<ReturnType<typeof buildApp>>;

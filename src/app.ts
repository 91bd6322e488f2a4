import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyServerOptions } from 'fastify';
import type { Config } from './config.js';
import { createContainer, type Container } from './container.js';
import { pingStore, type Db, type Engine } from './db/store.js';
import { tokenRoutes } from './features/auth/token.routes.js';
import { ADMIN_TOKEN_KEY } from './features/bootstrap/bootstrap.service.js';
import { channelsAdminRoutes, channelsRoutes } from './features/channels/channels.routes.js';
import { createHttpMetrics } from './features/ops/metrics.js';
import { opsRoutes } from './features/ops/ops.routes.js';
import { serviceAccountsAdminRoutes } from './features/service-accounts/service-accounts.routes.js';
import { contactsRoutes } from './features/contacts/contacts.routes.js';
import { conversationsRoutes } from './features/conversations/conversations.routes.js';
import { whatsAppRoutes, whatsAppSandboxRoutes, whatsAppWebhookRoutes } from './features/whatsapp/whatsapp.routes.js';
import { sendFileRoutes } from './features/whatsapp/send-file.routes.js';
import { mediaRoutes } from './features/media/media.routes.js';
import { audioRoutes } from './features/audio/audio.routes.js';
import { voiceRoutes, voiceSandboxRoutes } from './features/voice/voice.routes.js';
import { twimlRoutes } from './features/voice/twiml.routes.js';
import { templateSendRoutes, templatesAdminRoutes } from './features/templates/templates.routes.js';
import { templateCatalogueRoutes } from './features/templates/templates.routes.js'; // [templates-list]
import { tagsRoutes } from './features/tags/tags.routes.js';
import { workspaceUsersAdminRoutes, workspaceUsersRoutes } from './features/workspace-users/workspace-users.routes.js';
import { workspacesAdminRoutes } from './features/workspaces/workspaces.routes.js';
import { webhooksAdminRoutes } from './features/webhooks/webhooks.routes.js';
import { eventsRoutes } from './features/events/events.routes.js';
import { createEventStreams } from './features/events/streams.js';
import type { Store } from './db/store.js';
import { peopleAdminRoutes, peopleRoutes } from './features/people/people.routes.js';
import { inboxRoutes } from './features/inbox/inbox.routes.js';
import { inboxBundle } from './features/inbox-web/inbox-web.assets.js';
import { inboxWebRoutes } from './features/inbox-web/inbox-web.routes.js';
import { createAdminAuth, createBearerAuth } from './http/auth.js';
import { edgeOf, type Routes } from './http/route-config.js';
import { API_SCOPE } from './features/service-accounts/service-accounts.service.js';
import { compileShape, normalise, type Shape } from './http/casing.js';
import { errors } from './lib/errors.js';
import { registerErrorHandling } from './http/error-handler.js';
import { createRateLimiter } from './http/rate-limit.js';
import { registerBodyParsers } from './http/body.js';
import { edgeServerOptions } from './http/edge.js';
import type { App } from './http/types.js';
import { validatorCompiler } from './http/validation.js';
import type { ValidationIssue } from './lib/errors.js';
import { sha256Hex } from './lib/crypto.js';
import type { Clock } from './lib/clock.js';
import { newId } from './lib/ids.js';
import { registerOpenApi } from './openapi.js';

export interface AppDeps {
  config: Config;
  db: Db;
  engine: Engine;
  clock: Clock;
  /** The store's pool for the workers' queue bookkeeping (`Store.bookkeeping`); `db` when absent. */
  bookkeeping?: Db;
  /** The store's LISTEN (`Store.listen`): other nodes' events wake this node's event streams; without it they poll each second. */
  listen?: Store['listen'];
  logger?: FastifyServerOptions['logger'] | FastifyBaseLogger;
  /** The process's container (boot.ts made it); a new one when absent (tests). */
  container?: Container;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    shapes?: { body?: Shape; query?: Shape };
  }
}

/** Every feature's routes, each handed the container; a new feature adds one line. */
const ROUTES: Routes<Container>[] = [
  tokenRoutes,
  tagsRoutes,
  contactsRoutes,
  conversationsRoutes,
  whatsAppRoutes,
  whatsAppWebhookRoutes,
  channelsRoutes,
  workspaceUsersRoutes,
  workspacesAdminRoutes,
  serviceAccountsAdminRoutes,
  workspaceUsersAdminRoutes,
  channelsAdminRoutes,
  whatsAppSandboxRoutes,
  // [templates] routes here.
  templatesAdminRoutes,
  templateSendRoutes,
  templateCatalogueRoutes, // [templates-list]
  mediaRoutes,
  sendFileRoutes,
  webhooksAdminRoutes,
  audioRoutes,
  twimlRoutes,
  voiceRoutes,
  voiceSandboxRoutes,
  peopleRoutes,
  peopleAdminRoutes,
  inboxRoutes,
];

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
    ...edgeServerOptions(config),
    return503OnClosing: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : newId();
    },
    routerOptions: { ignoreTrailingSlash: true, caseSensitive: false },
  }).withTypeProvider<TypeBoxTypeProvider>() as App;

  const c = deps.container ?? createContainer({ config, db, clock, bookkeeping: deps.bookkeeping ?? db, engine: deps.engine });
  await c.keys.init();
  await c.secrets.init(app.log);
  // Read when the app is ready, not now: on a first start the bootstrap creates it after buildApp.
  let adminTokenHash = config.adminToken ? sha256Hex(config.adminToken) : null;
  app.addHook('onReady', async () => {
    adminTokenHash ??= (await c.settings.get<string>(ADMIN_TOKEN_KEY)) ?? null;
  });

  let draining = false;
  const metrics = createHttpMetrics(c.registry);
  app.decorateRequest('principal', null as never);
  app.decorateRequest('recheck', null as never);
  app.setValidatorCompiler(validatorCompiler);
  registerBodyParsers(app);
  registerErrorHandling(app, config.bodyLimitBytes);

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
    if (draining) {
      reply.header('connection', 'close');
      throw errors.draining();
    }
  });
  app.addHook('onResponse', metrics.onResponse);

  // Docs first: its own routes are registered before the hooks below, which every route of ours passes.
  await registerOpenApi(app);

  // Each route declares what it needs from the edge (http/route-config.ts); nothing here reads URLs.
  app.addHook('onRoute', (route) => {
    if (!route.config?.auth) throw new Error(`${route.method} ${route.url}: declare config.auth ('bearer', 'admin' or 'none')`);
    const edge = edgeOf(route.config);
    const schema = route.schema as { body?: unknown; querystring?: unknown; response?: Record<string, unknown> } | undefined;
    if (schema && edge.caseInsensitive) {
      route.config = { ...route.config, shapes: { body: compileShape(schema.body), query: compileShape(schema.querystring) } };
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

  const limiter = config.rateLimitPerMinute > 0 ? createRateLimiter(config.rateLimitPerMinute) : null;
  const authenticate = {
    bearer: createBearerAuth({ verify: c.tokens.verify, scope: API_SCOPE, limiter, cookie: c.cookieAuth /* the sign-in cookie too */ }),
    admin: createAdminAuth(() => adminTokenHash),
  };
  app.addHook('onRequest', async (req, reply) => {
    const auth = req.routeOptions.config.auth;
    if (auth === 'bearer' || auth === 'admin') await authenticate[auth](req, reply);
  });

  app.get('/openapi.json', { config: { auth: 'none' }, schema: { hide: true } }, () => app.swagger());
  opsRoutes(app, { ping: () => pingStore(db), engine: deps.engine, registry: c.registry, isDraining: () => draining });
  for (const routes of ROUTES) routes(app, c);
  // GET /v1/events: the node's stream hub (its LISTEN, timer and sockets) lives and closes with this app.
  eventsRoutes(app, { streams: createEventStreams({ log: c.eventLog, clock, listen: deps.listen, limits: { perNode: config.eventsMaxStreams, perWorkspace: config.eventsMaxStreamsPerWorkspace, heartbeatMs: config.eventsHeartbeatSeconds * 1000 }, registry: c.registry, logger: app.log }), conversationExists: c.conversations.get });
  inboxWebRoutes(app, { bundle: inboxBundle }); // /inbox: the web app's shell and hashed assets, built once per process
  app.addHook('onClose', async () => c.lifecycle.stop());

  /** `markDraining()`: from now on refuse new requests with 503 (SIGTERM, before close). */
  return Object.assign(app, { container: c, markDraining: () => void (draining = true) });
}
export type WaslApp = Awaited<ReturnType<typeof buildApp>>;

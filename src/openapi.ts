import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { Type } from 'typebox';
import { API_SCOPE } from './features/service-accounts/service-accounts.service.js';
import { docsPage } from './http/docs-page.js';
import { documentRoutes, type SecurityByAuth } from './http/openapi.js';
import { DateTime, Uuid } from './http/schemas.js';
import type { App } from './http/types.js';
import { CONTACT_WEBHOOKS } from './features/contacts/contacts.webhooks.js';
import { CONVERSATION_WEBHOOKS } from './features/conversations/conversations.webhooks.js';
import { WHATSAPP_WEBHOOKS } from './features/whatsapp/whatsapp.webhooks.js';
import { componentName, defineWebhook, webhooksSection, type WebhookDoc } from './http/webhook-docs.js';

/**
 * The API document: its frame (title, tags, security schemes, webhooks) is here; every path comes
 * from the route schemas, completed by the `onRoute` hook of http/openapi.ts from each route's
 * flags. Served at `/openapi.json` and by the docs page at `/docs`.
 */

const SECURITY_SCHEMES = {
  oauth2: {
    type: 'oauth2',
    description: 'Service-account client credentials: Authorize with the client id and secret, and the docs page fetches the token.',
    // Relative, like the server URL: the page works from whatever host serves it.
    flows: { clientCredentials: { tokenUrl: '/connect/token', scopes: { [API_SCOPE]: 'Access Voxa API as a service account' } } },
  },
  bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token from `POST /connect/token`, pasted as it is.' },
  adminToken: { type: 'http', scheme: 'bearer', description: 'The operator token, `WASL_ADMIN_TOKEN` (printed to stderr on the first start when unset).' },
  signIn: {
    type: 'apiKey',
    in: 'cookie',
    name: 'wasl_session',
    description: "A person's sign-in (`POST /v1/auth/login`), as the inbox uses it; unsafe methods also need `Origin` equal to PUBLIC_URL. A bearer token, when given, wins.",
  },
} as const;

/** Which scheme each `config.auth` flag declares: a service-account route takes either form of the token, or a person's sign-in. */
const SECURITY: SecurityByAuth = {
  bearer: [{ oauth2: [API_SCOPE] }, { bearer: [] }, { signIn: [] }],
  admin: [{ adminToken: [] }],
  none: [],
};

/** Every tag an operation uses; the lint test fails on one missing here. */
const TAGS = [
  { name: 'Account', description: 'Service login: OAuth 2.0 client credentials (RFC 6749 errors) and the token signing keys.' },
  { name: 'Channels', description: "The workspace's WhatsApp and phone channels." },
  { name: 'Tags', description: 'Conversation tags.' },
  { name: 'WhatsApp', description: 'Sending WhatsApp messages: queued durably, sent by jobs, each status change a WhatsApp Message Webhook.' },
  { name: 'Voice', description: 'Outbound IVR calls, their audio prompts (upload, TTS), inbound and outbound call records and the call list.' },
  { name: 'Contacts', description: 'The contact book: contacts, their notes, history and typed property values; search.' },
  { name: 'Contact Properties', description: 'Typed custom properties of contacts.' },
  { name: 'Conversations', description: "A contact's conversation on a channel: create-or-get, lists with every filter, assignment, tags and the timeline." },
  { name: 'Wasl', description: 'Beyond Hatif: contact import from CSV and export; closing, reopening and reading conversations, internal notes and threads.' },
  { name: 'Workspace', description: 'The users and AI agents of the workspace.' },
  { name: 'Admin: workspaces', description: 'Operator API: workspaces and their settings.' },
  { name: 'Admin: service accounts', description: 'Operator API: API credentials of a workspace.' },
  { name: 'Admin: users', description: 'Operator API: the people and AI agents of a workspace.' },
  { name: 'Admin: channels', description: 'Operator API: channels and their provider settings.' },
  { name: 'Admin: webhooks', description: 'Operator API: webhook deliveries, replays and the health of each URL.' },
  { name: 'Operations', description: 'Health checks and Prometheus metrics for the platform running Wasl.' },
  { name: 'Webhooks', description: 'Requests Wasl sends to your URLs, signed with the secret of the channel or workspace.' },
];

const testWebhook = defineWebhook({
  name: 'Test',
  operationId: 'testWebhook',
  summary: 'Test event',
  description:
    "Sent to each of a channel's webhook URLs (`whatsAppWebhookUrl`, `postCallWebhookUrl`) by `POST /admin/v1/channels/{id}/webhooks/test`, " +
    "signed with the channel's `webhookSecret`, so an integrator can check that the receiver is reachable and verifies signatures.",
  payload: Type.Object({
    eventType: Type.Literal('Test'),
    data: Type.Object({
      workspaceId: Uuid,
      channelId: Uuid,
      message: Type.String({ examples: ['A test event from Wasl: your receiver is reachable.'] }),
      creationTime: DateTime,
    }),
  }),
  inWorkspaceEnvelope: false,
});

/**
 * The webhooks Wasl sends, one line a kind. A feature that starts sending one (WhatsAppMessage,
 * Call, OutboundIvrCompleted, AssignedUserIdChanged) defines it with `defineWebhook` beside its
 * schemas and adds it here; the workspace events envelope then lists it as well.
 */
export const WEBHOOKS: WebhookDoc[] = [testWebhook, ...CONTACT_WEBHOOKS, ...CONVERSATION_WEBHOOKS, ...WHATSAPP_WEBHOOKS];

/** The workspace `eventsWebhookUrl` receives every event, wrapped (Hatif's workspace-event envelope). */
function workspaceEventWebhook(events: readonly WebhookDoc[]): WebhookDoc {
  const wrapped = events.filter((e) => e.inWorkspaceEnvelope !== false);
  const names = wrapped.map((e) => e.name);
  const refs = wrapped.map((e) => Type.Unsafe({ $ref: `#/components/schemas/${componentName(e)}` }));
  return defineWebhook({
    name: 'WorkspaceEvent',
    operationId: 'workspaceEventWebhook',
    summary: 'Workspace event (every event, in an envelope)',
    description:
      "Sent to the workspace's `eventsWebhookUrl` (`PATCH /admin/v1/workspaces/{id}`) for every event of the workspace, signed with the " +
      "workspace's secret: `eventType` names the event and `data` is the payload its channel URL receives." +
      (names.length ? ` Events today: ${names.join(', ')}.` : ' No feature emits one yet: WhatsApp messages, calls and assignments will.'),
    payload: Type.Object({
      eventType: names.length ? Type.Unsafe<string>({ type: 'string', enum: names }) : Type.String({ examples: ['AssignedUserIdChanged'] }),
      data: refs.length === 1 ? refs[0]! : refs.length ? Type.Union(refs) : Type.Record(Type.String(), Type.Unknown(), { description: 'The payload of the event.' }),
    }),
    inWorkspaceEnvelope: false,
  });
}

/** The document's frame; `servers` is relative so the docs page's "Try it out" calls the host that served it. */
export function openApiDocument(webhooks: readonly WebhookDoc[] = WEBHOOKS) {
  const section = webhooksSection([...webhooks, workspaceEventWebhook(webhooks)]);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Wasl API',
      version: '0.1.0',
      summary: 'Self-hostable customer conversations over WhatsApp and the phone.',
      description:
        'The `/v1` and `/v2` routes are wire-compatible with the Hatif (Voxa) service-account API: request names are ' +
        'case-insensitive, responses are camelCase, errors use the ABP envelope with a top-level `message`. Get a token from ' +
        '`POST /connect/token` (client credentials, scope `VoxaAPI`): on this page, **Authorize** with the client id and secret. ' +
        'The `/admin/v1` routes are for operators and take the admin token. Every answer carries `X-Request-Id`.',
    },
    servers: [{ url: '/', description: 'The host serving this document' }],
    tags: TAGS,
    components: { securitySchemes: SECURITY_SCHEMES, schemas: section.schemas },
    webhooks: section.webhooks,
  };
}

/**
 * The document and the docs page at `/docs` (whose own routes are hidden), then the hook that
 * completes every route registered after it from its flags. Call it before any route of the API.
 */
export async function registerOpenApi(app: App): Promise<void> {
  await app.register(swagger, {
    openapi: openApiDocument() as never,
    // Shared schemas appear in components under their $id (ChannelItem, Tag, …).
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(swaggerUi, docsPage());
  documentRoutes(app, SECURITY);
}

import { Type } from 'typebox';
import type { Db } from '../../db/store.js';
import { IdParams, Uuid } from '../../http/schemas.js';
import { ADMIN_SECURITY, type App } from '../../http/types.js';
import type { WebhooksService } from './webhooks.service.js';
import { Delivery, DeliveryWithAttempts, ListDeliveriesQuery, PagedDeliveries, RecoverBody, TestSent, WebhookTarget } from './webhooks.schemas.js';

const date = (value: string | undefined) => (value ? new Date(value) : undefined);

export function webhooksAdminRoutes(app: App, deps: { webhooks: WebhooksService; db: Db }) {
  const { webhooks } = deps;
  const tags = ['Admin: webhooks'];
  const schema = { tags, security: ADMIN_SECURITY };
  app.get(
    '/admin/v1/webhooks/deliveries',
    { schema: { ...schema, summary: 'List webhook deliveries, newest first', querystring: ListDeliveriesQuery, response: { 200: PagedDeliveries } } },
    (req) => {
      const q = req.query;
      const filter = { workspaceId: q.workspaceId, channelId: q.channelId, status: q.status, eventType: q.eventType, from: date(q.from), to: date(q.to) };
      return webhooks.list(filter, q.SkipCount, q.MaxResultCount);
    },
  );
  app.get(
    '/admin/v1/webhooks/deliveries/:id',
    { schema: { ...schema, summary: 'One delivery with every attempt', params: IdParams, response: { 200: DeliveryWithAttempts } } },
    (req) => webhooks.get(req.params.id),
  );
  app.post(
    '/admin/v1/webhooks/deliveries/:id/replay',
    { schema: { ...schema, summary: 'Send a delivery again (same webhook-id and body)', params: IdParams, response: { 202: Delivery } } },
    async (req, reply) => reply.code(202).send(await webhooks.replay(deps.db, req.params.id)),
  );
  app.post(
    '/admin/v1/webhooks/deliveries/recover',
    { schema: { ...schema, summary: 'Send again every failed delivery since a time', body: RecoverBody, response: { 202: Type.Object({ recovered: Type.Integer() }) } } },
    async (req, reply) => reply.code(202).send(await webhooks.recover(deps.db, new Date(req.body.since), req.body.workspaceId)),
  );
  app.get(
    '/admin/v1/workspaces/:workspaceId/webhook-targets',
    {
      schema: {
        ...schema,
        summary: "A workspace's webhook URLs and their health (why one was disabled)",
        params: Type.Object({ workspaceId: Uuid }),
        response: { 200: Type.Array(WebhookTarget) },
      },
    },
    (req) => webhooks.targets(req.params.workspaceId),
  );
  app.post(
    '/admin/v1/webhook-targets/:id/enable',
    { schema: { ...schema, summary: 'Start sending to a disabled URL again', params: IdParams, response: { 200: WebhookTarget } } },
    (req) => webhooks.enableTarget(req.params.id),
  );
  app.post(
    '/admin/v1/channels/:id/webhooks/test',
    {
      schema: {
        ...schema,
        summary: "Send a signed test event to the channel's webhook URLs",
        params: IdParams,
        response: { 202: TestSent },
      },
    },
    async (req, reply) => reply.code(202).send(await webhooks.sendTest(deps.db, req.params.id)),
  );
}

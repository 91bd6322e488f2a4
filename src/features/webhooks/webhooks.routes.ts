import { Type } from 'typebox';
import { pageRequest } from '../../http/paging.js';
import { IdParams, Uuid } from '../../http/schemas.js';
import type { App } from '../../http/types.js';
import type { WebhooksService } from './webhooks.service.js';
import {
  Delivery,
  DELIVERY_SORT_FIELDS,
  DeliveryWithAttempts,
  ListDeliveriesQuery,
  PagedDeliveries,
  RecoverBody,
  TestSent,
  WebhookTarget,
} from './webhooks.schemas.js';

const date = (value: string | undefined) => (value ? new Date(value) : undefined);

export function webhooksAdminRoutes(app: App, { webhooks }: { webhooks: WebhooksService }) {
  const config = { auth: 'admin' } as const;
  const tags = ['Admin: webhooks'];
  app.get(
    '/admin/v1/webhooks/deliveries',
    {
      config,
      schema: { tags, operationId: 'adminListWebhookDeliveries', summary: 'List webhook deliveries, newest first', querystring: ListDeliveriesQuery, response: { 200: PagedDeliveries } },
    },
    (req) => {
      const q = req.query;
      const filter = { workspaceId: q.workspaceId, channelId: q.channelId, status: q.status, eventType: q.eventType, from: date(q.from), to: date(q.to) };
      return webhooks.list(filter, pageRequest(q, DELIVERY_SORT_FIELDS, 'CreationTime DESC'));
    },
  );
  app.get(
    '/admin/v1/webhooks/deliveries/:id',
    {
      config: { ...config, errors: [404] },
      schema: { tags, operationId: 'adminGetWebhookDelivery', summary: 'One delivery with every attempt', params: IdParams, response: { 200: DeliveryWithAttempts } },
    },
    (req) => webhooks.get(req.params.id),
  );
  app.post(
    '/admin/v1/webhooks/deliveries/:id/replay',
    {
      config: { ...config, errors: [404, 409] },
      schema: { tags, operationId: 'adminReplayWebhookDelivery', summary: 'Send a delivery again (same webhook-id and body)', params: IdParams, response: { 202: Delivery } },
    },
    async (req, reply) => reply.code(202).send(await webhooks.replay(req.params.id)),
  );
  app.post(
    '/admin/v1/webhooks/deliveries/recover',
    {
      config,
      schema: {
        tags,
        operationId: 'adminRecoverWebhookDeliveries',
        summary: 'Send again every failed delivery since a time',
        body: RecoverBody,
        response: { 202: Type.Object({ recovered: Type.Integer() }) },
      },
    },
    async (req, reply) => reply.code(202).send(await webhooks.recover(new Date(req.body.since), req.body.workspaceId)),
  );
  app.get(
    '/admin/v1/workspaces/:workspaceId/webhook-targets',
    {
      config,
      schema: {
        tags,
        operationId: 'adminListWebhookTargets',
        summary: "A workspace's webhook URLs and their health (why one was disabled)",
        params: Type.Object({ workspaceId: Uuid }),
        response: { 200: Type.Array(WebhookTarget) },
      },
    },
    (req) => webhooks.targets(req.params.workspaceId),
  );
  app.post(
    '/admin/v1/webhook-targets/:id/enable',
    {
      config: { ...config, errors: [404] },
      schema: { tags, operationId: 'adminEnableWebhookTarget', summary: 'Start sending to a disabled URL again', params: IdParams, response: { 200: WebhookTarget } },
    },
    (req) => webhooks.enableTarget(req.params.id),
  );
  app.post(
    '/admin/v1/channels/:id/webhooks/test',
    {
      config: { ...config, errors: [404, 422] },
      schema: {
        tags,
        operationId: 'adminTestChannelWebhooks',
        summary: "Send a signed test event to the channel's webhook URLs",
        params: IdParams,
        response: { 202: TestSent },
      },
    },
    async (req, reply) => reply.code(202).send(await webhooks.sendTest(req.params.id)),
  );
}

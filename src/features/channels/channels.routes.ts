import { Type } from 'typebox';
import { pageRequest } from '../../http/paging.js';
import { IdParams, Paged, Uuid } from '../../http/schemas.js';
import type { App } from '../../http/types.js';
import type { ChannelsService } from './channels.service.js';
import { AdminChannel, CHANNEL_SORT_FIELDS, ChannelListResponse, CreateChannelBody, ListChannelsQuery, UpdateChannelBody } from './channels.schemas.js';

const page = (query: { SkipCount: number; MaxResultCount: number; Sorting?: string; type?: number }) => ({
  ...pageRequest(query, CHANNEL_SORT_FIELDS, 'CreationTime ASC'),
  type: query.type,
});

export function channelsRoutes(app: App, { channels }: { channels: ChannelsService }) {
  app.get(
    '/v1/channels/service-account',
    {
      config: { auth: 'bearer' },
      schema: {
        operationId: 'getChannels',
        tags: ['Channels'],
        summary: 'Get Channels',
        description: "The workspace's channels, oldest first (clients take `items[0]` as the default channel). `type` filters by channel type.",
        querystring: ListChannelsQuery,
        response: { 200: ChannelListResponse },
      },
    },
    (req) => channels.list(req.principal.workspaceId, page(req.query)),
  );
}

export function channelsAdminRoutes(app: App, { channels }: { channels: ChannelsService }) {
  const tags = ['Admin: channels'];
  const workspaceParams = Type.Object({ workspaceId: Uuid });
  app.post(
    '/admin/v1/workspaces/:workspaceId/channels',
    {
      config: { auth: 'admin', errors: [404] },
      schema: {
        operationId: 'adminCreateChannel',
        tags,
        summary: 'Create a channel',
        description: 'Secrets (`webhookSecret`, `whatsApp.accessToken`, `appSecret`, `verifyToken`) are stored encrypted and shown back only as `has…` flags.',
        params: workspaceParams,
        body: CreateChannelBody,
        response: { 200: AdminChannel },
      },
    },
    (req) => channels.create(req.params.workspaceId, req.body),
  );
  app.get(
    '/admin/v1/workspaces/:workspaceId/channels',
    {
      config: { auth: 'admin', errors: [404] },
      schema: {
        operationId: 'adminListChannels',
        tags,
        summary: "List a workspace's channels",
        params: workspaceParams,
        querystring: ListChannelsQuery,
        response: { 200: Paged(AdminChannel) },
      },
    },
    (req) => channels.listForAdmin(req.params.workspaceId, page(req.query)),
  );
  app.patch(
    '/admin/v1/channels/:id',
    {
      config: { auth: 'admin', errors: [404] },
      schema: { operationId: 'adminUpdateChannel', tags, summary: 'Change a channel', params: IdParams, body: UpdateChannelBody, response: { 200: AdminChannel } },
    },
    (req) => channels.update(req.params.id, req.body),
  );
}

import { Type } from 'typebox';
import { IdParams, Paged, Uuid } from '../../http/schemas.js';
import { ADMIN_SECURITY, HATIF_SECURITY, type App } from '../../http/types.js';
import type { ChannelsService } from './channels.service.js';
import { AdminChannel, ChannelListResponse, CreateChannelBody, ListChannelsQuery, UpdateChannelBody } from './channels.schemas.js';

export function channelsRoutes(app: App, { channels }: { channels: ChannelsService }) {
  app.get(
    '/v1/channels/service-account',
    {
      schema: {
        tags: ['Channels'],
        security: HATIF_SECURITY,
        summary: 'Get Channels',
        description: "The workspace's channels, oldest first (clients take `items[0]` as the default channel). `type` filters by channel type.",
        querystring: ListChannelsQuery,
        response: { 200: ChannelListResponse },
      },
    },
    (req) => channels.list(req.principal.workspaceId, req.query),
  );
}

export function channelsAdminRoutes(app: App, { channels }: { channels: ChannelsService }) {
  const tags = ['Admin: channels'];
  const workspaceParams = Type.Object({ workspaceId: Uuid });
  app.post(
    '/admin/v1/workspaces/:workspaceId/channels',
    { schema: { tags, security: ADMIN_SECURITY, summary: 'Create a channel', params: workspaceParams, body: CreateChannelBody, response: { 200: AdminChannel } } },
    (req) => channels.create(req.params.workspaceId, req.body),
  );
  app.get(
    '/admin/v1/workspaces/:workspaceId/channels',
    {
      schema: { tags, security: ADMIN_SECURITY, summary: "List a workspace's channels", params: workspaceParams, querystring: ListChannelsQuery, response: { 200: Paged(AdminChannel) } },
    },
    (req) => channels.listForAdmin(req.params.workspaceId, req.query),
  );
  app.patch(
    '/admin/v1/channels/:id',
    { schema: { tags, security: ADMIN_SECURITY, summary: 'Change a channel', params: IdParams, body: UpdateChannelBody, response: { 200: AdminChannel } } },
    (req) => channels.update(req.params.id, req.body),
  );
}

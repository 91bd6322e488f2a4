import { Type } from 'typebox';
import { IdParams } from '../../http/schemas.js';
import { HATIF_SECURITY, type App } from '../../http/types.js';
import type { TagsService } from './tags.service.js';
import { CreateTagBody, ListTagsQuery, PagedTags, Tag, UpdateTagBody } from './tags.schemas.js';

export function tagsRoutes(app: App, { tags }: { tags: TagsService }) {
  const common = { tags: ['Tags'], security: HATIF_SECURITY };
  app.post(
    '/v1/tags/service-account',
    { schema: { ...common, summary: 'Create Tag', body: CreateTagBody, response: { 200: Tag } } },
    (req) => tags.create(req.principal.workspaceId, req.body),
  );
  app.get(
    '/v1/tags/service-account',
    { schema: { ...common, summary: 'List Tags', querystring: ListTagsQuery, response: { 200: PagedTags } } },
    (req) => tags.list(req.principal.workspaceId, req.query),
  );
  app.put(
    '/v1/tags/service-account/:id',
    { schema: { ...common, summary: 'Update Tag', params: IdParams, body: UpdateTagBody, response: { 200: Tag } } },
    (req) => tags.update(req.principal.workspaceId, req.params.id, req.body),
  );
  app.delete(
    '/v1/tags/service-account/:id',
    { schema: { ...common, summary: 'Delete Tag', params: IdParams, response: { 204: Type.Null() } } },
    async (req, reply) => {
      await tags.delete(req.principal.workspaceId, req.params.id);
      return reply.code(204).send(null);
    },
  );
}

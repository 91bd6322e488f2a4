import { Type } from 'typebox';
import { pageRequest } from '../../http/paging.js';
import { IdParams } from '../../http/schemas.js';
import type { App } from '../../http/types.js';
import type { TagsService } from './tags.service.js';
import { CreateTagBody, ListTagsQuery, PagedTags, Tag, TAG_SORT_FIELDS, UpdateTagBody } from './tags.schemas.js';

export function tagsRoutes(app: App, { tags }: { tags: TagsService }) {
  const config = { auth: 'bearer' } as const;
  const common = { tags: ['Tags'] };
  app.post(
    '/v1/tags/service-account',
    { config: { ...config, errors: [409] }, schema: { ...common, operationId: 'createTag', summary: 'Create Tag', body: CreateTagBody, response: { 200: Tag } } },
    (req) => tags.create(req.principal.workspaceId, req.body),
  );
  app.get(
    '/v1/tags/service-account',
    { config, schema: { ...common, operationId: 'listTags', summary: 'List Tags', querystring: ListTagsQuery, response: { 200: PagedTags } } },
    (req) => tags.list(req.principal.workspaceId, pageRequest(req.query, TAG_SORT_FIELDS, 'Name ASC')),
  );
  app.put(
    '/v1/tags/service-account/:id',
    {
      config: { ...config, errors: [404, 409] },
      schema: { ...common, operationId: 'updateTag', summary: 'Update Tag', params: IdParams, body: UpdateTagBody, response: { 200: Tag } },
    },
    (req) => tags.update(req.principal.workspaceId, req.params.id, req.body),
  );
  app.delete(
    '/v1/tags/service-account/:id',
    {
      config: { ...config, errors: [404, 409] },
      schema: { ...common, operationId: 'deleteTag', summary: 'Delete Tag', params: IdParams, response: { 204: Type.Null({ description: 'Deleted.' }) } },
    },
    async (req, reply) => {
      await tags.delete(req.principal.workspaceId, req.params.id);
      return reply.code(204).send(null);
    },
  );
}

import { Type } from 'typebox';
import { IdParams } from '../../http/schemas.js';
import type { App } from '../../http/types.js';
import { apiActor as actor } from './contacts.service.js';
import type { PropertiesService } from './properties.service.js';
import { CreatePropertyBody, PropertyDefinition, Statistics, StatisticsQuery, UpdatePropertyBody } from './properties.schemas.js';


/** Spec §3.17–§3.21: the typed properties of contacts (registered by contactsRoutes). */
export function propertiesRoutes(app: App, { properties }: { properties: PropertiesService }) {
  const config = { auth: 'bearer' } as const;
  const ptags = ['Contact Properties'];
  const DEFS = '/v1/contact-property-definitions';
  app.get(
    DEFS,
    { config, schema: { tags: ptags, operationId: 'listContactProperties', summary: 'List Contact Properties', response: { 200: Type.Array(PropertyDefinition) } } },
    (req) => properties.list(req.principal.workspaceId),
  );
  app.post(
    DEFS,
    { config: { ...config, errors: [409] }, schema: { tags: ptags, operationId: 'createContactProperty', summary: 'Create Contact Property', body: CreatePropertyBody, response: { 200: PropertyDefinition } } },
    (req) => properties.create(req.principal.workspaceId, req.body, actor(req)),
  );
  app.put(
    `${DEFS}/:id`,
    {
      config: { ...config, errors: [404, 409] },
      schema: { tags: ptags, operationId: 'updateContactProperty', summary: 'Update Contact Property', params: IdParams, body: UpdatePropertyBody, response: { 200: PropertyDefinition } },
    },
    (req) => properties.update(req.principal.workspaceId, req.params.id, req.body, actor(req)),
  );
  app.delete(
    `${DEFS}/:id`,
    {
      config: { ...config, errors: [404] },
      schema: { tags: ptags, operationId: 'deleteContactProperty', summary: 'Delete Contact Property', params: IdParams, response: { 204: Type.Null({ description: 'Deleted, with its values (recorded in each contact\'s history).' }) } },
    },
    async (req, reply) => {
      await properties.delete(req.principal.workspaceId, req.params.id, actor(req));
      return reply.code(204).send(null);
    },
  );
  app.get(
    `${DEFS}/:id/statistics`,
    {
      config: { ...config, errors: [404] },
      schema: { tags: ptags, operationId: 'contactPropertyStatistics', summary: 'Contact Properties Statistics', params: IdParams, querystring: StatisticsQuery, response: { 200: Statistics } },
    },
    (req) => properties.statistics(req.principal.workspaceId, req.params.id, req.query.format ?? 'values'),
  );
}

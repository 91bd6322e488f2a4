import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import { pageRequest, parseSorting } from '../../http/paging.js';
import { IdParams, Uuid } from '../../http/schemas.js';
import type { App } from '../../http/types.js';
import type { ContactsService } from './contacts.service.js';
import { Source, type Actor } from './contacts.service.js';
import type { PropertiesService } from './properties.service.js';
import {
  Contact,
  CONTACT_SORT_FIELDS,
  CreateContactBody,
  CreatePropertyBody,
  HistoryQuery,
  ListContactsQuery,
  PagedContacts,
  PagedHistory,
  PropertyDefinition,
  PropertyParams,
  SearchBody,
  SearchQuery,
  SetPropertyValueBody,
  Statistics,
  StatisticsQuery,
  UpdateContactBody,
  UpdatePropertyBody,
} from './contacts.schemas.js';

const DEFAULT_SORT = 'CreationTime DESC';
const actor = (req: FastifyRequest): Actor => ({ id: req.principal.serviceAccountId, name: req.principal.clientId, source: Source.Api });
const ContactIdParams = Type.Object({ contactId: Uuid });

export function contactsRoutes(app: App, { contacts, properties }: { contacts: ContactsService; properties: PropertiesService }) {
  const config = { auth: 'bearer' } as const;
  const tags = ['Contacts'];

  app.post(
    '/v1/contacts',
    { config: { ...config, errors: [409] }, schema: { tags, operationId: 'createContact', summary: 'Create Contact', body: CreateContactBody, response: { 200: Contact } } },
    (req) => contacts.create(req.principal.workspaceId, req.body, actor(req)),
  );
  app.get(
    '/v1/contacts',
    { config, schema: { tags, operationId: 'listContacts', summary: 'Get Contacts', querystring: ListContactsQuery, response: { 200: PagedContacts } } },
    (req) => contacts.list(req.principal.workspaceId, pageRequest(req.query, CONTACT_SORT_FIELDS, DEFAULT_SORT), req.query),
  );
  app.post(
    '/v1/contacts/search',
    {
      config,
      schema: {
        tags,
        operationId: 'searchContacts',
        summary: 'Search Contacts',
        description:
          'Hatif\'s `customPropertyFilters` (ANDed) with paging in the body or the query (both documented forms), plus Wasl\'s `filterGroups`, `query` and `sorting`. ' +
          'Operators: 1 Equals, 2 NotEquals, 3 Contains, 4 NotContains, 5 StartsWith, 6 GreaterThan, 7 GreaterThanOrEqual, 8 LessThan, 9 LessThanOrEqual, 10 Between, 11 In, 12 NotIn, 13 IsSet, 14 IsNotSet (the name is accepted too). ' +
          'The Not… operators match contacts without a value.',
        querystring: SearchQuery,
        body: Type.Optional(SearchBody),
        response: { 200: PagedContacts },
      },
    },
    (req) => {
      const body = req.body ?? {};
      const page = {
        skip: body.skipCount ?? req.query.SkipCount ?? 0,
        take: body.maxResultCount ?? req.query.MaxResultCount ?? 10,
        sort: parseSorting(body.sorting ?? req.query.Sorting, CONTACT_SORT_FIELDS, DEFAULT_SORT),
      };
      return contacts.search(req.principal.workspaceId, body, page);
    },
  );
  app.get(
    '/v1/contacts/:id',
    { config: { ...config, errors: [404] }, schema: { tags, operationId: 'getContact', summary: 'Get Contact By Id', params: IdParams, response: { 200: Contact } } },
    (req) => contacts.get(req.principal.workspaceId, req.params.id),
  );
  app.put(
    '/v1/contacts/:id',
    {
      config: { ...config, errors: [404, 409] },
      schema: { tags, operationId: 'updateContact', summary: 'Update Contact', params: IdParams, body: UpdateContactBody, response: { 200: Contact } },
    },
    (req) => contacts.update(req.principal.workspaceId, req.params.id, req.body, actor(req)),
  );
  app.delete(
    '/v1/contacts/:id',
    {
      config: { ...config, errors: [404] },
      schema: {
        tags,
        operationId: 'deleteContact',
        summary: 'Delete Contact',
        description: 'Soft delete: gone from every read and search, kept for history and conversations; its phone number is free again.',
        params: IdParams,
        response: { 204: Type.Null({ description: 'Deleted.' }) },
      },
    },
    async (req, reply) => {
      await contacts.delete(req.principal.workspaceId, req.params.id, actor(req));
      return reply.code(204).send(null);
    },
  );
  app.get(
    '/v1/contacts/:contactId/history',
    {
      config: { ...config, errors: [404] },
      schema: { tags, operationId: 'contactHistory', summary: 'Contacts History', params: ContactIdParams, querystring: HistoryQuery, response: { 200: PagedHistory } },
    },
    (req) => contacts.history(req.principal.workspaceId, req.params.contactId, { skip: req.query.SkipCount, take: req.query.MaxResultCount, sort: [] }),
  );
  app.put(
    '/v1/contacts/:contactId/properties/:propertyDefinitionId',
    {
      config: { ...config, errors: [404] },
      schema: { tags, operationId: 'setContactPropertyValue', summary: 'Set Property Value on Contact', params: PropertyParams, body: SetPropertyValueBody, response: { 200: Contact } },
    },
    (req) => contacts.setValue(req.principal.workspaceId, req.params.contactId, req.params.propertyDefinitionId, req.body.value, actor(req)),
  );
  app.delete(
    '/v1/contacts/:contactId/properties/:propertyDefinitionId',
    {
      config: { ...config, errors: [404] },
      schema: { tags, operationId: 'deleteContactPropertyValue', summary: 'Delete Property Value on Contact', params: PropertyParams, response: { 200: Contact } },
    },
    (req) => contacts.setValue(req.principal.workspaceId, req.params.contactId, req.params.propertyDefinitionId, null, actor(req)),
  );

  // Property definitions (spec §3.17–§3.21).
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

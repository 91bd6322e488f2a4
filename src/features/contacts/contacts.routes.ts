import { Readable } from 'node:stream';
import { Type, type Static } from 'typebox';
import type { FastifyRequest } from 'fastify';
import { pageRequest, parseSorting } from '../../http/paging.js';
import { jsonParameter } from '../../http/validation.js';
import { errors } from '../../lib/errors.js';
import { IdParams, Uuid } from '../../http/schemas.js';
import type { App } from '../../http/types.js';
import type { ContactsService } from './contacts.service.js';
import { apiActor as actor, Source } from './contacts.service.js';
import type { PropertiesService } from './properties.service.js';
import { propertiesRoutes } from './properties.routes.js';
import type { ImportService } from './import.service.js';
import type { ContactSearch } from './search.service.js';
import { csvItems, vcardItems, vcardTexts } from './transfer.js';
import {
  Contact,
  CONTACT_SORT_FIELDS,
  CreateContactBody,
  ExportQuery,
  HistoryQuery,
  ImportQuery,
  ImportResult,
  ListContactsQuery,
  PagedContacts,
  PagedHistory,
  PropertyParams,
  SearchBody,
  SearchQuery,
  SetPropertyValueBody,
  UpdateContactBody,
  VCardsBody,
} from './contacts.schemas.js';

const DEFAULT_SORT = 'CreationTime DESC';
const ContactIdParams = Type.Object({ contactId: Uuid });

const VCARD_TYPES = ['text/vcard', 'text/x-vcard', 'text/directory'];
const CSV_TYPES = ['text/csv', 'application/csv'];
type RawBody = { stream: AsyncIterable<Buffer> };
const raw = (description: string) => ({ schema: Type.Unsafe<RawBody>({ description }) });

/** A body of a type the route does not read (415), or none at all (400). */
function noBody(req: FastifyRequest, types: string[]) {
  const type = req.headers['content-type'];
  if (type && !types.some((t) => type.toLowerCase().startsWith(t))) return errors.unsupportedMediaType(type, types);
  return errors.invalidField('body', `The body is missing: send ${types.join(' or ')}.`);
}

/** `?filter=` of the export: the search body as JSON. */
const parseFilter = jsonParameter(SearchBody, 'filter');

export function contactsRoutes(
  app: App,
  {
    contacts,
    contactSearch: search,
    properties,
    imports,
    config: settings,
  }: { contacts: ContactsService; contactSearch: ContactSearch; properties: PropertiesService; imports: ImportService; config: { importMaxBytes: number } },
) {
  const config = { auth: 'bearer' } as const;
  const tags = ['Contacts'];
  const limit = settings.importMaxBytes;

  // Raw vCard and CSV bodies reach the import routes as streams (read as they are imported).
  app.addContentTypeParser([...VCARD_TYPES, ...CSV_TYPES], (req, payload, done) => {
    const max = req.routeOptions.bodyLimit ?? limit;
    if (Number(req.headers['content-length'] ?? 0) > max) return done(errors.tooLarge(max), undefined);
    done(null, { stream: payload });
  });

  app.post(
    '/v1/contacts',
    { config: { ...config, errors: [409] }, schema: { tags, operationId: 'createContact', summary: 'Create Contact', body: CreateContactBody, response: { 200: Contact } } },
    (req) => contacts.create(req.principal.workspaceId, req.body, actor(req)),
  );
  app.get(
    '/v1/contacts',
    { config, schema: { tags, operationId: 'listContacts', summary: 'Get Contacts', querystring: ListContactsQuery, response: { 200: PagedContacts } } },
    (req) => search.list(req.principal.workspaceId, pageRequest(req.query, CONTACT_SORT_FIELDS, DEFAULT_SORT), req.query),
  );
  app.post(
    '/v1/contacts/search',
    {
      config,
      // The second documented form sends paging in the query and no body at all.
      preValidation: async (req) => {
        req.body ??= {};
      },
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
      return search.search(req.principal.workspaceId, body, page);
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

  app.post(
    '/v1/contacts/import/vcards',
    {
      bodyLimit: limit,
      config: { ...config, errors: [413, 415] },
      schema: {
        tags,
        operationId: 'importVCards',
        summary: 'Create Bulk Contacts vCards',
        description:
          'vCard 2.1, 3.0 and 4.0: `{"VCards": [..]}` as documented, one string of many cards, or a raw `text/vcard` body (streamed). ' +
          'A phone that exists fills that contact\'s empty fields (all of them with `overwrite=true`); a card that cannot be read is reported by its index and the rest imported. ' +
          'Imported in batches of 1,000 (one transaction each); importing a file again creates nothing. One `ContactsImported` event.',
        querystring: ImportQuery,
        body: { content: { 'application/json': { schema: VCardsBody }, ...Object.fromEntries(VCARD_TYPES.map((t) => [t, raw('vCard text, any number of cards.')])) } },
        response: { 200: ImportResult },
      },
    },
    (req) => {
      const body = req.body as Static<typeof VCardsBody> | RawBody | undefined;
      if (!body || typeof body !== 'object' || !('stream' in body || 'vCards' in body)) throw noBody(req, ['application/json', ...VCARD_TYPES]);
      const items = 'stream' in body ? vcardItems(body.stream, limit) : vcardTexts(body.vCards);
      return imports.run(req.principal.workspaceId, items, { overwrite: req.query.overwrite ?? false, format: 'vcard' }, { ...actor(req), source: Source.Import });
    },
  );
  app.post(
    '/v1/contacts/import/csv',
    {
      bodyLimit: limit,
      config: { ...config, errors: [413, 415] },
      schema: {
        tags: ['Wasl'],
        operationId: 'importCsv',
        summary: 'Import contacts from CSV',
        description:
          'A header row names the columns: standard fields (name, phoneNumber/phone/mobile/whatsapp, email, company, position, note; Arabic names too), ' +
          'property keys or names (typed values, checked), anything else becomes a custom field. `,` `;` or tab separated, UTF-8 (a BOM is fine). Same answer and rules as vCards.',
        querystring: ImportQuery,
        body: { content: Object.fromEntries(CSV_TYPES.map((t) => [t, raw('CSV text with a header row.')])) },
        response: { 200: ImportResult },
      },
    },
    async (req) => {
      const body = req.body as RawBody | undefined;
      if (!body || typeof body !== 'object' || !('stream' in body)) throw noBody(req, CSV_TYPES);
      const defs = await properties.rows(req.principal.workspaceId);
      return imports.run(req.principal.workspaceId, csvItems(body.stream, limit, defs), { overwrite: req.query.overwrite ?? false, format: 'csv' }, { ...actor(req), source: Source.Import });
    },
  );
  app.get(
    '/v1/contacts/export',
    {
      config,
      schema: {
        tags: ['Wasl'],
        operationId: 'exportContacts',
        summary: 'Export contacts (CSV or vCard)',
        description:
          'Every live contact matching `filter` (the search body as JSON: customPropertyFilters, filterGroups, query), streamed in creation order; memory stays flat at any size. ' +
          'CSV columns: id, name, phoneNumber, email, company, position, creationTime, then one per property (its key).',
        querystring: ExportQuery,
        produces: ['text/csv', 'text/vcard'],
        response: { 200: Type.Unsafe<Readable>({ type: 'string', description: 'CSV (text/csv) or vCard 3.0 (text/vcard).' }) },
      },
    },
    async (req, reply) => {
      const tree = await search.compile(req.principal.workspaceId, parseFilter(req.query.filter) ?? {});
      const format = req.query.format ?? 'csv';
      reply
        .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'text/vcard; charset=utf-8')
        .header('content-disposition', `attachment; filename="contacts.${format}"`);
      return reply.send(Readable.from(search.export(req.principal.workspaceId, tree, format)));
    },
  );

  propertiesRoutes(app, { properties });
}

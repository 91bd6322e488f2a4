import { pageRequest } from '../../http/paging.js';
import type { App } from '../../http/types.js';
import { apiActor } from '../conversations/conversations.service.js';
import { idempotent, IdempotencyHeaders } from '../idempotency/idempotency.http.js';
import type { IdempotencyService } from '../idempotency/idempotency.service.js';
import type { TemplateSends } from './send-template.service.js';
import type { TemplatesService } from './templates.service.js';
import {
  AddTemplateBody,
  Catalogue,
  CatalogueQuery,
  ChannelParams,
  ListTemplatesQuery,
  PagedTemplates,
  SendTemplateBody,
  SendTemplateResult,
  SyncResult,
  Template,
  TEMPLATE_SORT_FIELDS,
} from './templates.schemas.js';

/** The catalogue's operator routes (operator.md): add, list, sync. */
export function templatesAdminRoutes(app: App, { templates }: { templates: TemplatesService }) {
  const tags = ['Admin: channels'];
  app.post(
    '/admin/v1/channels/:id/templates',
    {
      config: { auth: 'admin', errors: [404, 422] },
      schema: {
        operationId: 'adminAddTemplate',
        tags,
        summary: "Add a template to a channel's catalogue",
        description:
          "Meta's template definition (`message_templates` shape). A template of the same name and language is **replaced** (its entry becomes the admin's). " +
          'Sends naming it are checked against it (language, APPROVED, body values, header, buttons). The entry is Wasl\'s only: nothing is submitted to Meta, and a later sync of a Cloud API channel overwrites it with Meta\'s version if Meta has one. ' +
          'A definition Meta would refuse (no BODY, variables not numbered {{1}} … {{n}}, a button without what its type needs …) → 400 naming the member; a channel without WhatsApp → 422.',
        params: ChannelParams,
        body: AddTemplateBody,
        response: { 200: Template },
      },
    },
    (req) => templates.add(req.params.id, req.body),
  );
  app.get(
    '/admin/v1/channels/:id/templates',
    {
      config: { auth: 'admin', errors: [404, 422] },
      schema: {
        operationId: 'adminListTemplates',
        tags,
        summary: "List a channel's template catalogue",
        description: "By name, then language. A sandbox channel's catalogue starts with the sandbox's built-in templates (seeded on first use).",
        params: ChannelParams,
        querystring: ListTemplatesQuery,
        response: { 200: PagedTemplates },
      },
    },
    (req) => templates.list(req.params.id, pageRequest(req.query, TEMPLATE_SORT_FIELDS, 'Name ASC, Language ASC')),
  );
  app.post(
    '/admin/v1/channels/:id/templates/sync',
    {
      config: { auth: 'admin', errors: [404, 422, 502] },
      schema: {
        operationId: 'adminSyncTemplates',
        tags,
        summary: "Sync a channel's template catalogue now",
        description:
          "Cloud API channels: every template of the channel's WhatsApp Business Account (`GET /{businessAccountId}/message_templates`, all pages) replaces the synced entries; entries added by the admin API stay unless Meta has the same name and language. " +
          'From then on the catalogue is synced again every 6 hours, and a send naming a template Meta does not list is refused (422). Sandbox channels: the built-in catalogue is restored. ' +
          'No businessAccountId → 422 `Wasl:Channel:NoBusinessAccount`; Meta refused or could not be reached → 502 `Wasl:Template:SyncFailed` (with Meta\'s code), the catalogue unchanged.',
        params: ChannelParams,
        response: { 200: SyncResult },
      },
    },
    (req) => templates.sync(req.params.id),
  );
}

/** A channel's catalogue for its workspace's senders (a service account, or a person in the inbox). */
export function templateCatalogueRoutes(app: App, { templates }: { templates: TemplatesService }) {
  app.get(
    '/v1/whatsapp/service-account/templates',
    {
      config: { auth: 'bearer', errors: [404, 422] },
      schema: {
        tags: ['Wasl'],
        operationId: 'listChannelTemplates',
        summary: "List a channel's templates",
        description:
          "The templates Send Template can name on the channel, by name then language: each one's status (only APPROVED ones can be sent), its body text with `{{1}}` … `{{n}}`, " +
          'how many body values a send gives, its header (and whether a send must give it), and its buttons (the SubType and Index a Buttons parameter uses, and whether it must be given). ' +
          "A sandbox channel's catalogue starts with the sandbox's built-in templates. A channel of another workspace → 404; a channel without WhatsApp → 422.",
        querystring: CatalogueQuery,
        response: { 200: Catalogue },
      },
    },
    (req) => templates.catalogue(req.principal.workspaceId, req.query.channelId, pageRequest(req.query, TEMPLATE_SORT_FIELDS, 'Name ASC, Language ASC')),
  );
}

/** Send Template (hatif-api.md §3.4). */
export function templateSendRoutes(app: App, { templateSends, idempotency }: { templateSends: TemplateSends; idempotency: IdempotencyService }) {
  app.post(
    '/v1/whatsapp/service-account/sendTemplate',
    {
      config: { auth: 'bearer', errors: [404, 409, 422] },
      schema: {
        tags: ['WhatsApp'],
        operationId: 'sendTemplate',
        summary: 'Send Template',
        description:
          'An approved template, inside or outside the 24-hour window. Body values fill {{1}} … {{n}} in order; a media header may be omitted when the template has an example; ' +
          'each dynamic button is its own Buttons parameter (SubType url: the URL\'s suffix; quick_reply: the payload sent back when tapped) by its Index. ' +
          "A template the channel's catalogue knows must fit it, else 422 naming what is wrong (`Wasl:Template:LanguageUnavailable`, `NotApproved`, `ParametersMismatch`). " +
          'A name the catalogue does not know: on a Cloud API channel that has synced → 422 `Wasl:Template:Unknown`; one that never synced → sent as given (Meta decides); a sandbox channel → sent as an ad-hoc template. ' +
          'Media URLs are fetched and checked before the answer. Answered once the send is queued durably, like Send Text.',
        headers: IdempotencyHeaders,
        body: SendTemplateBody,
        response: { 200: SendTemplateResult },
      },
    },
    async (req, reply) => {
      const workspaceId = req.principal.workspaceId;
      // Checked and media fetched before the key's transaction: a fetch must not hold a transaction (PGlite has one connection).
      const prepared = await templateSends.prepare(workspaceId, req.body);
      // The reply guard rides on the message to the send path's one check.
      const guarded = req.body.lastSeenEventId === undefined ? prepared : { ...prepared, message: { ...prepared.message, lastSeenEventId: req.body.lastSeenEventId } };
      return idempotent(idempotency, req, reply, 'sendTemplate', (trx) => templateSends.send(workspaceId, guarded, apiActor(req), trx));
    },
  );
}

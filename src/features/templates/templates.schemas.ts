import { Type, type Static } from 'typebox';
import { DateTime, Nullable, PagingQuery, Paged, Uuid } from '../../http/schemas.js';
import { LastSeenEventId, SendResult } from '../whatsapp/whatsapp.schemas.js';

const StringEnum = <const T extends readonly string[]>(values: T, description?: string) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...(description && { description }) });

/** Meta's template definition (message_templates): the shape the admin API takes and the catalogue keeps. */
const TemplateButtonDef = Type.Object({
  type: StringEnum(['QUICK_REPLY', 'URL', 'PHONE_NUMBER', 'COPY_CODE'] as const),
  text: Type.Optional(Type.String({ maxLength: 25, description: "The button's label (not on COPY_CODE)." })),
  url: Type.Optional(Type.String({ maxLength: 2000, description: 'URL buttons: the link; `{{1}}` at its end is the dynamic suffix a send gives.' })),
  phone_number: Type.Optional(Type.String({ maxLength: 20, description: 'PHONE_NUMBER buttons: the number called.' })),
  example: Type.Optional(Type.Unknown({ description: "Meta's example values." })),
});

const TemplateComponentDef = Type.Object({
  type: StringEnum(['HEADER', 'BODY', 'FOOTER', 'BUTTONS'] as const),
  format: Type.Optional(StringEnum(['TEXT', 'IMAGE', 'VIDEO', 'DOCUMENT', 'LOCATION'] as const, 'HEADER only.')),
  text: Type.Optional(Type.String({ maxLength: 1024, description: 'HEADER (TEXT, ≤ 60, at most {{1}}), BODY (≤ 1,024, {{1}} … {{n}}), FOOTER (≤ 60, no variables).' })),
  example: Type.Optional(
    Type.Unknown({ description: '`{header_handle: [url]}` (a media header: sent when a send omits the header), `{header_text: […]}`, `{body_text: [[…]]}`.' }),
  ),
  buttons: Type.Optional(Type.Array(TemplateButtonDef, { maxItems: 10, description: 'BUTTONS only; a send names each by its position (Index).' })),
});

const TEMPLATE_STATUSES = ['APPROVED', 'PENDING', 'REJECTED', 'PAUSED', 'DISABLED'] as const;

export const AddTemplateBody = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9_]{1,512}$', description: "Meta's rule: lowercase letters, digits and underscores." }),
    language: Type.String({ pattern: '^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*$', maxLength: 20, description: "Meta's language code: en, en_US, ar …" }),
    category: StringEnum(['MARKETING', 'UTILITY', 'AUTHENTICATION'] as const),
    components: Type.Array(TemplateComponentDef, { minItems: 1, maxItems: 10 }),
    status: Type.Optional(StringEnum(TEMPLATE_STATUSES, 'APPROVED when left out: only approved templates can be sent.')),
  },
  {
    examples: [
      {
        name: 'order_shipped',
        language: 'en',
        category: 'UTILITY',
        components: [
          { type: 'HEADER', format: 'IMAGE', example: { header_handle: ['https://cdn.example.com/parcel.png'] } },
          { type: 'BODY', text: 'Hi {{1}}, your order {{2}} is on its way.', example: { body_text: [['Sara', 'ORD-5123']] } },
          { type: 'BUTTONS', buttons: [{ type: 'URL', text: 'Track order', url: 'https://example.com/orders/{{1}}' }] },
        ],
      },
    ],
  },
);
export type AddTemplateInput = Static<typeof AddTemplateBody>;

export const Template = Type.Object({
  id: Uuid,
  channelId: Uuid,
  name: Type.String(),
  language: Type.String(),
  status: Type.String({ description: "Meta's review status: APPROVED, PENDING, REJECTED, PAUSED, DISABLED." }),
  category: Type.String(),
  components: Type.Array(Type.Unknown(), { description: "Meta's component definitions, as added or synced." }),
  source: StringEnum(['admin', 'sync', 'sandbox'] as const, 'Where the entry came from: the admin API, a sync from the Graph API, the sandbox catalogue.'),
  creationTime: DateTime,
  lastModificationTime: DateTime,
});

/** API sort name → column. */
export const TEMPLATE_SORT_FIELDS = { Name: 'name', Language: 'language', Status: 'status', Category: 'category', CreationTime: 'creation_time', LastModificationTime: 'last_modification_time' };
export const ListTemplatesQuery = Type.Object(PagingQuery(100, Object.keys(TEMPLATE_SORT_FIELDS)));
export const PagedTemplates = Paged(Template);

/** The catalogue as a sender sees it (`GET /v1/whatsapp/service-account/templates`): no operator fields, each part read from Meta's definition. */
const { id: _id, name, language, status, category, lastModificationTime } = Template.properties;
export const CatalogueTemplate = Type.Object({
  id: _id,
  name,
  language,
  status,
  category,
  header: Nullable(
    Type.Object({
      format: Type.String({ description: 'TEXT, IMAGE, VIDEO, DOCUMENT or LOCATION.' }),
      text: Nullable(Type.String({ description: 'A TEXT header: its text, with `{{1}}` when it takes a value.' })),
      hasExample: Type.Boolean({ description: 'A media header with an example: a send may leave the Header out and the example is sent.' }),
      needsValue: Type.Boolean({ description: 'A send must give a Header parameter: a TEXT header with `{{1}}`, or a media header without an example.' }),
    }),
  ),
  body: Type.String({ description: 'The BODY text, with its `{{1}}` … `{{n}}` placeholders.' }),
  bodyVariables: Type.Array(Type.String(), { description: "The body's variables in the order a Body parameter's values fill them (`[\"1\", \"2\"]`)." }),
  bodyValues: Type.Integer({ description: 'How many values a Body parameter must give (0: leave it out).' }),
  footer: Nullable(Type.String()),
  buttons: Type.Array(
    Type.Object({
      index: Type.Integer({ description: "The button's position: a Buttons parameter's Index." }),
      type: Type.String({ description: 'QUICK_REPLY, URL, PHONE_NUMBER or COPY_CODE.' }),
      text: Nullable(Type.String()),
      url: Nullable(Type.String({ description: 'URL buttons: `{{1}}` at its end is the suffix a send gives.' })),
      subType: Nullable(StringEnum(['url', 'quick_reply'] as const, 'The SubType of a Buttons parameter for this button; null: it takes none.')),
      needsValue: Type.Boolean({ description: 'A URL button with a dynamic suffix: a send must give it (a quick reply\'s payload is optional).' }),
    }),
  ),
  sendable: Type.Boolean({ description: "False when Send Template's parameters cannot fill it (a LOCATION header, a COPY_CODE button)." }),
  lastModificationTime,
});
export const CatalogueQuery = Type.Object({
  channelId: Uuid,
  ...PagingQuery(1000, Object.keys(TEMPLATE_SORT_FIELDS)),
});
export const Catalogue = Paged(CatalogueTemplate);

export const SyncResult = Type.Object({
  channelId: Uuid,
  provider: Type.String({ description: 'cloud (the Graph API) or sandbox (the built-in catalogue).' }),
  fetched: Type.Integer({ description: 'Templates the provider listed.' }),
  added: Type.Integer(),
  updated: Type.Integer(),
  removed: Type.Integer({ description: 'Synced entries the provider no longer lists (entries added by the admin API stay).' }),
  syncedAt: DateTime,
  nextSyncAt: Nullable(Type.String({ format: 'date-time', description: 'When the periodic sync runs next (Cloud API channels).' })),
});

export const ChannelParams = Type.Object({ id: Uuid });

// Send Template (hatif-api.md §3.4). Names are folded at the edge (TemplateName = templateName);
// Type, SubType and the value types are read case-insensitively by fill.ts. The example is Hatif's
// own (§3.4), PascalCase at every depth, as integrators send it.
const TemplateValueInput = Type.Object({
  type: Type.String({ minLength: 1, maxLength: 20, description: 'text, image, document or video.' }),
  text: Type.Optional(Type.String({ maxLength: 1024, description: 'A body or header variable, a URL suffix, or a quick-reply payload.' })),
  imageUrl: Type.Optional(Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2000 })),
  documentUrl: Type.Optional(Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2000 })),
  documentFilename: Type.Optional(Type.String({ maxLength: 240, description: 'The name the customer sees for a document.' })),
  videoUrl: Type.Optional(Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2000 })),
});

const TemplateParameterInput = Type.Object({
  type: Type.String({ minLength: 1, maxLength: 20, description: 'Header, Body, Footer or Buttons.' }),
  subType: Type.Optional(Type.String({ maxLength: 20, description: 'Buttons: url or quick_reply.' })),
  index: Type.Optional(
    Type.Unsafe<string | number>({ type: ['string', 'integer'], maxLength: 4, minimum: 0, maximum: 9, description: 'Buttons: the button\'s position, "0", "1", "2" (a number is accepted too).' }),
  ),
  values: Type.Array(TemplateValueInput, { maxItems: 20, default: [] }),
});

export const SendTemplateBody = Type.Object(
  {
    channelId: Uuid,
    templateName: Type.String({ minLength: 1, maxLength: 512 }),
    language: Type.String({ minLength: 1, maxLength: 20, description: 'en, ar, en_US …: one of the languages the template has.' }),
    toNumber: Type.String({ minLength: 1, maxLength: 40, description: 'With country code, with or without + (966501234567).' }),
    parameters: Type.Array(TemplateParameterInput, { maxItems: 20, default: [], description: 'May be empty.' }),
    lastSeenEventId: LastSeenEventId,
  },
  {
    examples: [
      {
        ChannelId: '3a197b6e-e0b9-ce63-4664-a4d3eddae5a0',
        TemplateName: 'invoice_delivery',
        Language: 'ar',
        ToNumber: '966501234567',
        Parameters: [
          { Type: 'Header', Values: [{ Type: 'document', DocumentUrl: 'https://cdn.example.com/invoices/INV-2026-001.pdf', DocumentFilename: 'Invoice-001.pdf' }] },
          { Type: 'Body', Values: [{ Type: 'text', Text: 'Ahmed' }, { Type: 'text', Text: '1,250.00 SAR' }] },
          { Type: 'Buttons', SubType: 'url', Index: '0', Values: [{ Type: 'text', Text: 'INV-2026-001' }] },
          { Type: 'Buttons', SubType: 'quick_reply', Index: '1', Values: [{ Type: 'text', Text: 'payment_received_INV001' }] },
        ],
      },
    ],
  },
);
export type SendTemplateInput = Static<typeof SendTemplateBody>;

export const SendTemplateResult = Type.Object(SendResult.properties, {
  examples: [
    {
      contactId: '3a18a7e6-48bf-e5b8-4935-867e4b6c6c02',
      conversationId: '3a1a4cb7-e7c1-f045-127b-ad2297847528',
      conversationEventId: '3a1e1287-9c7e-84fc-6eac-c530a49732ea',
      messageId: null,
      status: 'accepted',
      message: 'Template message accepted for sending',
    },
  ],
});

import { Type, type TSchema } from 'typebox';
import { ContactType, FilterOperator } from '../../lib/enums.js';
import { DateTime, IntEnum, Nullable, Paged, PagingQuery, Uuid } from '../../http/schemas.js';

/** `T | null` for a union (Nullable takes a single-typed schema). */
const OrNull = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** A property value as a client sends it: text, a number, a boolean, a date string, or a list (MultiSelect). */
export const PropertyValueInput = Type.Union(
  [Type.String({ maxLength: 4000 }), Type.Number(), Type.Boolean(), Type.Array(Type.String({ maxLength: 200 }), { maxItems: 100 })],
  { description: 'Text, number, boolean, ISO-8601 date, or a list of options (MultiSelect).' },
);

export const ContactNote = Type.Object({
  id: Uuid,
  contactId: Uuid,
  text: Type.String(),
  creatorName: Nullable(Type.String()),
  lastModificationTime: Nullable(DateTime),
  lastModifierId: Nullable(Type.String({ format: 'uuid' })),
  creationTime: DateTime,
  creatorId: Nullable(Type.String({ format: 'uuid' })),
});

/** Spec §5.A `customProperties[]`, plus Wasl's `propertyKey`, `booleanValue`, `selectValues` and `value` (the typed value). */
export const ContactPropertyValue = Type.Object({
  propertyDefinitionId: Uuid,
  propertyName: Type.String(),
  propertyKey: Type.String(),
  propertyType: Type.Integer({ description: 'See ContactPropertyDefinition.type.' }),
  textValue: Nullable(Type.String()),
  numberValue: Nullable(Type.Number()),
  dateValue: Nullable(DateTime),
  selectValue: Nullable(Type.String()),
  booleanValue: Nullable(Type.Boolean()),
  selectValues: Nullable(Type.Array(Type.String())),
  value: Type.Unknown({ description: 'The value in its own type: string, number, boolean, ISO date or list of options.' }),
});

/** Spec §5.A, field for field. */
export const Contact = Type.Object(
  {
    id: Uuid,
    workspaceId: Uuid,
    name: Type.String(),
    phoneNumber: Type.String({ description: 'E.164 with +.' }),
    contactType: Type.Integer({ description: '1 = Individual, 2 = Business' }),
    email: Nullable(Type.String()),
    company: Nullable(Type.String()),
    position: Nullable(Type.String()),
    customFields: Type.Record(Type.String(), Type.String()),
    notes: Type.Array(ContactNote),
    customProperties: Type.Array(ContactPropertyValue),
    lastModificationTime: DateTime,
    lastModifierId: Nullable(Type.String({ format: 'uuid' })),
    creationTime: DateTime,
    creatorId: Nullable(Type.String({ format: 'uuid' })),
  },
  {
    $id: 'Contact',
    examples: [
      {
        id: '3a18a7e6-48bf-e5b8-4935-867e4b6c6c02',
        workspaceId: '3a1813e8-790f-26ac-c4b3-3a068eb70b08',
        name: 'سارة العتيبي',
        phoneNumber: '+966500888777',
        contactType: 1,
        email: 'sara@example.com',
        company: 'Acme',
        position: 'Buyer',
        customFields: { Department: 'IT' },
        notes: [],
        customProperties: [],
        lastModificationTime: '2026-03-01T14:47:18.501Z',
        lastModifierId: null,
        creationTime: '2026-03-01T14:47:18.501Z',
        creatorId: null,
      },
    ],
  },
);

const text = (max: number, example: string) => Type.String({ maxLength: max, examples: [example] });
const CustomFields = Type.Record(Type.String({ minLength: 1, maxLength: 100 }), Nullable(Type.String({ maxLength: 4000 })), {
  maxProperties: 100,
  description: 'Free-form text fields (Hatif stores them and does not show them). On update, keys merge; null removes a key.',
});
const Properties = Type.Record(Type.String({ minLength: 1, maxLength: 200 }), OrNull(PropertyValueInput), {
  maxProperties: 100,
  description: 'Wasl: typed property values by property key or definition id; null removes a value.',
});

export const CreateContactBody = Type.Object(
  {
    name: Type.Optional(Nullable(text(200, 'John Doe'))),
    phoneNumber: Type.String({ minLength: 1, maxLength: 40, examples: ['+966500888777'], description: 'E.164, or national in the workspace region.' }),
    email: Type.Optional(Nullable(Type.String({ maxLength: 254, examples: ['john.doe@example.com'] }))),
    company: Type.Optional(Nullable(text(200, 'Acme Corp'))),
    position: Type.Optional(Nullable(text(200, 'Software Engineer'))),
    contactType: Type.Optional(IntEnum(ContactType)),
    customFields: Type.Optional(Nullable(CustomFields)),
    note: Type.Optional(Nullable(Type.String({ maxLength: 10_000, description: 'Appended as a new note.' }))),
    properties: Type.Optional(Nullable(Properties)),
  },
  {
    description: 'Both documented variants (with and without CustomFields). `name` defaults to the phone number.',
    examples: [
      { Name: 'John Doe', PhoneNumber: '5662567890', Email: 'john.doe@example.com', Company: 'Acme Corp', Position: 'Software Engineer', CustomFields: { Department: 'IT' } },
    ],
  },
);

export const UpdateContactBody = Type.Object(
  {
    name: Type.Optional(Nullable(text(200, 'ahmeddd'))),
    phoneNumber: Type.Optional(Nullable(Type.String({ maxLength: 40 }))),
    email: Type.Optional(Nullable(Type.String({ maxLength: 254 }))),
    company: Type.Optional(Nullable(text(200, 'Acme'))),
    position: Type.Optional(Nullable(text(200, 'ss'))),
    contactType: Type.Optional(IntEnum(ContactType)),
    customFields: Type.Optional(Nullable(CustomFields)),
    note: Type.Optional(Nullable(Type.String({ maxLength: 10_000 }))),
    properties: Type.Optional(Nullable(Properties)),
    clearFields: Type.Optional(
      Type.Array(Type.Union([Type.Literal('email'), Type.Literal('company'), Type.Literal('position')]), {
        maxItems: 3,
        description: 'Wasl: fields to empty. (An empty or null field is left as it is, as Hatif does.)',
      }),
    ),
  },
  {
    description: 'Partial: only non-empty fields change (null and "" leave a field as it is, as Hatif does); `clearFields` empties fields.',
    examples: [{ Position: 'ss', name: 'ahmeddd', phoneNumber: '+966556779528' }],
  },
);

export const CONTACT_SORT_FIELDS = {
  CreationTime: 'creation_time',
  LastModificationTime: 'last_modification_time',
  Name: 'search_name',
  PhoneNumber: 'phone_number',
  Email: 'email',
  Company: 'company',
  Position: 'position',
} as const;

export const ListContactsQuery = Type.Object({
  ...PagingQuery(10, Object.keys(CONTACT_SORT_FIELDS)),
  phoneNumber: Type.Optional(Type.String({ maxLength: 40, description: 'Partial: digits, with or without +.' })),
  name: Type.Optional(Type.String({ maxLength: 200, description: 'Partial, case-insensitive (Arabic letter forms folded).' })),
  email: Type.Optional(Type.String({ maxLength: 254, description: 'Partial, case-insensitive.' })),
});

export const PagedContacts = Type.Object({
  totalCount: Type.Integer({
    description:
      'Exact up to SEARCH_EXACT_COUNT_UP_TO matches (10,000 by default); above that the planner\'s estimate (`totalCountExact: false`), ' +
      'never less than the contacts already paged plus one while pages come full, so paging until a short page reads every contact.',
  }),
  totalCountExact: Type.Boolean(),
  items: Type.Array(Contact),
});

// Property values.
export const PropertyParams = Type.Object({ contactId: Uuid, propertyDefinitionId: Uuid });
export const SetPropertyValueBody = Type.Object(
  { value: OrNull(PropertyValueInput) },
  { examples: [{ value: 'Lead' }], description: 'Replaces the value; null removes it.' },
);

// Search.
const STANDARD_FIELDS = ['name', 'phoneNumber', 'email', 'company', 'position', 'creationTime', 'lastModificationTime'] as const;
export type StandardField = (typeof STANDARD_FIELDS)[number];

const FilterValue = Type.Optional(
  OrNull(
    Type.Union([Type.String({ maxLength: 1000 }), Type.Number(), Type.Boolean(), Type.Array(Type.Union([Type.String({ maxLength: 1000 }), Type.Number()]), { maxItems: 1000 })], {
      description: 'One value; a list for In/NotIn/Contains on MultiSelect; [from, to] for Between; none for IsSet/IsNotSet.',
    }),
  ),
);

export const CustomPropertyFilter = Type.Object({
  propertyDefinitionId: Uuid,
  operator: IntEnum(FilterOperator),
  value: FilterValue,
});

export const SearchFilter = Type.Object(
  {
    field: Type.Optional(Type.Union(STANDARD_FIELDS.map((f) => Type.Literal(f)), { description: 'A standard field (or give a property).' })),
    propertyDefinitionId: Type.Optional(Uuid),
    propertyKey: Type.Optional(Type.String({ maxLength: 200 })),
    operator: IntEnum(FilterOperator),
    value: FilterValue,
  },
  { description: 'Exactly one of field, propertyDefinitionId, propertyKey.' },
);

const MAX_GROUPS = 5;
const MAX_FILTERS_PER_GROUP = 10;

export const SearchBody = Type.Object(
  {
    skipCount: Type.Optional(Type.Integer({ minimum: 0, maximum: 2_147_483_647 })),
    maxResultCount: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    sorting: Type.Optional(Type.String({ maxLength: 200 })),
    customPropertyFilters: Type.Optional(Nullable(Type.Array(CustomPropertyFilter, { maxItems: MAX_FILTERS_PER_GROUP }))),
    filterGroups: Type.Optional(
      Nullable(
        Type.Array(Type.Object({ filters: Type.Array(SearchFilter, { minItems: 1, maxItems: MAX_FILTERS_PER_GROUP }) }), {
          maxItems: MAX_GROUPS,
          description: `Wasl: OR of AND-groups (at most ${MAX_GROUPS} groups of ${MAX_FILTERS_PER_GROUP} filters), ANDed with customPropertyFilters and query.`,
        }),
      ),
    ),
    query: Type.Optional(Nullable(Type.String({ maxLength: 200, description: 'Wasl: free text in name, phone or email.' }))),
  },
  {
    examples: [{ skipCount: 0, maxResultCount: 10, customPropertyFilters: [{ propertyDefinitionId: '3a1d7c79-903d-73b4-c400-1fe5df9828e5', operator: 1, value: 'Lead' }] }],
  },
);
export const SearchQuery = Type.Object({
  SkipCount: Type.Optional(Type.Integer({ minimum: 0, maximum: 2_147_483_647 })),
  MaxResultCount: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  Sorting: Type.Optional(Type.String({ maxLength: 200 })),
});

// History.
export const HistoryItem = Type.Object({
  id: Uuid,
  propertyName: Type.String(),
  oldValue: Nullable(Type.String()),
  newValue: Nullable(Type.String()),
  creationTime: DateTime,
  creatorId: Nullable(Type.String({ format: 'uuid' })),
  source: Type.String({ description: 'Api, Import or System' }),
});
export const HistoryQuery = Type.Object(PagingQuery(10));
export const PagedHistory = Paged(HistoryItem);

// Import.
export const ImportResult = Type.Object({
  created: Type.Integer(),
  updated: Type.Integer(),
  skipped: Type.Integer(),
  errors: Type.Array(Type.Object({ index: Type.Integer(), name: Nullable(Type.String()), reason: Type.String() })),
  contactIds: Type.Array(Uuid),
});
export const ExportQuery = Type.Object({
  format: Type.Optional(Type.Union([Type.Literal('csv'), Type.Literal('vcf')], { default: 'csv' })),
  filter: Type.Optional(Type.String({ maxLength: 20_000, description: 'The search body as JSON (customPropertyFilters, filterGroups, query).' })),
});
export const ImportQuery = Type.Object({ overwrite: Type.Optional(Type.Boolean({ default: false, description: 'Replace fields that already have a value.' })) });
export const VCardsBody = Type.Object(
  {
    vCards: Type.Union([Type.Array(Type.String({ maxLength: 1_000_000 }), { maxItems: 200_000 }), Type.String()], {
      description: 'One vCard per element, or one string holding many cards.',
    }),
  },
  { examples: [{ VCards: ['BEGIN:VCARD\nVERSION:3.0\nFN:Name\nTEL;type=CELL;waid=966545614020:+966 54 561 4020\nEND:VCARD'] }] },
);

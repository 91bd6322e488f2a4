import { Type } from 'typebox';
import { PropertyType } from '../../lib/enums.js';
import { DateTime, IntEnum, Nullable, Uuid } from '../../http/schemas.js';

// Property definitions (spec §3.17–§3.21).
const SelectOption = Type.Object({ value: Type.String({ minLength: 1, maxLength: 200 }), color: Nullable(Type.String({ maxLength: 32 })) });
const SelectOptionInput = Type.Union([
  Type.Object({ value: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' }), color: Type.Optional(Nullable(Type.String({ maxLength: 32 }))) }),
  Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' }),
]);

export const PropertyDefinition = Type.Object(
  {
    id: Uuid,
    workspaceId: Uuid,
    name: Type.String(),
    key: Type.String({ description: 'Derived from the name; unique in the workspace.' }),
    type: IntEnum(PropertyType),
    isRequired: Type.Boolean({ description: 'Shown to people as required; the API does not refuse contacts without it.' }),
    selectOptions: Type.Array(SelectOption),
    lastModificationTime: Nullable(DateTime),
    lastModifierId: Nullable(Type.String({ format: 'uuid' })),
    creationTime: DateTime,
    creatorId: Nullable(Type.String({ format: 'uuid' })),
  },
  { $id: 'ContactPropertyDefinition' },
);

const propertyName = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S', examples: ['Status3'] });
const selectOptions = Type.Array(SelectOptionInput, { maxItems: 200, description: 'For Select and MultiSelect: `{value, color}` or plain strings.' });

export const CreatePropertyBody = Type.Object(
  { name: propertyName, type: IntEnum(PropertyType), isRequired: Type.Optional(Type.Boolean()), selectOptions: Type.Optional(Nullable(selectOptions)) },
  { description: '`type` takes the integer or the name ("Select"), as Hatif documents.', examples: [{ name: 'Status3', type: 3, isRequired: false, selectOptions: [{ value: 'Lead', color: '#FF5733' }, { value: 'VIP', color: null }] }] },
);
export const UpdatePropertyBody = Type.Object(
  {
    name: Type.Optional(Nullable(propertyName)),
    type: Type.Optional(IntEnum(PropertyType)),
    isRequired: Type.Optional(Nullable(Type.Boolean())),
    selectOptions: Type.Optional(Nullable(selectOptions)),
  },
  { examples: [{ name: 'Status3', isRequired: true, selectOptions: [{ value: 'Lead', color: '#FF5733' }, { value: 'Customer', color: '#33FF57' }] }] },
);

export const StatisticsQuery = Type.Object({
  format: Type.Optional(Type.Union([Type.Literal('values'), Type.Literal('detailed')], { default: 'values' })),
});
export const DetailedStatistics = Type.Object({
  propertyDefinitionId: Uuid,
  type: Type.Integer(),
  totalContacts: Type.Integer(),
  setCount: Type.Integer(),
  unsetCount: Type.Integer(),
  values: Type.Array(Type.Object({ value: Type.String(), count: Type.Integer(), percentage: Type.Number() })),
  min: Type.Union([Type.Number(), Type.String(), Type.Null()], { description: 'Numbers and dates only.' }),
  max: Type.Union([Type.Number(), Type.String(), Type.Null()]),
  avg: Type.Union([Type.Number(), Type.String(), Type.Null()]),
});
export const Statistics = Type.Union([Type.Array(Type.String()), DetailedStatistics], {
  description: 'By default the values in use, most frequent first (the documented array of strings); `?format=detailed` gives counts.',
});


import { Type, type Static, type TSchema } from 'typebox';
import type { EnumTable } from '../lib/enums.js';

/** Shapes shared by every feature: ids, times, enums, paging and the error envelope. */
export const Uuid = Type.String({ format: 'uuid', examples: ['3a1a4cb7-e7c1-f045-127b-ad2297847528'] });

/** Handlers hand back Date objects; serialisation writes ISO-8601 UTC with milliseconds and `Z`. */
export const DateTime = Type.Unsafe<Date>({ type: 'string', format: 'date-time', examples: ['2026-02-19T01:52:46.000Z'] });

/**
 * An integer enum whose input may also be its name (case-insensitive): the request normaliser
 * turns names into integers before validation, reading `x-enumNames`.
 */
export function IntEnum(table: EnumTable, options: { description?: string; default?: number } = {}) {
  const values = Object.keys(table).map(Number);
  return Type.Unsafe<number>({
    type: 'integer',
    enum: values,
    'x-enumNames': values.map((v) => table[v]),
    description:
      (options.description ? `${options.description} ` : '') +
      values.map((v) => `${v} = ${table[v]}`).join(', ') +
      ' (the name is accepted too)',
    ...(options.default === undefined ? {} : { default: options.default }),
  });
}

/**
 * `T | null` as `type: [T, "null"]` rather than anyOf, so a wrong type yields one clear
 * validation message instead of one per branch.
 */
export function Nullable<T extends TSchema>(schema: T) {
  const { type, ...rest } = schema as unknown as { type: string };
  return Type.Unsafe<Static<T> | null>({ ...rest, type: [type, 'null'] });
}

export const MAX_PAGE_SIZE = 1000;
/** Hatif's SkipCount is a 32-bit int (ASP.NET refuses more); beyond it a client is not paging. */
export const MAX_SKIP = 2_147_483_647;

/** ABP paging; query names are matched case-insensitively by the request normaliser. */
export function PagingQuery(defaultPageSize = 10, sortFields?: readonly string[]) {
  return {
    SkipCount: Type.Integer({ minimum: 0, maximum: MAX_SKIP, default: 0, description: `Items to skip, at most ${MAX_SKIP}.` }),
    MaxResultCount: Type.Integer({
      minimum: 1,
      maximum: MAX_PAGE_SIZE,
      default: defaultPageSize,
      description: `Page size, at most ${MAX_PAGE_SIZE}.`,
    }),
    Sorting: Type.Optional(
      Type.String({
        maxLength: 200,
        description: sortFields
          ? `\`<Field> ASC|DESC\`, several separated by commas; fields: ${sortFields.join(', ')} (case-insensitive).`
          : '`<Field> ASC|DESC`',
        examples: sortFields ? [`${sortFields[0]} ASC`] : undefined,
      }),
    ),
  };
}

export const Paged = <T extends TSchema>(item: T) =>
  Type.Object({ totalCount: Type.Integer(), items: Type.Array(item) });

export const IdParams = Type.Object({ id: Uuid });

export const ErrorEnvelope = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      details: Nullable(Type.String()),
      data: Type.Record(Type.String(), Type.Unknown()),
      validationErrors: Nullable(
        Type.Array(Type.Object({ message: Type.String(), members: Type.Array(Type.String()) })),
      ),
    }),
    message: Type.String({ description: 'The same text as error.message, for clients that read a top-level string.' }),
  },
  { $id: 'ErrorEnvelope', description: 'ABP error envelope, as Hatif clients read it.' },
);

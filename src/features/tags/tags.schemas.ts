import { Type } from 'typebox';
import { DateTime, Nullable, Paged, PagingQuery, Uuid } from '../../http/schemas.js';

/** TagDto (spec §5.C) plus `description`, which Hatif stores but does not echo. */
export const Tag = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    icon: Nullable(Type.String()),
    description: Nullable(Type.String()),
    isPinned: Type.Boolean(),
    creationTime: DateTime,
  },
  {
    $id: 'Tag',
    examples: [
      { id: '38a5a5bb-dc30-49a2-b175-1de0d1488c43', name: 'VIP', icon: 'star', description: 'VIP customers', isPinned: true, creationTime: '2026-02-19T01:52:46.000Z' },
    ],
  },
);

const name = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S', examples: ['VIP'] });
const icon = Nullable(Type.String({ maxLength: 64, examples: ['star'] }));
const description = Nullable(Type.String({ maxLength: 500, examples: ['VIP customers'] }));

export const CreateTagBody = Type.Object(
  {
    name,
    icon: Type.Optional(icon),
    description: Type.Optional(description),
    isPinned: Type.Optional(Type.Boolean({ default: false, description: 'Pinned on the sidebar.' })),
  },
  { examples: [{ Name: 'VIP', Icon: 'star', Description: 'VIP customers', IsPinned: true }] },
);

export const UpdateTagBody = Type.Object(
  {
    name: Type.Optional(Nullable(name)),
    icon: Type.Optional(icon),
    description: Type.Optional(description),
    isPinned: Type.Optional(Nullable(Type.Boolean())),
  },
  {
    description: 'Only the fields given are changed; null means "leave as is". Send "" to clear icon or description.',
    examples: [{ Name: 'VIP Updated', Icon: 'crown', Description: 'Updated VIP tag', IsPinned: false }],
  },
);

export const TAG_SORT_FIELDS = { Name: 'name', CreationTime: 'creation_time', IsPinned: 'is_pinned' } as const;

export const ListTagsQuery = Type.Object(PagingQuery(10, Object.keys(TAG_SORT_FIELDS)));
export const PagedTags = Paged(Tag);

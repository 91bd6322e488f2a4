import type { Static } from 'typebox';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import { errors } from '../../lib/errors.js';
import type { PageRequest } from '../../lib/paging.js';
import type { TagRow } from '../../db/types.js';
import type { TagsRepo } from './tags.repo.js';
import type { CreateTagBody, UpdateTagBody } from './tags.schemas.js';

export const toTag = (row: TagRow) => ({
  id: row.id,
  name: row.name,
  icon: row.icon,
  description: row.description,
  isPinned: row.is_pinned,
  creationTime: row.creation_time,
});

/** "" clears an optional text; otherwise it is trimmed. */
const optionalText = (value: string) => (value.trim() === '' ? null : value.trim());

export function createTagsService({ repo, clock }: { repo: TagsRepo; clock: Clock }) {
  return {
    async create(workspaceId: string, input: Static<typeof CreateTagBody>) {
      const now = clock.now();
      const row = await repo.insert({
        id: newId(),
        workspace_id: workspaceId,
        name: input.name.trim(),
        icon: input.icon == null ? null : optionalText(input.icon),
        description: input.description == null ? null : optionalText(input.description),
        is_pinned: input.isPinned ?? false,
        creation_time: now,
        last_modification_time: now,
      });
      return toTag(row);
    },

    /** Partial: absent or null fields are left as they are (Hatif's UpdateTagDto). */
    async update(workspaceId: string, id: string, input: Static<typeof UpdateTagBody>) {
      const row = await repo.update(workspaceId, id, {
        last_modification_time: clock.now(),
        ...(input.name != null && { name: input.name.trim() }),
        ...(input.icon != null && { icon: optionalText(input.icon) }),
        ...(input.description != null && { description: optionalText(input.description) }),
        ...(input.isPinned != null && { is_pinned: input.isPinned }),
      });
      if (!row) throw errors.notFound('Tag', id);
      return toTag(row);
    },

    async delete(workspaceId: string, id: string) {
      if (!(await repo.delete(workspaceId, id))) throw errors.notFound('Tag', id);
    },

    async list(workspaceId: string, request: PageRequest) {
      const page = await repo.list(workspaceId, request);
      return { totalCount: page.totalCount, items: page.items.map(toTag) };
    },
  };
}
export type TagsService = ReturnType<typeof createTagsService>;

import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import { isSupportedCountry } from '../../lib/phone.js';
import { errors } from '../../http/errors.js';
import { parseSorting } from '../../http/paging.js';
import type { WorkspaceRow } from '../../db/types.js';
import type { WorkspacesRepo } from './workspaces.repo.js';
import { WORKSPACE_SORT_FIELDS } from './workspaces.schemas.js';

const toWorkspace = (row: WorkspaceRow) => ({
  id: row.id,
  name: row.name,
  defaultRegion: row.default_region,
  creationTime: row.creation_time,
});

export function createWorkspacesService({ repo, clock }: { repo: WorkspacesRepo; clock: Clock }) {
  return {
    async create(input: { name: string; defaultRegion?: string }) {
      const region = (input.defaultRegion ?? 'SA').toUpperCase();
      if (!isSupportedCountry(region)) throw errors.invalidField('defaultRegion', `defaultRegion ${region} is not a known region.`);
      const row = await repo.insert({ id: newId(), name: input.name.trim(), default_region: region, creation_time: clock.now() });
      return toWorkspace(row);
    },

    async list(query: { SkipCount: number; MaxResultCount: number; Sorting?: string }) {
      const sort = parseSorting(query.Sorting, WORKSPACE_SORT_FIELDS, 'CreationTime ASC');
      const page = await repo.list({ skip: query.SkipCount, take: query.MaxResultCount, sort });
      return { totalCount: page.totalCount, items: page.items.map(toWorkspace) };
    },

    exists: (id: string) => repo.exists(id),

    async get(id: string) {
      const row = await repo.findById(id);
      if (!row) throw errors.notFound('Workspace', id);
      return toWorkspace(row);
    },
  };
}
export type WorkspacesService = ReturnType<typeof createWorkspacesService>;

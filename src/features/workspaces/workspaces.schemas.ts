import { Type } from 'typebox';
import { DateTime, Paged, PagingQuery, Uuid } from '../../http/schemas.js';

export const Workspace = Type.Object(
  { id: Uuid, name: Type.String(), defaultRegion: Type.String(), creationTime: DateTime },
  { $id: 'Workspace' },
);

export const CreateWorkspaceBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S', examples: ['Acme Trading'] }),
  defaultRegion: Type.Optional(
    Type.String({ pattern: '^[A-Za-z]{2}$', description: 'ISO 3166 region for national phone numbers; default SA.', examples: ['SA'] }),
  ),
});

export const WORKSPACE_SORT_FIELDS = { Name: 'name', CreationTime: 'creation_time' } as const;

export const ListWorkspacesQuery = Type.Object(PagingQuery(10, Object.keys(WORKSPACE_SORT_FIELDS)));
export const PagedWorkspaces = Paged(Workspace);

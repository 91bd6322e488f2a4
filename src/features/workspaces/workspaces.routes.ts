import { pageRequest } from '../../http/paging.js';
import { IdParams } from '../../http/schemas.js';
import type { App } from '../../http/types.js';
import type { WorkspacesService } from './workspaces.service.js';
import { CreateWorkspaceBody, ListWorkspacesQuery, PagedWorkspaces, UpdateWorkspaceBody, WORKSPACE_SORT_FIELDS, Workspace } from './workspaces.schemas.js';

export function workspacesAdminRoutes(app: App, { workspaces }: { workspaces: WorkspacesService }) {
  const tags = ['Admin: workspaces'];
  app.post(
    '/admin/v1/workspaces',
    {
      config: { auth: 'admin' },
      schema: { operationId: 'adminCreateWorkspace', tags, summary: 'Create a workspace', body: CreateWorkspaceBody, response: { 200: Workspace } },
    },
    (req) => workspaces.create(req.body),
  );
  app.get(
    '/admin/v1/workspaces',
    {
      config: { auth: 'admin' },
      schema: { operationId: 'adminListWorkspaces', tags, summary: 'List workspaces', querystring: ListWorkspacesQuery, response: { 200: PagedWorkspaces } },
    },
    (req) => workspaces.list(pageRequest(req.query, WORKSPACE_SORT_FIELDS, 'CreationTime ASC')),
  );
  app.patch(
    '/admin/v1/workspaces/:id',
    {
      config: { auth: 'admin', errors: [404] },
      schema: {
        operationId: 'adminUpdateWorkspace',
        tags,
        summary: "Change a workspace: its name, its events webhook URL and that URL's signing secret",
        description: 'The secret is stored encrypted and shown back only as `hasWebhookSecret`.',
        params: IdParams,
        body: UpdateWorkspaceBody,
        response: { 200: Workspace },
      },
    },
    (req) => workspaces.update(req.params.id, req.body),
  );
}

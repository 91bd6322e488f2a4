import { ADMIN_SECURITY, type App } from '../../http/types.js';
import type { WorkspacesService } from './workspaces.service.js';
import { IdParams } from '../../http/schemas.js';
import { CreateWorkspaceBody, ListWorkspacesQuery, PagedWorkspaces, UpdateWorkspaceBody, Workspace } from './workspaces.schemas.js';

export function workspacesAdminRoutes(app: App, { workspaces }: { workspaces: WorkspacesService }) {
  const tags = ['Admin: workspaces'];
  app.post(
    '/admin/v1/workspaces',
    { schema: { tags, security: ADMIN_SECURITY, summary: 'Create a workspace', body: CreateWorkspaceBody, response: { 200: Workspace } } },
    (req) => workspaces.create(req.body),
  );
  app.get(
    '/admin/v1/workspaces',
    { schema: { tags, security: ADMIN_SECURITY, summary: 'List workspaces', querystring: ListWorkspacesQuery, response: { 200: PagedWorkspaces } } },
    (req) => workspaces.list(req.query),
  );
  app.patch(
    '/admin/v1/workspaces/:id',
    {
      schema: {
        tags,
        security: ADMIN_SECURITY,
        summary: "Change a workspace: its name, its events webhook URL and that URL's signing secret",
        params: IdParams,
        body: UpdateWorkspaceBody,
        response: { 200: Workspace },
      },
    },
    (req) => workspaces.update(req.params.id, req.body),
  );
}

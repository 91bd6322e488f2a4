import { ADMIN_SECURITY, type App } from '../../http/types.js';
import type { WorkspacesService } from './workspaces.service.js';
import { CreateWorkspaceBody, ListWorkspacesQuery, PagedWorkspaces, Workspace } from './workspaces.schemas.js';

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
}

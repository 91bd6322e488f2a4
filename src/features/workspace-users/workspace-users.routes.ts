import { Type } from 'typebox';
import { Uuid } from '../../http/schemas.js';
import type { App } from '../../http/types.js';
import type { WorkspaceUsersService } from './workspace-users.service.js';
import { AddUserBody, WorkspaceUser, WorkspaceUsers } from './workspace-users.schemas.js';

export function workspaceUsersRoutes(app: App, { users }: { users: WorkspaceUsersService }) {
  app.get(
    '/v1/workspaces/users',
    {
      config: { auth: 'bearer' },
      schema: {
        tags: ['Workspace'],
        operationId: 'getWorkspaceUsers',
        summary: 'Get Workspace Users',
        description: "The workspace's people and AI agents, as a bare array. Assign conversations with `userId`.",
        response: { 200: WorkspaceUsers },
      },
    },
    (req) => users.list(req.principal.workspaceId),
  );
}

export function workspaceUsersAdminRoutes(app: App, { users }: { users: WorkspaceUsersService }) {
  app.post(
    '/admin/v1/workspaces/:workspaceId/users',
    {
      config: { auth: 'admin', errors: [404, 409] },
      schema: {
        tags: ['Admin: users'],
        operationId: 'adminAddWorkspaceUser',
        summary: 'Add a user or an AI agent to a workspace',
        params: Type.Object({ workspaceId: Uuid }),
        body: AddUserBody,
        response: { 200: WorkspaceUser },
      },
    },
    (req) => users.add(req.params.workspaceId, req.body),
  );
}

import { Type } from 'typebox';
import { IdParams, Uuid } from '../../http/schemas.js';
import type { App } from '../../http/types.js';
import type { ServiceAccountsService } from './service-accounts.service.js';

const CreatedServiceAccount = Type.Object({
  id: Uuid,
  name: Type.String(),
  clientId: Type.String(),
  clientSecret: Type.String({ description: 'Shown only here; stored hashed.' }),
  scopes: Type.Array(Type.String()),
});

export function serviceAccountsAdminRoutes(app: App, { serviceAccounts }: { serviceAccounts: ServiceAccountsService }) {
  const tags = ['Admin: service accounts'];
  app.post(
    '/admin/v1/workspaces/:workspaceId/service-accounts',
    {
      config: { auth: 'admin', errors: [404] },
      schema: {
        operationId: 'adminCreateServiceAccount',
        tags,
        summary: 'Create a service account (its secret is shown once)',
        params: Type.Object({ workspaceId: Uuid }),
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S', examples: ['CRM integration'] }) }),
        response: { 200: CreatedServiceAccount },
      },
    },
    (req) => serviceAccounts.create(req.params.workspaceId, { name: req.body.name.trim() }),
  );
  app.post(
    '/admin/v1/service-accounts/:id/rotate-secret',
    {
      config: { auth: 'admin', errors: [404] },
      schema: {
        operationId: 'adminRotateServiceAccountSecret',
        tags,
        summary: 'Issue a new client secret; tokens of the old one stop working',
        params: IdParams,
        response: { 200: Type.Object({ clientSecret: Type.String() }) },
      },
    },
    (req) => serviceAccounts.rotateSecret(req.params.id),
  );
  app.post(
    '/admin/v1/service-accounts/:id/disable',
    {
      config: { auth: 'admin', errors: [404] },
      schema: {
        operationId: 'adminDisableServiceAccount',
        tags,
        summary: 'Disable a service account; its tokens stop working',
        params: IdParams,
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      await serviceAccounts.disable(req.params.id);
      return reply.code(204).send(null);
    },
  );
}

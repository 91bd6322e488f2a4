import { Type } from 'typebox';
import { DateTime, Nullable, Paged, PagingQuery, Uuid } from '../../http/schemas.js';

export const Workspace = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    defaultRegion: Type.String(),
    creationTime: DateTime,
    eventsWebhookUrl: Nullable(Type.String({ description: 'Receives every event as {eventType, data}.' })),
    hasWebhookSecret: Type.Boolean({ description: 'Whether events to eventsWebhookUrl are signed.' }),
  },
  { $id: 'Workspace' },
);

export const UpdateWorkspaceBody = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' })),
  eventsWebhookUrl: Type.Optional(Nullable(Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2000, examples: ['https://crm.example.com/hooks/wasl'] }))),
  webhookSecret: Type.Optional(
    Nullable(Type.String({ minLength: 16, maxLength: 200, description: 'HMAC key; the previous one keeps signing for 24 h after a change.' })),
  ),
});

export const CreateWorkspaceBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S', examples: ['Acme Trading'] }),
  defaultRegion: Type.Optional(
    Type.String({ pattern: '^[A-Za-z]{2}$', description: 'ISO 3166 region for national phone numbers; default SA.', examples: ['SA'] }),
  ),
});

export const WORKSPACE_SORT_FIELDS = { Name: 'name', CreationTime: 'creation_time' } as const;

export const ListWorkspacesQuery = Type.Object(PagingQuery(10, Object.keys(WORKSPACE_SORT_FIELDS)));
export const PagedWorkspaces = Paged(Workspace);

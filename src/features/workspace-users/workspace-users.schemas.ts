import { Type } from 'typebox';
import { UserRole } from '../../http/enums.js';
import { DateTime, IntEnum, Nullable, Uuid } from '../../http/schemas.js';

/** Hatif's workspace-user object (spec §3.24): people and AI agents alike. */
export const WorkspaceUser = Type.Object(
  {
    id: Uuid,
    workspaceId: Uuid,
    userId: Type.String({ format: 'uuid', description: 'Identity user id; the AI agent id when isAiAgent. Use it to assign.' }),
    email: Nullable(Type.String()),
    name: Nullable(Type.String()),
    logoUrl: Nullable(Type.String()),
    role: Type.Integer({ description: '1 = Owner, 2 = Member' }),
    creationTime: DateTime,
    isAiAgent: Type.Boolean(),
    phoneNumber: Nullable(Type.String()),
  },
  { $id: 'WorkspaceUser' },
);

export const WorkspaceUsers = Type.Array(WorkspaceUser);

export const AddUserBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S', examples: ['Sara Ahmed'] }),
  email: Type.Optional(Type.String({ format: 'email', maxLength: 320, examples: ['sara@example.com'] })),
  role: Type.Optional(IntEnum(UserRole, { default: 2 })),
  isAiAgent: Type.Optional(Type.Boolean({ default: false })),
  phoneNumber: Type.Optional(Type.String({ maxLength: 32, examples: ['+966500111222'] })),
  logoUrl: Type.Optional(Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2000 })),
});

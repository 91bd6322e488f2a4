import { Type } from 'typebox';
import { UserRole } from '../../lib/enums.js';
import { DateTime, IntEnum, Nullable, Uuid } from '../../http/schemas.js';

/** Hatif's workspace-user object (spec §3.24): people and AI agents alike. */
export const WorkspaceUser = Type.Object(
  {
    id: Uuid,
    workspaceId: Uuid,
    userId: Type.String({ format: 'uuid', description: 'Equal to `id` (decisions.md): either one names this user wherever a user id is taken.' }),
    email: Nullable(Type.String()),
    name: Nullable(Type.String()),
    logoUrl: Nullable(Type.String()),
    role: IntEnum(UserRole),
    creationTime: DateTime,
    isAiAgent: Type.Boolean(),
    phoneNumber: Nullable(Type.String()),
  },
  {
    $id: 'WorkspaceUser',
    examples: [
      {
        id: '497f6eca-6276-4993-bfeb-53cbbbba6f08',
        workspaceId: 'ef0efa32-1c3b-4a3e-9f3e-6a2b7c9d0e11',
        userId: '497f6eca-6276-4993-bfeb-53cbbbba6f08',
        email: 'sara@example.com',
        name: 'Sara Ahmed',
        logoUrl: null,
        role: 1,
        creationTime: '2026-02-19T01:52:46.000Z',
        isAiAgent: false,
        phoneNumber: '+966500111222',
      },
    ],
  },
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

import { Type } from 'typebox';
import { UserRole } from '../../lib/enums.js';
import { DateTime, IntEnum, Nullable, Uuid } from '../../http/schemas.js';

const Email = Type.String({ minLength: 3, maxLength: 320, examples: ['sara@example.com'] });
/** Bounded for the parser; the rules (10 to 256 characters …) are checked by the service, naming the rule broken. */
const Password = Type.String({ minLength: 1, maxLength: 1024, examples: ['correct horse battery staple'] });
const LinkToken = Type.String({ minLength: 1, maxLength: 200, description: 'The `token` of the link’s fragment (`…/inbox/welcome#token=…`).' });

/** One of `values`, or null (the default), as one `type` list so a wrong value gets one clear message. */
const NullableChoice = <T extends string>(values: readonly T[], description: string) =>
  Type.Unsafe<T | null>({ type: ['string', 'null'], enum: [...values, null], description: `${description} null: the default.` });
export const Language = NullableChoice(['ar', 'en'] as const, 'The language of the inbox: Arabic (right to left) or English.');
export const Digits = NullableChoice(['latn', 'arab'] as const, 'Digits shown: Western (0123) or Arabic-Indic (٠١٢٣).');
const Purpose = Type.Unsafe<'invitation' | 'password-reset'>({ type: 'string', enum: ['invitation', 'password-reset'] });

export const LoginBody = Type.Object({ email: Email, password: Password });

export const AcceptLinkBody = Type.Object({
  token: LinkToken,
  password: Password,
  email: Type.Optional(Nullable(Email)),
});
export const LinkTokenBody = Type.Object({ token: LinkToken });

export const PreferencesBody = Type.Object(
  { language: Type.Optional(Language), digits: Type.Optional(Digits) },
  { description: 'Fields left out stay as they are; null goes back to the default (the browser’s language, its digits).' },
);

export const Me = Type.Object(
  {
    userId: Uuid,
    workspaceId: Uuid,
    workspaceName: Type.String(),
    name: Nullable(Type.String()),
    email: Nullable(Type.String()),
    role: IntEnum(UserRole),
    logoUrl: Nullable(Type.String()),
    language: Language,
    digits: Digits,
    sessionId: Uuid,
    sessionExpiresAt: Type.Unsafe<Date>({ ...DateTime, description: 'When this sign-in ends unless used again (idle), or at the latest (absolute).' }),
  },
  { $id: 'Me', description: 'The person signed in, their workspace and preferences.' },
);

export const SignInList = Type.Object({
  totalCount: Type.Integer(),
  items: Type.Array(
    Type.Object({
      id: Uuid,
      current: Type.Boolean({ description: 'The sign-in of this request.' }),
      creationTime: DateTime,
      lastSeenAt: Type.Unsafe<Date>({ ...DateTime, description: 'Recorded at most once a minute.' }),
      expiresAt: DateTime,
      userAgent: Nullable(Type.String()),
      ip: Nullable(Type.String()),
    }),
  ),
});

export const LinkInfo = Type.Object({
  purpose: Purpose,
  name: Nullable(Type.String()),
  email: Nullable(Type.String()),
  emailRequired: Type.Boolean({ description: 'The person has no email yet: setting the password must give one.' }),
  workspaceName: Type.String(),
  expiresAt: DateTime,
});

export const OneTimeLink = Type.Object(
  {
    userId: Uuid,
    workspaceId: Uuid,
    name: Nullable(Type.String()),
    email: Nullable(Type.String({ description: 'The sign-in email; null until the person gives one with their password.' })),
    purpose: Purpose,
    url: Type.String({ description: 'Hand it to the person; valid once, for 72 hours. The token is in the fragment, which browsers never send to a server.' }),
    expiresAt: DateTime,
  },
  { $id: 'OneTimeLink' },
);

export const PeopleQuery = Type.Object({
  email: Type.Optional(Type.String({ minLength: 1, maxLength: 320 })),
  workspaceId: Type.Optional(Uuid),
});

export const PeopleList = Type.Object({
  totalCount: Type.Integer(),
  items: Type.Array(
    Type.Object({
      userId: Uuid,
      workspaceId: Uuid,
      name: Nullable(Type.String()),
      role: IntEnum(UserRole),
      email: Nullable(Type.String()),
      hasPassword: Type.Boolean({ description: 'The person has accepted an invitation.' }),
      disabled: Type.Boolean(),
    }),
  ),
});

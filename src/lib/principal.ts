/**
 * Who is calling. A principal says who acts and in which workspace, never how they proved it:
 * a service account by a bearer token, a person by the sign-in cookie (today a password; an OIDC
 * sign-in later would make the same `PersonPrincipal`, with another `method`).
 */
export type Principal = ServiceAccountPrincipal | PersonPrincipal;

/** The service account behind a verified bearer token. */
export interface ServiceAccountPrincipal {
  kind: 'service-account';
  workspaceId: string;
  serviceAccountId: string;
  clientId: string;
  scopes: string[];
}

/** A person signed in: a workspace user (not an AI agent) with a live sign-in. */
export interface PersonPrincipal {
  kind: 'person';
  workspaceId: string;
  /** The workspace user's id (= its `userId`): what actions record as their actor. */
  userId: string;
  /** Their display name (else their email), as actions record it. */
  name: string | null;
  /** The sign-in (session) this request came with. */
  sessionId: string;
  /** How the person proved who they are. */
  method: 'password';
}

/** The workspace user a principal acts as, if a person; null for a service account. */
export const personOf = (principal: Principal): PersonPrincipal | null => (principal.kind === 'person' ? principal : null);

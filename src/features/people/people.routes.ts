import { Type } from 'typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createPersonAuth, sessionCookieOf, type CookieAuth } from '../../http/auth.js';
import { errorResponse } from '../../http/openapi.js';
import { IdParams } from '../../http/schemas.js';
import type { App } from '../../http/types.js';
import type { PersonPrincipal } from '../../lib/principal.js';
import type { PeopleService, RequestMeta } from './people.service.js';
import { AcceptLinkBody, LinkInfo, LinkTokenBody, LoginBody, Me, OneTimeLink, PeopleList, PeopleQuery, PreferencesBody, SignInList } from './people.schemas.js';

/** 410 is this feature's alone (a used or expired link), so it is declared here in the house's form. */
const GONE = {
  description: 'The link was used already, replaced by a newer one, or has expired (`Wasl:Auth:LinkUsed`, `Wasl:Auth:LinkExpired`): ask for a new one.',
  headers: errorResponse(400).headers,
  content: { 'application/json': { schema: { $ref: 'ErrorEnvelope#' } } },
};
const NO_CONTENT = Type.Null({ description: 'Done.' });

const meta = (req: FastifyRequest): RequestMeta => ({ ip: req.ip, userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : null });
const person = (req: FastifyRequest) => req.principal as PersonPrincipal;

/**
 * Sign-in for people (`/v1/auth/…`, tag Wasl) and the operator's links (`/admin/v1/users/…`).
 * Routes a signed-in person calls take only the cookie (`createPersonAuth`); login and setting a
 * password take none, but refuse a foreign `Origin` when one is sent.
 */
export function peopleRoutes(app: App, deps: { people: PeopleService; cookieAuth: CookieAuth }) {
  const { people, cookieAuth: cookie } = deps;
  const signedIn = { onRequest: createPersonAuth(cookie) };
  const tags = ['Wasl'];
  const open = { auth: 'none' } as const;
  const personErrors = { 401: errorResponse(401), 403: errorResponse(403) };
  /** What the OpenAPI document says these routes take: the sign-in cookie only (`signIn`, src/openapi.ts); sign-out takes it when there is one. */
  const cookieOnly: Record<string, string[]>[] = [{ signIn: [] }];
  const cookieIfAny: Record<string, string[]>[] = [{}, { signIn: [] }];

  const startSignIn = <T>(reply: FastifyReply, result: { token: string; maxAgeSeconds: number; me: T }) => {
    cookie.set(reply, result.token, result.maxAgeSeconds);
    reply.header('cache-control', 'no-store');
    return result.me;
  };

  app.post(
    '/v1/auth/login',
    {
      config: open,
      schema: {
        tags,
        operationId: 'signIn',
        summary: 'Sign in (a person)',
        description:
          'Email and password → sets the `wasl_session` cookie (HttpOnly, SameSite=Lax, Secure on https) and answers the person. ' +
          'A wrong password and an unknown email get the same 401; failures are throttled per email and per address (429 with Retry-After).',
        body: LoginBody,
        response: { 200: Me, 401: errorResponse(401), 403: errorResponse(403), 429: errorResponse(429) },
      },
    },
    async (req, reply) => {
      cookie.assertOrigin(req, { allowAbsent: true });
      return startSignIn(reply, await people.login(req.body, meta(req)));
    },
  );

  app.post(
    '/v1/auth/logout',
    { config: open, schema: { tags, operationId: 'signOut', security: cookieIfAny, summary: 'Sign out', description: 'Ends this sign-in and clears the cookie; without a live sign-in it only clears the cookie.', response: { 204: NO_CONTENT, 403: errorResponse(403) } } },
    async (req, reply) => {
      const token = sessionCookieOf(req);
      if (token !== undefined) cookie.assertOrigin(req);
      await people.logout(token);
      cookie.clear(reply);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/auth/logout-everywhere',
    { config: open, ...signedIn, schema: { tags, operationId: 'signOutEverywhere', security: cookieOnly, summary: 'Sign out everywhere', description: "Ends every sign-in of the person, this one included.", response: { 204: NO_CONTENT, ...personErrors } } },
    async (req, reply) => {
      await people.logoutEverywhere(person(req));
      cookie.clear(reply);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/auth/me',
    { config: open, ...signedIn, schema: { tags, operationId: 'getMe', security: cookieOnly, summary: 'The person signed in', response: { 200: Me, 401: errorResponse(401) } } },
    (req) => people.me(person(req)),
  );

  app.patch(
    '/v1/auth/me',
    { config: open, ...signedIn, schema: { tags, operationId: 'updateMe', security: cookieOnly, summary: 'Change my language and digits', body: PreferencesBody, response: { 200: Me, ...personErrors } } },
    (req) => people.setPreferences(person(req), req.body),
  );

  app.get(
    '/v1/auth/sessions',
    { config: open, ...signedIn, schema: { tags, operationId: 'listMySignIns', security: cookieOnly, summary: 'My sign-ins', description: 'The live sign-ins of the person, newest first; `current` marks this one.', response: { 200: SignInList, 401: errorResponse(401) } } },
    (req) => people.sessions(person(req)),
  );

  app.delete(
    '/v1/auth/sessions/:id',
    {
      config: { ...open, errors: [404] },
      ...signedIn,
      schema: { tags, operationId: 'revokeMySignIn', security: cookieOnly, summary: 'End one of my sign-ins', params: IdParams, response: { 204: NO_CONTENT, 404: errorResponse(404), ...personErrors } },
    },
    async (req, reply) => {
      await people.revokeSession(person(req), req.params.id);
      if (req.params.id === person(req).sessionId) cookie.clear(reply);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/auth/link',
    { config: open, schema: { tags, operationId: 'getSignInLink', summary: 'What an invitation or reset link is for', body: LinkTokenBody, response: { 200: LinkInfo, 403: errorResponse(403), 410: GONE } } },
    (req) => people.linkInfo(req.body.token),
  );

  app.post(
    '/v1/auth/password',
    {
      config: { ...open, errors: [409] },
      schema: {
        tags,
        operationId: 'setPasswordWithLink',
        summary: 'Set a password with an invitation or reset link',
        description:
          'Uses the link once (used or replaced → 410, expired → 410), sets the password (10 to 256 characters; a weak one → 400 naming the rule), ' +
          'ends every earlier sign-in of the person and signs them in (the cookie, as at sign-in). A person without an email gives one here.',
        body: AcceptLinkBody,
        response: { 200: Me, 403: errorResponse(403), 409: errorResponse(409), 410: GONE },
      },
    },
    async (req, reply) => {
      cookie.assertOrigin(req, { allowAbsent: true });
      return startSignIn(reply, await people.acceptLink(req.body, meta(req)));
    },
  );
}

/** The operator's side: find people, make their links, disable them. */
export function peopleAdminRoutes(app: App, deps: { people: PeopleService }) {
  const { people } = deps;
  const tags = ['Admin: users'];
  const admin = { auth: 'admin', errors: [404, 409, 422] } as const;

  app.get(
    '/admin/v1/users',
    {
      config: { auth: 'admin' },
      schema: { tags, operationId: 'adminFindPeople', summary: 'Find people by email or workspace', description: 'People (not AI agents) with this email (their own or their sign-in email) and/or in this workspace, with their sign-in state.', querystring: PeopleQuery, response: { 200: PeopleList } },
    },
    (req) => people.listUsers(req.query),
  );
  for (const [path, purpose, operationId, summary] of [
    ['invitation', 'invitation', 'adminInvitePerson', 'An invitation link for a person'],
    ['password-reset', 'password-reset', 'adminResetPassword', 'A password-reset link for a person'],
  ] as const) {
    app.post(
      `/admin/v1/users/:id/${path}`,
      {
        config: admin,
        schema: { tags, operationId, summary, description: 'A one-time link to set a password, valid 72 hours; it replaces any earlier unused link of the person.', params: IdParams, response: { 200: OneTimeLink } },
      },
      (req) => people.createLink(req.params.id, purpose),
    );
  }
  for (const [verb, disabled, operationId, summary] of [
    ['disable', true, 'adminDisablePerson', 'Disable a person: no sign-in, their sign-ins end'],
    ['enable', false, 'adminEnablePerson', 'Enable a disabled person again'],
  ] as const) {
    app.post(
      `/admin/v1/users/:id/${verb}`,
      { config: admin, schema: { tags, operationId, summary, params: IdParams, response: { 204: NO_CONTENT } } },
      async (req, reply) => {
        await people.setDisabled(req.params.id, disabled);
        return reply.code(204).send(null);
      },
    );
  }
}

/**
 * The inbox's pages, shared by the client's router and the server (which answers the HTML shell
 * with 200 for these and 404 for any other `/inbox/...` path). No DOM here.
 */
export type Route =
  | { page: 'inbox'; conversationId: string | null }
  | { page: 'welcome' }
  | { page: 'sign-in' }
  | { page: 'settings' }
  | { page: 'not-found' };

export const BASE = '/inbox';

/** The page a path shows (case-insensitive, a trailing slash ignored), or not-found. */
export function matchRoute(pathname: string): Route {
  const rest = pathname.replace(/\/+$/, '').toLowerCase();
  if (rest === BASE) return { page: 'inbox', conversationId: null };
  if (rest === `${BASE}/welcome`) return { page: 'welcome' };
  if (rest === `${BASE}/sign-in`) return { page: 'sign-in' };
  if (rest === `${BASE}/settings`) return { page: 'settings' };
  const c = /^\/inbox\/c\/([0-9a-f-]{36})$/.exec(rest);
  if (c) return { page: 'inbox', conversationId: c[1]! };
  return { page: 'not-found' };
}

export const conversationPath = (id: string) => `${BASE}/c/${id}`;

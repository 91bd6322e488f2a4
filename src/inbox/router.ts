import { useEffect, useState } from 'preact/hooks';
import { matchRoute, type Route } from './routes.js';

/** A tiny router on the History API: `navigate(path)` and `useRoute()`. */
const listeners = new Set<() => void>();
const notify = () => listeners.forEach((fn) => fn());
addEventListener('popstate', notify);

export function navigate(path: string, options: { replace?: boolean } = {}) {
  if (path === location.pathname + location.search) return;
  if (options.replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  notify();
}

export interface Location {
  route: Route;
  search: URLSearchParams;
}

const current = (): Location => ({ route: matchRoute(location.pathname), search: new URLSearchParams(location.search) });

export function useLocation(): Location {
  const [loc, setLoc] = useState(current);
  useEffect(() => {
    const fn = () => setLoc(current());
    listeners.add(fn);
    return () => void listeners.delete(fn);
  }, []);
  return loc;
}

/** A link's click handled by the router (new tab / modifiers left to the browser). */
export function linkClick(e: MouseEvent) {
  const a = (e.currentTarget as HTMLAnchorElement) ?? null;
  if (!a || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(a.getAttribute('href')!);
}

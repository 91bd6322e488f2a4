import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, query } from './api.js';
import { ConversationPane } from './conversation.js';
import { startEvents, type LiveState } from './events.js';
import { num, t } from './i18n.js';
import { ConversationList, FiltersForm, ViewsNav } from './list.js';
import { conversationPath } from './routes.js';
import { linkClick, navigate, useLocation } from './router.js';
import { SearchBox } from './search.js';
import { ShortcutsDialog, useShortcuts } from './shortcuts.js';
import { useDirectory } from './store.js';
import type { SseFrame } from './sse.js';
import type { Conversation, Counts, Filters, Me, Status, View } from './types.js';

const VIEWS: View[] = ['mine', 'unassigned', 'all', 'mentions'];

function readState(search: URLSearchParams) {
  const view = (VIEWS as string[]).includes(search.get('view') ?? '') ? (search.get('view') as View) : 'mine';
  const status: Status = search.get('status') === 'closed' ? 'closed' : 'open';
  const filters: Filters = {
    channelId: search.get('channelId') ?? '',
    tagId: search.get('tagId') ?? '',
    assigneeId: search.get('assigneeId') ?? '',
    from: search.get('from') ?? '',
    to: search.get('to') ?? '',
    lost: search.get('lost') === 'true',
    unreadOnly: search.get('unreadOnly') === 'true',
  };
  return { view, status, filters };
}

/** The list's and the counts' URLs for a view, status and filters (main.tsx prefetches the first page's). */
export function listUrls(search: URLSearchParams, limit = 50, cursor?: string | null) {
  const { view, status, filters } = readState(search);
  const { unreadOnly, ...countFilters } = filters;
  return {
    list: `/v1/inbox/conversations${query({ view, status, ...countFilters, unreadOnly, limit, cursor })}`,
    counts: `/v1/inbox/counts${query(countFilters)}`,
  };
}

type ListPage = { items: Conversation[]; nextCursor: string | null };
/**
 * The list's first `want` rows, read in pages of at most 100 (keyset). A row that moves between two
 * pages' requests may be read twice (kept once) or missed (the change's own event refreshes again).
 */
async function rowsFromTop(search: URLSearchParams, want: number): Promise<ListPage> {
  const items: Conversation[] = [];
  const seen = new Set<string>();
  let cursor: string | null = null;
  do {
    const page: ListPage = await api<ListPage>('GET', listUrls(search, Math.min(100, want - items.length), cursor).list);
    for (const item of page.items) {
      if (seen.has(item.id)) continue;
      seen.add(item.id);
      items.push(item);
    }
    cursor = page.nextCursor;
  } while (cursor && items.length < want);
  return { items, nextCursor: cursor };
}

/** The signed-in inbox: views, list, the open conversation, live updates, shortcuts. */
export function Inbox(props: { me: Me; conversationId: string | null; onSignedOut: () => void }) {
  const { search } = useLocation();
  const { view, status, filters } = readState(search);
  const dir = useDirectory();
  const [items, setItems] = useState<Conversation[] | null>(null);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [counts, setCounts] = useState<Counts | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const [live, setLive] = useState<LiveState>('connecting');
  const [helpOpen, setHelpOpen] = useState(false);
  const [tick, setTick] = useState(0); // bumped by live events: the open conversation reloads
  const previous = useRef(new Map<string, number>());
  const itemsRef = useRef<Conversation[]>([]);
  itemsRef.current = items ?? [];
  // Loads answer out of order (a refresh of 130 rows takes two requests; a live event starts the
  // next meanwhile): an answer is used only if no list load (first or refresh) began after it.
  const loads = useRef({ started: 0, listFrom: 0 });
  // How many rows the person has asked to see (50, plus each "Load more"). A refresh reloads that
  // many, not merely as many as are shown: a refresh that raced a change and came back one short
  // must not make every later refresh one short too.
  const wanted = useRef(50);

  const key = JSON.stringify([view, status, filters]);

  const load = useCallback(
    async (mode: 'first' | 'more' | 'refresh') => {
      const mine = ++loads.current.started;
      if (mode !== 'more') loads.current.listFrom = mine;
      const urls = listUrls(search, 50, mode === 'more' ? nextCursor : undefined);
      const [page, c] = await Promise.all([
        // A refresh reloads as many rows as were asked for (pages of 100, the API's most), so rows
        // loaded with "more" stay and the scroll position holds.
        mode === 'refresh' ? rowsFromTop(search, Math.max(wanted.current, itemsRef.current.length)) : api<ListPage>('GET', urls.list),
        mode === 'more' ? Promise.resolve(null) : api<Counts>('GET', urls.counts),
      ]);
      if (loads.current.listFrom > mine) return; // a newer list load answers instead
      if (c) setCounts(c);
      if (mode === 'refresh') {
        for (const item of page.items) {
          const before = previous.current.get(item.id) ?? 0;
          if (item.unreadCount > before) setAnnouncement(t('newMessage', { name: item.contactName ?? item.phoneNumber ?? t('unknownContact') }));
        }
      }
      for (const item of page.items) previous.current.set(item.id, item.unreadCount);
      if (mode === 'first') wanted.current = 50;
      if (mode === 'more') wanted.current = Math.max(wanted.current, itemsRef.current.length + page.items.length);
      setItems((old) => (mode === 'more' ? [...(old ?? []), ...page.items.filter((i) => !(old ?? []).some((o) => o.id === i.id))] : page.items));
      setNextCursor(page.nextCursor);
    },
    [key, nextCursor],
  );

  useEffect(() => {
    setItems(null);
    void load('first').catch(() => setItems([]));
  }, [key]);

  // Live: one stream per browser; every frame schedules one refresh of what is shown.
  const refresh = useRef<ReturnType<typeof setTimeout> | null>(null);
  const loadRef = useRef(load);
  loadRef.current = load;
  const openRef = useRef(props.conversationId);
  openRef.current = props.conversationId;
  const touchesOpen = useRef(false);
  useEffect(
    () =>
      startEvents(
        props.me.userId,
        (frame: SseFrame) => {
          if (frame.event === 'unauthorized') return props.onSignedOut();
          // The open conversation reloads only for frames that name it (every payload carries its id), or a reset.
          const open = openRef.current;
          if (frame.event === 'reset' || (open && frame.data.includes(open))) touchesOpen.current = true;
          if (refresh.current) return;
          refresh.current = setTimeout(() => {
            refresh.current = null;
            void loadRef.current('refresh').catch(() => {});
            if (touchesOpen.current) setTick((n) => n + 1);
            touchesOpen.current = false;
          }, frame.event === 'reset' ? 0 : 100);
        },
        setLive,
      ),
    [props.me.userId],
  );

  // Back online: what is shown may have missed changes (a refresh failed, or the stream is resuming).
  useEffect(() => {
    const online = () => {
      setLive('connecting');
      void loadRef.current('refresh').catch(() => {});
      setTick((n) => n + 1);
    };
    const offline = () => setLive('offline');
    addEventListener('online', online);
    addEventListener('offline', offline);
    return () => {
      removeEventListener('online', online);
      removeEventListener('offline', offline);
    };
  }, []);

  useEffect(() => {
    const unread = counts?.unread ?? 0;
    document.title = unread > 0 ? `(${num(unread)}) ${t('appName')}` : t('appName');
  }, [counts?.unread]);

  const setSearch = (changes: Record<string, string | boolean | null>) => {
    const next = new URLSearchParams(search);
    for (const [k, v] of Object.entries(changes)) {
      if (v === null || v === '' || v === false) next.delete(k);
      else next.set(k, String(v));
    }
    const q = next.toString();
    navigate(`${location.pathname}${q ? `?${q}` : ''}`);
  };
  const open = (id: string) => navigate(conversationPath(id) + location.search);
  const move = (step: number) => {
    const list = itemsRef.current;
    const at = list.findIndex((c) => c.id === props.conversationId);
    const next = list[Math.max(0, Math.min(list.length - 1, at === -1 ? 0 : at + step))];
    if (next) {
      open(next.id);
      requestAnimationFrame(() => document.getElementById(`conversation-${next.id}`)?.focus());
    }
  };
  useShortcuts({ next: () => move(1), previous: () => move(-1), help: () => setHelpOpen(true) });

  const signOut = async () => {
    await api('POST', '/v1/auth/logout').catch(() => {});
    props.onSignedOut();
  };

  return (
    <div class="inbox">
      <header class="topbar">
        <h1 class="brand">
          <a href="/inbox" onClick={linkClick} dir="auto">
            {props.me.workspaceName}
          </a>
        </h1>
        <SearchBox onOpen={open} channels={dir.channels} />
        <nav aria-label={t('account')} class="account">
          {live === 'offline' && <span class="offline">{t('liveOffline')}</span>}
          <button type="button" onClick={() => setHelpOpen(true)} aria-keyshortcuts="Shift+/">
            {t('shortcuts')}
          </button>
          <a href="/inbox/settings" onClick={linkClick}>
            {t('settings')}
          </a>
          <span dir="auto" class="me">
            {props.me.name ?? props.me.email}
          </span>
          <button type="button" onClick={signOut}>
            {t('signOut')}
          </button>
        </nav>
      </header>
      <div class="columns">
        <aside class="sidebar">
          <ViewsNav view={view} status={status} counts={counts} onView={(v) => setSearch({ view: v === 'mine' ? null : v })} />
          <FiltersForm filters={filters} dir={dir} onChange={(changes) => setSearch(changes)} />
        </aside>
        <main class="list-column">
          <div
            role="tablist"
            aria-label={t('status')}
            class="tabs"
            onKeyDown={(e) => {
              if (!['ArrowLeft', 'ArrowRight', 'Home', 'End'].includes(e.key)) return;
              e.preventDefault();
              const next: Status = e.key === 'Home' ? 'open' : e.key === 'End' ? 'closed' : status === 'open' ? 'closed' : 'open';
              setSearch({ status: next === 'open' ? null : next });
              requestAnimationFrame(() => document.getElementById(`tab-${next}`)?.focus());
            }}
          >
            {(['open', 'closed'] as const).map((s) => (
              <button key={s} id={`tab-${s}`} type="button" role="tab" aria-selected={status === s} aria-controls="conversation-list" tabIndex={status === s ? 0 : -1} onClick={() => setSearch({ status: s === 'open' ? null : s })}>
                {t(s)}
              </button>
            ))}
          </div>
          <ConversationList items={items} selectedId={props.conversationId} onOpen={open} hasMore={!!nextCursor} onMore={() => void load('more')} />
        </main>
        {props.conversationId ? (
          <ConversationPane key={props.conversationId} id={props.conversationId} me={props.me} dir={dir} tick={tick} onChanged={() => void load('refresh').catch(() => {})} />
        ) : (
          <div class="pane empty">
            <p>{t('selectConversation')}</p>
          </div>
        )}
      </div>
      <div aria-live="polite" class="sr-only">
        {announcement}
      </div>
      {helpOpen && <ShortcutsDialog onClose={() => setHelpOpen(false)} />}
    </div>
  );
}

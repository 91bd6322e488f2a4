import { useEffect, useId, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { dateTime, num, relative, t } from './i18n.js';
import { conversationPath } from './routes.js';
import { displayName, type Directory } from './store.js';
import type { Conversation, Counts, Filters, Status, View } from './types.js';

const VIEWS: View[] = ['mine', 'unassigned', 'all', 'mentions'];

export function ViewsNav(props: { view: View; status: Status; counts: Counts | null; onView: (v: View) => void }) {
  return (
    <nav aria-label={t('views')} class="views">
      <ul>
        {VIEWS.map((v) => {
          const n = props.counts?.[v]?.[props.status];
          const capped = props.counts?.capped?.some((c) => c === v || c === `${v}.${props.status}`);
          return (
            <li key={v}>
              <a
                href={`/inbox${v === 'mine' ? '' : `?view=${v}`}`}
                aria-current={props.view === v ? 'page' : undefined}
                onClick={(e) => {
                  if (e.button !== 0 || e.metaKey || e.ctrlKey) return;
                  e.preventDefault();
                  props.onView(v);
                }}
              >
                <span>{t(v)}</span> <span class="count">{n === undefined ? '' : `${num(n)}${capped ? '+' : ''}`}</span>
              </a>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}

export function FiltersForm(props: { filters: Filters; dir: Directory; onChange: (changes: Record<string, string | boolean | null>) => void }) {
  const id = useId();
  const f = props.filters;
  const select = (name: keyof Filters, label: string, options: { id: string; name: string }[]) => (
    <div class="field">
      <label for={`${id}-${name}`}>{label}</label>
      <select id={`${id}-${name}`} value={String(f[name])} onChange={(e) => props.onChange({ [name]: (e.currentTarget as HTMLSelectElement).value })}>
        <option value="">{t('any')}</option>
        {options.map((o) => (
          <option key={o.id} value={o.id}>
            {o.name}
          </option>
        ))}
      </select>
    </div>
  );
  const check = (name: 'lost' | 'unreadOnly', label: string) => (
    <div class="check">
      <input id={`${id}-${name}`} type="checkbox" checked={f[name]} onChange={(e) => props.onChange({ [name]: (e.currentTarget as HTMLInputElement).checked })} />
      <label for={`${id}-${name}`}>{label}</label>
    </div>
  );
  const date = (name: 'from' | 'to', label: string) => (
    <div class="field">
      <label for={`${id}-${name}`}>{label}</label>
      <input id={`${id}-${name}`} type="date" value={f[name]} onChange={(e) => props.onChange({ [name]: (e.currentTarget as HTMLInputElement).value })} />
    </div>
  );
  const active = Object.values(f).some(Boolean);
  return (
    <div class="filters">
      {check('unreadOnly', t('unreadOnly'))}
      <details open={active}>
        <summary>{t('filters')}</summary>
        {select('channelId', t('channel'), props.dir.channels)}
        {select('tagId', t('tag'), props.dir.tags)}
        {select('assigneeId', t('assignee'), props.dir.users.map((u) => ({ id: u.id, name: displayName(u) })))}
        {date('from', t('from'))}
        {date('to', t('to'))}
        {check('lost', t('lostOnly'))}
        {active && (
          <button type="button" onClick={() => props.onChange({ channelId: null, tagId: null, assigneeId: null, from: null, to: null, lost: null, unreadOnly: null })}>
            {t('clearFilters')}
          </button>
        )}
      </details>
    </div>
  );
}

/** The contact's name (its own direction), else the phone number, always left to right. */
export function ContactName(props: { c: Pick<Conversation, 'contactName' | 'phoneNumber'> }) {
  const { contactName, phoneNumber } = props.c;
  if (contactName) return <bdi dir="auto">{contactName}</bdi>;
  return phoneNumber ? <bdi dir="ltr">{phoneNumber}</bdi> : <>{t('unknownContact')}</>;
}

/** "3 minutes ago" within a day, else the date. */
const when = (iso: string) => (Date.now() - new Date(iso).getTime() < 86400000 ? relative(iso) : dateTime(iso));

/** The list; live re-sorting keeps the selected (or first visible) row where it was on screen. */
export function ConversationList(props: { items: Conversation[] | null; selectedId: string | null; onOpen: (id: string) => void; hasMore: boolean; onMore: () => void }) {
  const box = useRef<HTMLDivElement>(null);
  const anchor = useRef<{ id: string; top: number } | null>(null);
  const [, setMinute] = useState(0); // relative times move on
  useEffect(() => {
    const timer = setInterval(() => setMinute((n) => n + 1), 60000);
    return () => clearInterval(timer);
  }, []);

  const remember = () => {
    const el = box.current;
    if (!el) return;
    const rows = Array.from(el.querySelectorAll<HTMLElement>('li[data-id]'));
    const selected = rows.find((r) => r.dataset.id === props.selectedId && r.offsetTop + r.offsetHeight > el.scrollTop && r.offsetTop < el.scrollTop + el.clientHeight);
    const first = selected ?? rows.find((r) => r.offsetTop + r.offsetHeight > el.scrollTop);
    anchor.current = first ? { id: first.dataset.id!, top: first.offsetTop - el.scrollTop } : null;
  };
  useLayoutEffect(() => {
    const el = box.current;
    const a = anchor.current;
    if (!el || !a || el.scrollTop === 0) return;
    const row = el.querySelector<HTMLElement>(`li[data-id="${a.id}"]`);
    if (row) el.scrollTop = row.offsetTop - a.top;
  }, [props.items]);
  useEffect(remember, [props.selectedId]);

  if (props.items === null)
    return (
      <div class="list" id="conversation-list" role="tabpanel">
        <p role="status">{t('loading')}</p>
      </div>
    );
  return (
    <div class="list" id="conversation-list" role="tabpanel" ref={box} onScroll={remember}>
      {props.items.length === 0 && <p>{t('noConversations')}</p>}
      <ul aria-label={t('conversations')}>
        {props.items.map((c) => (
          <li key={c.id} data-id={c.id}>
            <a
              id={`conversation-${c.id}`}
              href={conversationPath(c.id)}
              class={c.unreadCount > 0 ? 'row unread' : 'row'}
              aria-current={c.id === props.selectedId ? 'true' : undefined}
              onClick={(e) => {
                if (e.button !== 0 || e.metaKey || e.ctrlKey) return;
                e.preventDefault();
                props.onOpen(c.id);
              }}
            >
              <span class="name">
                <ContactName c={c} />
              </span>
              <time dateTime={c.lastActivityAt} title={dateTime(c.lastActivityAt, 'full')}>
                {when(c.lastActivityAt)}
              </time>
              {c.lastEventBody && (
                <span class="preview" dir="auto">
                  {c.lastEventBody}
                </span>
              )}
              <span class="meta">
                {c.tags.map((tag) => (
                  <span key={tag.id} class="tag" dir="auto">
                    {tag.name}
                  </span>
                ))}
                {c.assigneeName && <span class="assignee" dir="auto">{c.assigneeName}</span>}
              </span>
              {c.unreadCount > 0 && (
                <span class="badge" role="img" aria-label={t('unread', { n: c.unreadCount })}>
                  {num(c.unreadCount)}
                </span>
              )}
              {(c.mentionsUnread ?? 0) > 0 && (
                <span class="badge mention" role="img" aria-label={t('mentionsUnread', { n: c.mentionsUnread! })}>
                  @
                </span>
              )}
            </a>
          </li>
        ))}
      </ul>
      {props.hasMore && (
        <button type="button" class="more" onClick={props.onMore}>
          {t('loadMore')}
        </button>
      )}
    </div>
  );
}

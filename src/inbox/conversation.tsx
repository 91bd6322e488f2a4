import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, query } from './api.js';
import { Actions } from './actions.js';
import { Composer } from './composer.js';
import { ContactPanel } from './contact.js';
import { t } from './i18n.js';
import { ContactName } from './list.js';
import { markedUnread, type Directory } from './store.js';
import { Timeline } from './timeline.js';
import type { Conversation, Me, TimelineEvent } from './types.js';

const PAGE = 30;
const base = (id: string) => `/v2/conversations/service-account/${id}`;

/** The open conversation: its header and actions, the timeline paged backwards, the composer. */
export function ConversationPane(props: { id: string; me: Me; dir: Directory; tick: number; onChanged: () => void }) {
  const [conversation, setConversation] = useState<Conversation | null>(null);
  const [events, setEvents] = useState<TimelineEvent[]>([]); // newest first
  const [total, setTotal] = useState(0);
  const [missing, setMissing] = useState(false);
  const eventsRef = useRef(events);
  eventsRef.current = events;

  const loadNewest = useCallback(async () => {
    const [c, page] = await Promise.all([
      api<Conversation>('GET', base(props.id)),
      api<{ totalCount: number; items: TimelineEvent[] }>('GET', `${base(props.id)}/timeline${query({ Sorting: 'CreationTime DESC', SkipCount: 0, MaxResultCount: PAGE })}`),
    ]);
    setConversation(c);
    setTotal(page.totalCount);
    setEvents((old) => {
      const overlap = page.items.some((e) => old.some((o) => o.eventId === e.eventId));
      if (!overlap) return page.items; // first load, or more new events than a page: start again
      const fresh = new Map(page.items.map((e) => [e.eventId, e]));
      const kept = old.filter((o) => !fresh.has(o.eventId));
      return [...page.items, ...kept].sort((a, b) => b.creationTime.localeCompare(a.creationTime));
    });
    return c;
  }, [props.id]);

  const markRead = useCallback(() => void api('POST', `${base(props.id)}/read`).then(props.onChanged, () => {}), [props.id]);

  useEffect(() => {
    // Opening marks it read (the server records a read only when something was unread).
    markedUnread.delete(props.id);
    loadNewest().then(markRead, () => setMissing(true));
  }, [props.id]);
  useEffect(() => {
    if (props.tick === 0) return;
    void loadNewest().then((c) => {
      // Not one the person has just marked unread (its own event's refresh would undo it).
      if (c.unreadCount > 0 && document.visibilityState === 'visible' && !markedUnread.has(props.id)) markRead();
    }, () => {});
  }, [props.tick]);

  const older = async () => {
    const page = await api<{ totalCount: number; items: TimelineEvent[] }>('GET', `${base(props.id)}/timeline${query({ Sorting: 'CreationTime DESC', SkipCount: eventsRef.current.length, MaxResultCount: PAGE })}`);
    setTotal(page.totalCount);
    setEvents((old) => [...old, ...page.items.filter((e) => !old.some((o) => o.eventId === e.eventId))]);
  };

  const changed = async () => {
    await loadNewest().catch(() => {});
    props.onChanged();
  };

  if (missing)
    return (
      <section class="pane" aria-label={t('conversation')}>
        <p role="alert">{t('notFoundBody')}</p>
      </section>
    );
  if (!conversation)
    return (
      <section class="pane" aria-label={t('conversation')} aria-busy="true">
        <p role="status">{t('loading')}</p>
      </section>
    );
  return (
    <>
      <section class="pane" aria-label={t('conversation')}>
        <header class="pane-head">
          <h2>
            <ContactName c={conversation} />
          </h2>
          {conversation.phoneNumber && conversation.contactName && (
            <bdi dir="ltr" class="phone">
              {conversation.phoneNumber}
            </bdi>
          )}
          <Actions conversation={conversation} me={props.me} dir={props.dir} onChanged={changed} />
        </header>
        <Timeline events={events} hasOlder={events.length < total} onOlder={older} dir={props.dir} onChanged={changed} />
        <Composer conversation={conversation} events={events} complete={events.length >= total} dir={props.dir} onSent={changed} />
      </section>
      <ContactPanel conversation={conversation} onOpen={() => {}} />
    </>
  );
}

import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { api, query } from './api.js';
import { dateTime, t } from './i18n.js';
import { useShortcut } from './shortcuts.js';

interface ContactHit {
  id: string;
  name: string | null;
  phoneNumber: string | null;
}
interface MessageHit {
  eventId: string;
  conversationId: string;
  contactName: string | null;
  body: string;
  creationTime: string;
}

/** `/` focuses it: contacts and message text (`GET /v1/inbox/search?q=`; messages from 3 characters). */
export function SearchBox(props: { onOpen: (conversationId: string) => void; channels: { id: string }[] }) {
  const [q, setQ] = useState('');
  const [result, setResult] = useState<{ contacts: ContactHit[]; messages: MessageHit[]; messagesTimedOut?: boolean } | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const id = useId();
  useShortcut((name) => name === 'search' && input.current?.focus());
  useEffect(() => {
    if (q.trim().length < 2) return setResult(null);
    const timer = setTimeout(() => {
      api<{ contacts: ContactHit[]; messages: MessageHit[]; messagesTimedOut: boolean }>('GET', `/v1/inbox/search${query({ q })}`).then(setResult, () => setResult({ contacts: [], messages: [] }));
    }, 200);
    return () => clearTimeout(timer);
  }, [q]);

  const open = (conversationId: string | null | undefined) => {
    if (!conversationId) return;
    setQ('');
    props.onOpen(conversationId);
  };
  /** A contact's latest conversation, on whichever channel. */
  const openContact = async (contactId: string) => {
    const pages = await Promise.all(
      props.channels.map((ch) =>
        api<{ items: { id: string; lastActivityAt: string }[] }>('GET', `/v2/conversations/service-account/channels/${ch.id}${query({ ContactIds: contactId, MaxResultCount: 1, Sorting: 'LastActivityAt DESC' })}`).then((r) => r.items, () => []),
      ),
    );
    const latest = pages.flat().sort((a, b) => b.lastActivityAt.localeCompare(a.lastActivityAt))[0];
    open(latest?.id);
  };
  return (
    <div role="search" class="search">
      <label for={id} class="sr-only">
        {t('search')}
      </label>
      <input
        id={id}
        ref={input}
        type="search"
        dir="auto"
        placeholder={t('searchPlaceholder')}
        aria-keyshortcuts="/"
        value={q}
        onInput={(e) => setQ((e.currentTarget as HTMLInputElement).value)}
        onKeyDown={(e) => e.code === 'Escape' && (setQ(''), input.current?.blur())}
      />
      {result && (
        <div class="results popover">
          {result.contacts.length + result.messages.length === 0 && !result.messagesTimedOut && <p role="status">{t('noResults')}</p>}
          {result.messagesTimedOut && <p role="status">{t('searchTooBroad')}</p>}
          {result.contacts.length > 0 && (
            <ul aria-label={t('contacts')}>
              {result.contacts.map((c) => (
                <li key={c.id}>
                  <button type="button" onClick={() => void openContact(c.id)}>
                    <span dir="auto">{c.name}</span> <bdi dir="ltr">{c.phoneNumber}</bdi>
                  </button>
                </li>
              ))}
            </ul>
          )}
          {result.messages.length > 0 && (
            <ul aria-label={t('messages')}>
              {result.messages.map((m) => (
                <li key={m.eventId}>
                  <button type="button" onClick={() => open(m.conversationId)}>
                    {m.contactName && <bdi dir="auto">{m.contactName}</bdi>} <time dateTime={m.creationTime}>{dateTime(m.creationTime)}</time>
                    <span class="hit" dir="auto">
                      {m.body}
                    </span>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}

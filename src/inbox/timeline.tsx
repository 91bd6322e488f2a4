import { useEffect, useId, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { api, query } from './api.js';
import { dateTime, t } from './i18n.js';
import { MentionPicker } from './mentions.js';
import { withNames, type Directory } from './store.js';
import type { TimelineEvent } from './types.js';

const STATUS_KEYS = ['Pending', 'Sent', 'Delivered', 'Read', 'Failed'] as const;
const statusText = (s: string | null) => (s && (STATUS_KEYS as readonly string[]).includes(s) ? t(s as (typeof STATUS_KEYS)[number]) : (s ?? ''));

/** The timeline, oldest at the top; older pages load above without moving what is on screen. */
export function Timeline(props: { events: TimelineEvent[]; hasOlder: boolean; onOlder: () => Promise<void>; dir: Directory; onChanged: () => void }) {
  const box = useRef<HTMLDivElement>(null);
  const pinned = useRef(true); // at the bottom: stay there as new events arrive
  const fromBottom = useRef(0);
  const ordered = [...props.events].reverse();

  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    el.scrollTop = pinned.current ? el.scrollHeight : el.scrollHeight - el.clientHeight - fromBottom.current;
  }, [props.events]);
  const onScroll = () => {
    const el = box.current!;
    fromBottom.current = el.scrollHeight - el.clientHeight - el.scrollTop;
    pinned.current = fromBottom.current < 40;
  };

  return (
    <div class="timeline" ref={box} onScroll={onScroll}>
      {props.hasOlder && (
        <button type="button" class="more" onClick={() => void props.onOlder()}>
          {t('olderEvents')}
        </button>
      )}
      <ol aria-label={t('timeline')}>
        {ordered.map((e) => (
          <EventItem key={e.eventId} event={e} dir={props.dir} onChanged={props.onChanged} />
        ))}
      </ol>
    </div>
  );
}

function EventItem(props: { event: TimelineEvent; dir: Directory; onChanged: () => void }) {
  const e = props.event;
  const when = (
    <time dateTime={e.creationTime} title={dateTime(e.creationTime, 'full')}>
      {dateTime(e.creationTime, 'full')}
    </time>
  );
  const by = e.handlerName ?? e.assignation?.assignedByUserName ?? '';
  let body;
  let kind = 'system';
  switch (e.sourceType) {
    case 2: {
      kind = e.direction === 1 ? 'in' : 'out';
      body = (
        <>
          <p class="who">{e.direction === 1 ? t('inbound') : (e.handlerName ?? t('outbound'))}</p>
          {e.messageType && e.messageType !== 'Text' && <p class="type">{e.messageType}</p>}
          {e.body && (
            <p class="text" dir="auto">
              {e.body}
            </p>
          )}
          {e.attachment && (
            <p>
              <a href={e.attachment} target="_blank" rel="noreferrer">
                {e.messageType ?? 'file'}
              </a>
            </p>
          )}
          {e.location && (
            <p dir="auto">
              {e.location.name ?? ''} {e.location.address ?? ''} <bdi dir="ltr">{`${e.location.latitude}, ${e.location.longitude}`}</bdi>
            </p>
          )}
          {e.direction === 2 && (
            <p class={e.status === 'Failed' ? 'status failed' : 'status'}>{e.status === 'Failed' ? t('failed', { reason: e.failureReason ?? String(e.errorCode ?? '') }) : statusText(e.status)}</p>
          )}
        </>
      );
      break;
    }
    case 1:
      kind = e.direction === 1 ? 'in' : 'out';
      body = (
        <>
          <p class="who">{t('callStatus', { status: e.status ?? '' })}</p>
          {e.durationOrSize && <p>{t('duration', { d: e.durationOrSize })}</p>}
          {e.aiSummary?.summary && <Summary summary={e.aiSummary.summary} transcription={e.aiSummary.transcription} />}
        </>
      );
      break;
    case 3: {
      const who = e.assignation?.assignedUserName ?? e.assignation?.assignedAiAgentName;
      body = <p dir="auto">{who ? t('assignedTo', { by, who }) : t('unassignedBy', { by })}</p>;
      break;
    }
    case 4:
      kind = 'note';
      body = (
        <>
          <p class="who" dir="auto">
            {t('noteBy', { by })}
          </p>
          <p class="text" dir="auto">
            {withNames(e.body ?? '', props.dir.users)}
          </p>
        </>
      );
      break;
    case 5:
      body = <p dir="auto">{e.status === 'Closed' ? t('closedBy', { by }) : t('reopenedBy', { by })}</p>;
      break;
    case 6:
      kind = 'note';
      body = <Summary summary={e.aiSummary?.summary ?? e.body ?? ''} transcription={e.aiSummary?.transcription ?? null} />;
      break;
    default:
      body = <p dir="auto">{e.body}</p>;
  }
  return (
    <li class={`event ${kind}`}>
      {body}
      {when}
      {(e.sourceType === 2 || e.sourceType === 4 || e.internalThread) && <Thread event={e} dir={props.dir} onChanged={props.onChanged} />}
    </li>
  );
}

function Summary(props: { summary: string; transcription: string | null }) {
  return (
    <div class="summary">
      <p class="who">{t('aiSummary')}</p>
      <p dir="auto">{props.summary}</p>
      {props.transcription && (
        <details>
          <summary>{t('transcription')}</summary>
          <p dir="auto">{props.transcription}</p>
        </details>
      )}
    </div>
  );
}

interface ThreadMessage {
  id: string;
  authorName: string | null;
  body: string;
  creationTime: string;
}

/** An event's internal thread: its messages, a reply box with @mentions, resolve. */
function Thread(props: { event: TimelineEvent; dir: Directory; onChanged: () => void }) {
  const info = props.event.internalThread;
  const [open, setOpen] = useState(false);
  const [messages, setMessages] = useState<ThreadMessage[]>([]);
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLTextAreaElement>(null);
  const id = useId();
  const url = `/v1/conversations/events/${props.event.eventId}/threads`;
  const load = () => api<{ items: ThreadMessage[] }>('GET', `${url}/messages${query({ MaxResultCount: 200 })}`).then((r) => setMessages(r.items), () => setMessages([]));
  useEffect(() => void (open && info && load()), [open, info?.messageCount]);

  const send = async (e: Event) => {
    e.preventDefault();
    try {
      await api('POST', `${url}/messages`, { messageBody: text });
      setText('');
      setError(null);
      await load();
      props.onChanged();
    } catch (err) {
      setError(err instanceof Error ? err.message : t('error'));
    }
  };
  const resolve = async (resolved: boolean) => {
    await api('PUT', `${url}/${resolved ? 'resolve' : 'unresolve'}`).catch(() => {});
    props.onChanged();
  };
  return (
    <div class="thread">
      <button type="button" aria-expanded={open} onClick={() => setOpen(!open)}>
        {t('thread')}
        {info ? ` · ${t('threadCount', { n: info.messageCount })}` : ''}
        {info?.isResolved ? ` · ${t('resolved')}` : ''}
      </button>
      {open && (
        <div>
          <ol>
            {messages.map((m) => (
              <li key={m.id}>
                <span class="who" dir="auto">
                  {m.authorName}
                </span>{' '}
                <span dir="auto">{withNames(m.body, props.dir.users)}</span> <time dateTime={m.creationTime}>{dateTime(m.creationTime)}</time>
              </li>
            ))}
          </ol>
          <form onSubmit={send}>
            <label for={id}>{t('threadReply')}</label>
            <textarea id={id} ref={input} dir="auto" rows={2} value={text} onInput={(e) => setText((e.currentTarget as HTMLTextAreaElement).value)} />
            {error && <p class="error" role="alert">{error}</p>}
            <MentionPicker users={props.dir.users} target={input} onInsert={setText} />
            <button type="submit" disabled={!text.trim()}>
              {t('threadSend')}
            </button>
            {info && (
              <button type="button" onClick={() => void resolve(!info.isResolved)}>
                {info.isResolved ? t('unresolve') : t('resolve')}
              </button>
            )}
          </form>
        </div>
      )}
    </div>
  );
}

import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { api, ApiError } from './api.js';
import { formErrors } from './auth-pages.js';
import { duration, t } from './i18n.js';
import { MentionPicker } from './mentions.js';
import { useShortcut } from './shortcuts.js';
import type { Directory } from './store.js';
import { TemplatePicker } from './template.js';
import type { Conversation, TimelineEvent } from './types.js';

const WINDOW_MS = 24 * 3600 * 1000;

/** When WhatsApp's 24-hour window ends: from the conversation, else the newest inbound message shown; null = unknown. */
function windowEnd(conversation: Conversation, events: TimelineEvent[], complete: boolean): number | null {
  if (conversation.lastInboundAt) return new Date(conversation.lastInboundAt).getTime() + WINDOW_MS;
  const inbound = events.find((e) => e.sourceType === 2 && e.direction === 1);
  if (inbound) return new Date(inbound.creationTime).getTime() + WINDOW_MS;
  return conversation.lastInboundAt === null || complete ? 0 : null;
}

/** Reply (inside the window, with the reply guard), note (with @mentions), or a template. */
export function Composer(props: { conversation: Conversation; events: TimelineEvent[]; complete: boolean; dir: Directory; onSent: () => Promise<void> }) {
  const c = props.conversation;
  const [mode, setMode] = useState<'reply' | 'note'>('reply');
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [conflict, setConflict] = useState(false);
  const [expired, setExpired] = useState(false);
  const [now, setNow] = useState(Date.now());
  const [busy, setBusy] = useState(false);
  const box = useRef<HTMLTextAreaElement>(null);
  const id = useId();

  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 30000);
    return () => clearInterval(timer);
  }, []);
  useShortcut((name) => {
    if (name === 'reply' || name === 'note') {
      setMode(name);
      requestAnimationFrame(() => box.current?.focus());
    }
  });

  const end = windowEnd(c, props.events, props.complete);
  const closed = expired || (end !== null && end <= now);
  const newest = props.events[0]?.eventId ?? null;

  const send = async () => {
    if (!text.trim() || busy) return;
    setBusy(true);
    try {
      if (mode === 'note') {
        await api('POST', `/v2/conversations/service-account/${c.id}/notes`, { text });
      } else {
        await api('POST', '/v1/whatsapp/service-account/sendText', { channelId: c.channelId, toNumber: c.phoneNumber, text, ...(newest ? { lastSeenEventId: newest } : {}) });
      }
      setText('');
      setError(null);
      setConflict(false);
      await props.onSent();
    } catch (err) {
      if (err instanceof ApiError && err.status === 409 && err.code === 'Wasl:Conversation:ReplyConflict') {
        await props.onSent(); // show what was said meanwhile; "send anyway" then carries the newer id
        setConflict(true);
      } else if (err instanceof ApiError && err.code === 'Voxa:WhatsApp:ServiceWindowExpired') {
        setExpired(true);
        setError(err.message);
      } else setError(formErrors(err, ['text']).fields.text ?? formErrors(err, []).form);
    } finally {
      setBusy(false);
    }
  };

  const label = mode === 'note' ? t('note') : t('reply');
  const showTemplate = mode === 'reply' && closed && c.channelId && c.phoneNumber;
  return (
    <div class="composer">
      <div role="radiogroup" aria-label={t('mode')} class="modes">
        {(['reply', 'note'] as const).map((m) => (
          <label key={m}>
            <input type="radio" name={`${id}-mode`} checked={mode === m} onChange={() => setMode(m)} /> {t(m)}
          </label>
        ))}
      </div>
      {mode === 'reply' && end !== null && !closed && <p class="window">{t('windowLeft', { time: duration(end - now) })}</p>}
      {showTemplate ? (
        <>
          <p class="window" role="status">
            {t('windowClosed')}
          </p>
          {error && <p class="error">{error}</p>}
          <TemplatePicker conversation={c} lastSeenEventId={newest} onSent={props.onSent} />
        </>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void send();
          }}
        >
          <label for={id} class="sr-only">
            {label}
          </label>
          <textarea
            id={id}
            ref={box}
            dir="auto"
            rows={3}
            value={text}
            aria-invalid={error ? 'true' : undefined}
            aria-describedby={error ? `${id}-error` : undefined}
            aria-keyshortcuts="Control+Enter Meta+Enter"
            class={mode}
            onInput={(e) => setText((e.currentTarget as HTMLTextAreaElement).value)}
            onKeyDown={(e) => {
              if (e.code === 'Enter' && (e.ctrlKey || e.metaKey)) {
                e.preventDefault();
                void send();
              } else if (e.code === 'Escape') (e.currentTarget as HTMLTextAreaElement).blur();
            }}
          />
          {error && (
            <p class="error" id={`${id}-error`} role="alert">
              {error}
            </p>
          )}
          {conflict && (
            <div role="alertdialog" aria-label={t('replyConflict')} class="conflict">
              <p>{t('replyConflict')}</p>
              <button type="button" class="primary" onClick={() => void send()}>
                {t('sendAnyway')}
              </button>
              <button type="button" onClick={() => setConflict(false)}>
                {t('cancel')}
              </button>
            </div>
          )}
          <div class="composer-actions">
            {mode === 'note' && <MentionPicker users={props.dir.users} target={box} onInsert={setText} />}
            <button type="submit" class="primary" disabled={busy || !text.trim()}>
              {mode === 'note' ? t('addNote') : t('send')}
            </button>
          </div>
        </form>
      )}
    </div>
  );
}

import { useEffect, useRef, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import { api } from './api.js';
import { t } from './i18n.js';
import { navigate } from './router.js';
import { useShortcut } from './shortcuts.js';
import { displayName, markedUnread, type Directory } from './store.js';
import type { Conversation, Me } from './types.js';

/** A button that opens a small panel; Esc closes it and gives focus back. */
function Disclosure(props: { label: string; open: boolean; setOpen: (open: boolean) => void; children: ComponentChildren }) {
  const button = useRef<HTMLButtonElement>(null);
  const panel = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (props.open) requestAnimationFrame(() => panel.current?.querySelector<HTMLElement>('button, input')?.focus());
  }, [props.open]);
  return (
    <span class="popover-anchor">
      <button type="button" ref={button} aria-expanded={props.open} onClick={() => props.setOpen(!props.open)}>
        {props.label}
      </button>
      {props.open && (
        <div
          class="popover"
          ref={panel}
          role="group"
          aria-label={props.label}
          onKeyDown={(e) => {
            if (e.code === 'Escape') {
              e.preventDefault();
              props.setOpen(false);
              button.current?.focus();
            }
          }}
        >
          {props.children}
        </div>
      )}
    </span>
  );
}

export function Actions(props: { conversation: Conversation; me: Me; dir: Directory; onChanged: () => Promise<void> }) {
  const c = props.conversation;
  const base = `/v2/conversations/service-account/${c.id}`;
  const [assignOpen, setAssignOpen] = useState(false);
  const [tagsOpen, setTagsOpen] = useState(false);
  const [chosen, setChosen] = useState<string[]>(c.tags.map((x) => x.id));
  const [error, setError] = useState<string | null>(null);
  useEffect(() => setChosen(c.tags.map((x) => x.id)), [c.tags.map((x) => x.id).join()]);

  const run = async (method: string, path: string, body?: unknown) => {
    try {
      await api(method, path, body);
      setError(null);
      await props.onChanged();
    } catch (err) {
      setError(err instanceof Error ? err.message : t('error'));
    }
  };
  const assign = async (body: { assignedUserId?: string | null; assignedAiAgentId?: string | null }) => {
    setAssignOpen(false);
    await run('POST', `${base}/assign`, body);
  };
  const toggleStatus = () => run('POST', `${base}/${c.status === 'Closed' ? 'reopen' : 'close'}`);
  const markUnread = async () => {
    markedUnread.add(c.id);
    await run('POST', `${base}/unread`);
    navigate(`/inbox${location.search}`);
  };

  useShortcut((name) => {
    if (name === 'assign') setAssignOpen(true);
    if (name === 'tags') setTagsOpen(true);
    if (name === 'close') void toggleStatus();
  });

  const people = props.dir.users.filter((u) => !u.isAiAgent);
  const agents = props.dir.users.filter((u) => u.isAiAgent);
  return (
    <div class="actions">
      <Disclosure label={t('assign')} open={assignOpen} setOpen={setAssignOpen}>
        <button type="button" onClick={() => void assign({ assignedUserId: props.me.userId })}>
          {t('assignToMe')}
        </button>
        <p class="group">{t('people')}</p>
        {people.map((u) => (
          <button key={u.id} type="button" dir="auto" aria-pressed={c.assigneeId === u.id} onClick={() => void assign({ assignedUserId: u.id })}>
            {displayName(u)}
          </button>
        ))}
        {agents.length > 0 && <p class="group">{t('aiAgents')}</p>}
        {agents.map((u) => (
          <button key={u.id} type="button" dir="auto" aria-pressed={c.assignedAiAgentId === u.id} onClick={() => void assign({ assignedAiAgentId: u.id })}>
            {displayName(u)}
          </button>
        ))}
        <button type="button" onClick={() => void assign({ assignedUserId: null, assignedAiAgentId: null })}>
          {t('unassign')}
        </button>
      </Disclosure>
      <Disclosure label={t('tags')} open={tagsOpen} setOpen={setTagsOpen}>
        {props.dir.tags.map((tag) => (
          <label key={tag.id} class="check" dir="auto">
            <input type="checkbox" checked={chosen.includes(tag.id)} onChange={(e) => setChosen((e.currentTarget as HTMLInputElement).checked ? [...chosen, tag.id] : chosen.filter((x) => x !== tag.id))} />{' '}
            {tag.name}
          </label>
        ))}
        <button
          type="button"
          class="primary"
          onClick={() => {
            setTagsOpen(false);
            void run('POST', `${base}/tags`, { tagIds: chosen });
          }}
        >
          {t('save')}
        </button>
      </Disclosure>
      <button type="button" onClick={() => void toggleStatus()}>
        {c.status === 'Closed' ? t('reopen') : t('close')}
      </button>
      <button type="button" onClick={() => void markUnread()}>
        {t('markUnread')}
      </button>
      {c.assigneeName && (
        <span class="assignee" dir="auto">
          {c.assigneeName}
        </span>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

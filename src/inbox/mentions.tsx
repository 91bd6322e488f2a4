import type { RefObject } from 'preact';
import { useState } from 'preact/hooks';
import { t } from './i18n.js';
import { displayName } from './store.js';
import type { WorkspaceUser } from './types.js';

/** A "Mention" button listing people; choosing one inserts `@userId` (the form the server reads) at the caret. */
export function MentionPicker(props: { users: WorkspaceUser[]; target: RefObject<HTMLTextAreaElement>; onInsert: (text: string) => void }) {
  const [open, setOpen] = useState(false);
  const people = props.users.filter((u) => !u.isAiAgent);
  const insert = (u: WorkspaceUser) => {
    const el = props.target.current;
    if (!el) return;
    const at = el.selectionStart ?? el.value.length;
    const token = `@${u.id} `;
    const text = el.value.slice(0, at) + token + el.value.slice(el.selectionEnd ?? at);
    props.onInsert(text);
    setOpen(false);
    requestAnimationFrame(() => {
      el.focus();
      el.setSelectionRange(at + token.length, at + token.length);
    });
  };
  return (
    <span class="popover-anchor">
      <button type="button" aria-expanded={open} onClick={() => setOpen(!open)} onKeyDown={(e) => e.key === 'Escape' && setOpen(false)}>
        {t('mention')}
      </button>
      {open && (
        <ul class="popover" aria-label={t('mention')} onKeyDown={(e) => e.key === 'Escape' && (setOpen(false), props.target.current?.focus())}>
          {people.map((u) => (
            <li key={u.id}>
              <button type="button" dir="auto" onClick={() => insert(u)}>
                {displayName(u)}
              </button>
            </li>
          ))}
        </ul>
      )}
    </span>
  );
}

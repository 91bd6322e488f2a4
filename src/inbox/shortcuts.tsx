import { useEffect, useLayoutEffect, useRef } from 'preact/hooks';
import { t } from './i18n.js';
import type { Key } from './messages.js';

/** Shortcuts matched on `KeyboardEvent.code` (an Arabic layout works), never inside a text field. */
export type ShortcutName = 'reply' | 'note' | 'assign' | 'tags' | 'close' | 'search';

const bus = new EventTarget();
/**
 * `fn` hears every shortcut while the component is mounted (its latest `fn`). Subscribed before the
 * browser paints the component, so a key pressed the moment it shows (R as a conversation opens)
 * is never lost to an effect that has not run yet.
 */
export function useShortcut(fn: (name: ShortcutName) => void) {
  const latest = useRef(fn);
  latest.current = fn;
  useLayoutEffect(() => {
    const listener = (e: Event) => latest.current((e as CustomEvent<ShortcutName>).detail);
    bus.addEventListener('shortcut', listener);
    return () => bus.removeEventListener('shortcut', listener);
  }, []);
}
const fire = (name: ShortcutName) => bus.dispatchEvent(new CustomEvent('shortcut', { detail: name }));

const CODES: Record<string, ShortcutName> = { KeyR: 'reply', KeyN: 'note', KeyA: 'assign', KeyT: 'tags', KeyE: 'close', Slash: 'search' };

export const inTextField = (el: EventTarget | null) =>
  el instanceof HTMLElement && (el.isContentEditable || el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement || (el instanceof HTMLInputElement && !['checkbox', 'radio', 'button', 'submit'].includes(el.type)));

export function useShortcuts(actions: { next: () => void; previous: () => void; help: () => void }) {
  const ref = useRef(actions);
  ref.current = actions;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
      if (e.code === 'Escape') {
        if (inTextField(e.target)) (e.target as HTMLElement).blur();
        return;
      }
      if (inTextField(e.target)) return;
      if (e.code === 'Slash' && e.shiftKey) return (e.preventDefault(), ref.current.help());
      if (e.shiftKey) return;
      if (e.code === 'KeyJ') return (e.preventDefault(), ref.current.next());
      if (e.code === 'KeyK') return (e.preventDefault(), ref.current.previous());
      const name = CODES[e.code];
      if (name) {
        e.preventDefault();
        fire(name);
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);
}

const LIST: [string, Key][] = [
  ['J', 'kNext'],
  ['K', 'kPrev'],
  ['R', 'kReply'],
  ['N', 'kNote'],
  ['A', 'kAssign'],
  ['T', 'kTags'],
  ['E', 'kClose'],
  ['/', 'kSearch'],
  ['Esc', 'kEsc'],
  ['Ctrl/⌘ + Enter', 'kSend'],
  ['?', 'kHelp'],
];

export function ShortcutsDialog(props: { onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = dialog.current!;
    const back = document.activeElement as HTMLElement | null;
    d.showModal();
    return () => back?.focus();
  }, []);
  return (
    <dialog ref={dialog} aria-label={t('shortcuts')} onClose={props.onClose} class="dialog">
      <h2>{t('shortcuts')}</h2>
      <dl class="shortcuts">
        {LIST.map(([k, label]) => (
          <div key={k}>
            <dt>
              <kbd dir="ltr">{k}</kbd>
            </dt>
            <dd>{t(label)}</dd>
          </div>
        ))}
      </dl>
      <form method="dialog">
        <button type="submit" class="primary">
          {t('close')}
        </button>
      </form>
    </dialog>
  );
}

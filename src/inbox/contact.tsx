import { useEffect, useId, useState } from 'preact/hooks';
import { api, ApiError, query } from './api.js';
import { dateTime, t } from './i18n.js';
import { conversationPath } from './routes.js';
import { linkClick } from './router.js';
import type { Conversation } from './types.js';

interface PropertyValue {
  propertyDefinitionId: string;
  value: unknown;
}
interface Contact {
  id: string;
  name: string;
  phoneNumber: string;
  email: string | null;
  customProperties: PropertyValue[];
}
interface Definition {
  id: string;
  name: string;
  type: number; // 1 Text, 2 Number, 3 Select, 4 Date, 5 Boolean, 6 MultiSelect, 7 Url, 8 Email, 9 Phone
  selectOptions: { value: string }[];
}
interface HistoryItem {
  id: string;
  propertyName: string;
  oldValue: string | null;
  newValue: string | null;
  creationTime: string;
}

/** The contact beside the conversation: typed properties (editable), their history, other conversations. */
export function ContactPanel(props: { conversation: Conversation; onOpen: (id: string) => void }) {
  const c = props.conversation;
  const [contact, setContact] = useState<Contact | null>(null);
  const [defs, setDefs] = useState<Definition[]>([]);
  const [history, setHistory] = useState<HistoryItem[]>([]);
  const [others, setOthers] = useState<Conversation[]>([]);

  const loadHistory = () =>
    api<{ items: HistoryItem[] }>('GET', `/v1/contacts/${c.contactId}/history${query({ MaxResultCount: 20, Sorting: 'CreationTime DESC' })}`).then((r) => setHistory(r.items), () => {});
  useEffect(() => {
    api<Contact>('GET', `/v1/contacts/${c.contactId}`).then(setContact, () => {});
    api<Definition[]>('GET', '/v1/contact-property-definitions').then(setDefs, () => {});
    void loadHistory();
    if (c.channelId)
      api<{ items: Conversation[] }>('GET', `/v2/conversations/service-account/channels/${c.channelId}${query({ ContactIds: c.contactId, MaxResultCount: 20 })}`).then(
        (r) => setOthers(r.items.filter((o) => o.id !== c.id)),
        () => {},
      );
  }, [c.contactId]);

  return (
    <aside class="contact" aria-label={t('contact')}>
      <h2 dir="auto">{contact?.name ?? c.contactName ?? t('unknownContact')}</h2>
      <dl>
        <dt>{t('phone')}</dt>
        <dd>
          <bdi dir="ltr">{contact?.phoneNumber ?? c.phoneNumber}</bdi>
        </dd>
        {contact?.email && (
          <>
            <dt>{t('email')}</dt>
            <dd>
              <bdi dir="ltr">{contact.email}</bdi>
            </dd>
          </>
        )}
      </dl>
      {defs.length > 0 && contact && (
        <section aria-label={t('properties')}>
          <h3>{t('properties')}</h3>
          {defs.map((d) => (
            <PropertyField
              key={d.id}
              def={d}
              value={contact.customProperties.find((p) => p.propertyDefinitionId === d.id)?.value ?? null}
              onSave={async (value) => {
                setContact(await api<Contact>('PUT', `/v1/contacts/${c.contactId}/properties/${d.id}`, { value }));
                await loadHistory();
              }}
            />
          ))}
        </section>
      )}
      {history.length > 0 && (
        <section aria-label={t('history')}>
          <h3>{t('history')}</h3>
          <ol class="history">
            {history.map((h) => (
              <li key={h.id}>
                <span dir="auto">{h.propertyName}</span>: <del dir="auto">{h.oldValue ?? '—'}</del> → <ins dir="auto">{h.newValue ?? '—'}</ins>{' '}
                <time dateTime={h.creationTime}>{dateTime(h.creationTime)}</time>
              </li>
            ))}
          </ol>
        </section>
      )}
      {others.length > 0 && (
        <section aria-label={t('otherConversations')}>
          <h3>{t('otherConversations')}</h3>
          <ul>
            {others.map((o) => (
              <li key={o.id}>
                <a href={conversationPath(o.id)} onClick={linkClick}>
                  {t(o.status === 'Closed' ? 'closed' : 'open')} · <time dateTime={o.lastActivityAt}>{dateTime(o.lastActivityAt)}</time>
                </a>
              </li>
            ))}
          </ul>
        </section>
      )}
    </aside>
  );
}

function PropertyField(props: { def: Definition; value: unknown; onSave: (value: unknown) => Promise<void> }) {
  const id = useId();
  const d = props.def;
  const [error, setError] = useState<string | null>(null);
  const [draft, setDraft] = useState<string | null>(null);
  /** Saves; answers whether it was (a refused value stays in the field beside its error). */
  const save = async (value: unknown) => {
    try {
      await props.onSave(value === '' ? null : value);
      setError(null);
      return true;
    } catch (err) {
      setError(err instanceof ApiError ? err.message : t('error'));
      return false;
    }
  };
  const common = { id, 'aria-invalid': error ? ('true' as const) : undefined, 'aria-describedby': error ? `${id}-e` : undefined };
  const str = props.value === null || props.value === undefined ? '' : String(props.value);
  let input;
  if (d.type === 5) input = <input {...common} type="checkbox" checked={props.value === true} onChange={(e) => void save((e.currentTarget as HTMLInputElement).checked)} />;
  else if (d.type === 3)
    input = (
      <select {...common} value={str} onChange={(e) => void save((e.currentTarget as HTMLSelectElement).value)}>
        <option value="">—</option>
        {d.selectOptions.map((o) => (
          <option key={o.value}>{o.value}</option>
        ))}
      </select>
    );
  else if (d.type === 6) {
    const chosen = Array.isArray(props.value) ? (props.value as string[]) : [];
    input = (
      <select {...common} multiple onChange={(e) => void save(Array.from((e.currentTarget as HTMLSelectElement).selectedOptions, (o) => o.value))}>
        {d.selectOptions.map((o) => (
          <option key={o.value} selected={chosen.includes(o.value)}>
            {o.value}
          </option>
        ))}
      </select>
    );
  } else {
    const type = { 2: 'number', 4: 'date', 7: 'url', 8: 'email', 9: 'tel' }[d.type] ?? 'text';
    const value = d.type === 4 ? str.slice(0, 10) : str;
    input = (
      <input
        {...common}
        type={type}
        dir={type === 'text' ? 'auto' : 'ltr'}
        // What is being typed stays until it is saved: a re-render of the panel meanwhile (its history arriving, a live refresh) must not reset it.
        value={draft ?? value}
        onInput={(e) => setDraft((e.currentTarget as HTMLInputElement).value)}
        onChange={(e) => {
          const raw = (e.currentTarget as HTMLInputElement).value;
          void save(d.type === 2 && raw !== '' ? Number(raw) : raw).then((saved) => saved && setDraft(null));
        }}
      />
    );
  }
  return (
    <div class={d.type === 5 ? 'check' : 'field'}>
      <label for={id} dir="auto">
        {d.name}
      </label>
      {input}
      {error && (
        <p class="error" id={`${id}-e`} role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

import { useEffect, useId, useState } from 'preact/hooks';
import { api, ApiError, query } from './api.js';
import { formErrors } from './auth-pages.js';
import { Field, FormError } from './form.js';
import { currentLang, t } from './i18n.js';
import { templateErrors, templateParameters } from './template-errors.js';
import type { Conversation } from './types.js';

/** One entry of `GET /v1/whatsapp/service-account/templates` (the fields the picker reads). */
interface Template {
  name: string;
  language: string;
  status: string;
  header: { format: string; text: string | null; hasExample: boolean; needsValue: boolean } | null;
  body: string;
  bodyVariables: string[];
  footer: string | null;
  buttons: { index: number; text: string | null; subType: 'url' | 'quick_reply' | null; needsValue: boolean }[];
  sendable: boolean;
}

const VARIABLE = /\{\{\s*([^{}\s]+)\s*\}\}/g;
/** The text with each variable replaced by its value (in the order `order` gives); an empty value keeps its placeholder. */
const fill = (text: string, order: string[], values: string[]) => text.replace(VARIABLE, (whole, name: string) => values[order.indexOf(name)] || whole);
const MEDIA = new Set(['IMAGE', 'VIDEO', 'DOCUMENT']);
/** Meta's language codes compare as one (`en_US` = `en-us`); the person's language first. */
const primary = (code: string) => code.toLowerCase().split(/[-_]/)[0];

/**
 * Outside the 24-hour window: the channel's approved templates, one input per value the chosen one
 * needs (body variables, a media or text header, a link's ending), a live preview, then Send
 * Template. The API's errors show on the input whose value it refused (template-errors.ts).
 */
export function TemplatePicker(props: { conversation: Conversation; lastSeenEventId: string | null; onSent: () => Promise<void> }) {
  const id = useId();
  const channelId = props.conversation.channelId;
  const [catalogue, setCatalogue] = useState<Template[] | null>(null);
  const [name, setName] = useState('');
  const [language, setLanguage] = useState('');
  const [vars, setVars] = useState<string[]>([]);
  const [header, setHeader] = useState('');
  const [buttons, setButtons] = useState<Record<number, string>>({});
  const [errors, setErrors] = useState<ReturnType<typeof formErrors>>({ form: null, fields: {} });
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let live = true;
    setCatalogue(null);
    api<{ items: Template[] }>('GET', `/v1/whatsapp/service-account/templates${query({ channelId, maxResultCount: 1000 })}`)
      .then((page) => {
        if (live) setCatalogue(page.items.filter((x) => x.status.toUpperCase() === 'APPROVED' && x.sendable));
      })
      .catch((err: unknown) => {
        if (!live) return;
        setCatalogue([]);
        setErrors(formErrors(err, []));
      });
    return () => void (live = false);
  }, [channelId]);

  const names = [...new Set((catalogue ?? []).map((x) => x.name))];
  const languages = (catalogue ?? []).filter((x) => x.name === name);
  const chosen = languages.find((x) => x.language === language);
  const format = chosen?.header?.format ?? '';

  const choose = (next: string, lang?: string) => {
    const options = (catalogue ?? []).filter((x) => x.name === next);
    setName(next);
    setLanguage(lang ?? (options.find((x) => primary(x.language) === currentLang()) ?? options[0])?.language ?? '');
    setVars([]);
    setHeader('');
    setButtons({});
    setErrors({ form: null, fields: {} });
  };

  const send = async (e: Event) => {
    e.preventDefault();
    if (!chosen) return;
    setBusy(true);
    const built = templateParameters(chosen, { header, vars, buttons });
    try {
      await api('POST', '/v1/whatsapp/service-account/sendTemplate', {
        channelId,
        toNumber: props.conversation.phoneNumber,
        templateName: chosen.name,
        language: chosen.language,
        parameters: built.parameters,
        ...(props.lastSeenEventId ? { lastSeenEventId: props.lastSeenEventId } : {}),
      });
      choose(chosen.name, chosen.language);
      await props.onSent();
    } catch (err) {
      const mapped = err instanceof ApiError && err.status !== 0 ? templateErrors(err, built.parts) : formErrors(err, []);
      setErrors(mapped.form || Object.keys(mapped.fields).length ? mapped : { form: t('error'), fields: {} });
    } finally {
      setBusy(false);
    }
  };

  const f = errors.fields;
  const needed = chosen ? chosen.bodyVariables.length + (chosen.header && (format === 'TEXT' ? chosen.header.needsValue : MEDIA.has(format)) ? 1 : 0) + chosen.buttons.filter((b) => b.needsValue).length : 0;
  // The Variables group (its message is the form's when the template asks for no value).
  const group = !!chosen && needed > 0;
  return (
    <form class="template" onSubmit={send} aria-label={t('template')}>
      {catalogue === null ? (
        <p role="status">{t('loading')}</p>
      ) : !names.length ? (
        <p>{t('noTemplates')}</p>
      ) : (
        <div class="field">
          <label for={`${id}-name`}>{t('template')}</label>
          <select id={`${id}-name`} required value={name} onChange={(e) => choose(e.currentTarget.value)} aria-invalid={f.templateName ? 'true' : undefined} aria-describedby={f.templateName ? `${id}-name-error` : undefined}>
            <option value="">{t('chooseTemplate')}</option>
            {names.map((n) => (
              <option key={n} value={n} dir="ltr">
                {n}
              </option>
            ))}
          </select>
          {f.templateName && (
            <p class="error" id={`${id}-name-error`} role="alert">
              {f.templateName}
            </p>
          )}
        </div>
      )}
      {languages.length > 1 && (
        <div class="field">
          <label for={`${id}-lang`}>{t('templateLanguage')}</label>
          <select id={`${id}-lang`} value={language} onChange={(e) => choose(name, e.currentTarget.value)} dir="ltr">
            {languages.map((x) => (
              <option key={x.language} value={x.language}>
                {x.language}
              </option>
            ))}
          </select>
        </div>
      )}
      {f.language && (
        <p class="error" role="alert">
          {f.language}
        </p>
      )}
      {group && (
        <fieldset aria-describedby={f.variables ? `${id}-vars-error` : undefined}>
          <legend>{t('variables')}</legend>
          {chosen.header && format === 'TEXT' && chosen.header.needsValue && <Field label={t('headerVariable')} name="header" required value={header} onInput={setHeader} error={f.header} />}
          {chosen.header && MEDIA.has(format) && (
            <Field
              label={t(`header${format}` as 'headerIMAGE')}
              name="media"
              type="url"
              dir="ltr"
              required={chosen.header.needsValue}
              hint={chosen.header.hasExample ? t('headerExample') : undefined}
              value={header}
              onInput={setHeader}
              error={f.header}
            />
          )}
          {chosen.bodyVariables.map((_, i) => (
            <Field key={`${chosen.name}-${chosen.language}-${i}`} label={t('variable', { n: i + 1 })} name={`var${i}`} required value={vars[i] ?? ''} error={f[`var${i}`]} onInput={(value) => setVars(chosen.bodyVariables.map((__, j) => (j === i ? value : (vars[j] ?? ''))))} />
          ))}
          {chosen.buttons
            .filter((b) => b.needsValue)
            .map((b) => (
              <Field key={b.index} label={t('buttonSuffix', { button: b.text ?? String(b.index + 1) })} name={`button${b.index}`} dir="ltr" required value={buttons[b.index] ?? ''} error={f[`button${b.index}`]} onInput={(value) => setButtons({ ...buttons, [b.index]: value })} />
            ))}
          {f.variables && (
            <p class="error" id={`${id}-vars-error`} role="alert">
              {f.variables}
            </p>
          )}
        </fieldset>
      )}
      {chosen && (
        <figure class="event out">
          <figcaption class="who">{t('preview')}</figcaption>
          {chosen.header && format === 'TEXT' && chosen.header.text && (
            <p class="who" dir="auto">
              {fill(chosen.header.text, ['1'], [header])}
            </p>
          )}
          {chosen.header && MEDIA.has(format) && (
            <p class="status">
              {t(`header${format}` as 'headerIMAGE')}: <bdi dir="ltr">{header.trim() || '…'}</bdi>
            </p>
          )}
          <p class="text" dir="auto">
            {fill(chosen.body, chosen.bodyVariables, vars)}
          </p>
          {chosen.footer && (
            <p class="status" dir="auto">
              {chosen.footer}
            </p>
          )}
          {chosen.buttons.map((b) => (
            <p key={b.index} class="status" dir="auto">
              {b.text ?? ''}
            </p>
          ))}
        </figure>
      )}
      <FormError>{errors.form ?? (group ? null : f.variables)}</FormError>
      <button type="submit" class="primary" disabled={busy || !chosen}>
        {t('sendTemplate')}
      </button>
    </form>
  );
}

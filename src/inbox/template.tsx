import { useState } from 'preact/hooks';
import { api } from './api.js';
import { formErrors } from './auth-pages.js';
import { Field, FormError } from './form.js';
import { currentLang, t } from './i18n.js';
import type { Conversation } from './types.js';

/** Outside the 24-hour window: a template by name and language, its body variables, a preview. */
export function TemplatePicker(props: { conversation: Conversation; lastSeenEventId: string | null; onSent: () => Promise<void> }) {
  const [name, setName] = useState('');
  const [language, setLanguage] = useState<string>(currentLang());
  const [vars, setVars] = useState<string[]>([]);
  const [errors, setErrors] = useState<ReturnType<typeof formErrors>>({ form: null, fields: {} });
  const [busy, setBusy] = useState(false);

  const send = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      await api('POST', '/v1/whatsapp/service-account/sendTemplate', {
        channelId: props.conversation.channelId,
        toNumber: props.conversation.phoneNumber,
        templateName: name,
        language,
        parameters: vars.length ? [{ type: 'Body', values: vars.map((text) => ({ type: 'text', text })) }] : [],
        ...(props.lastSeenEventId ? { lastSeenEventId: props.lastSeenEventId } : {}),
      });
      setErrors({ form: null, fields: {} });
      setVars([]);
      await props.onSent();
    } catch (err) {
      setErrors(formErrors(err, ['templateName', 'language', 'parameters', 'text']));
    } finally {
      setBusy(false);
    }
  };
  const varError = errors.fields.parameters ?? errors.fields.text;
  return (
    <form class="template" onSubmit={send} aria-label={t('template')}>
      <Field label={t('templateName')} name="templateName" dir="ltr" required value={name} onInput={setName} error={errors.fields.templateName} />
      <Field label={t('templateLanguage')} name="language" dir="ltr" required value={language} onInput={setLanguage} error={errors.fields.language} />
      <fieldset>
        <legend>{t('variables')}</legend>
        {vars.map((v, i) => (
          <Field key={i} label={t('variable', { n: i + 1 })} name={`var${i}`} value={v} onInput={(value) => setVars(vars.map((old, j) => (j === i ? value : old)))} />
        ))}
        {varError && (
          <p class="error" role="alert">
            {varError}
          </p>
        )}
        <button type="button" onClick={() => setVars([...vars, ''])}>
          {t('addVariable')}
        </button>
      </fieldset>
      <p class="preview">
        <span>{t('preview')}: </span>
        <bdi dir="ltr">{`${name || '…'} (${language})`}</bdi> {vars.map((v, i) => <bdi key={i} dir="auto">{`{{${i + 1}}} = ${v}`} </bdi>)}
      </p>
      <FormError>{errors.form}</FormError>
      <button type="submit" class="primary" disabled={busy || !name}>
        {t('sendTemplate')}
      </button>
    </form>
  );
}

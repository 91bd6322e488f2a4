import { useEffect, useId, useState } from 'preact/hooks';
import { api } from './api.js';
import { formErrors } from './auth-pages.js';
import { FormError } from './form.js';
import { t } from './i18n.js';
import { linkClick, navigate } from './router.js';
import type { Me } from './types.js';

/** Language and digits (`PATCH /v1/auth/me`), sign out everywhere. */
export function Settings(props: { me: Me; onChange: (me: Me | null) => void }) {
  const [language, setLanguage] = useState(props.me.language ?? '');
  const [digits, setDigits] = useState(props.me.digits ?? '');
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const langId = useId();
  const digitsId = useId();
  useEffect(() => void (document.title = `${t('settings')} · ${t('appName')}`), []);

  const save = async (e: Event) => {
    e.preventDefault();
    try {
      const me = await api<Me>('PATCH', '/v1/auth/me', { language: language || null, digits: digits || null });
      props.onChange(me);
      setStatus(t('saved'));
    } catch (err) {
      setError(formErrors(err, []).form);
    }
  };
  const everywhere = async () => {
    await api('POST', '/v1/auth/logout-everywhere').catch(() => {});
    props.onChange(null);
    navigate('/inbox', { replace: true });
  };
  return (
    <main class="auth">
      <h1>{t('settings')}</h1>
      <form onSubmit={save}>
        <div class="field">
          <label for={langId}>{t('language')}</label>
          <select id={langId} value={language} onChange={(e) => setLanguage((e.currentTarget as HTMLSelectElement).value as Me['language'] & string)}>
            <option value="">{t('browserDefault')}</option>
            <option value="ar" lang="ar">
              العربية
            </option>
            <option value="en" lang="en">
              English
            </option>
          </select>
        </div>
        <div class="field">
          <label for={digitsId}>{t('digits')}</label>
          <select id={digitsId} value={digits} onChange={(e) => setDigits((e.currentTarget as HTMLSelectElement).value as Me['digits'] & string)}>
            <option value="">{t('browserDefault')}</option>
            <option value="latn">{t('latnDigits')}</option>
            <option value="arab">{t('arabDigits')}</option>
          </select>
        </div>
        <FormError>{error}</FormError>
        <p role="status">{status}</p>
        <button type="submit" class="primary">
          {t('save')}
        </button>
      </form>
      <p>
        <button type="button" onClick={everywhere}>
          {t('signOutEverywhere')}
        </button>
      </p>
      <a href="/inbox" onClick={linkClick}>
        {t('backToInbox')}
      </a>
    </main>
  );
}

import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from './api.js';
import { Field, FormError } from './form.js';
import { t } from './i18n.js';
import { linkClick } from './router.js';
import type { Me } from './types.js';

/** The message of an API error for a form: on its field when it names one, else for the form. */
export function formErrors(e: unknown, fields: string[]): { form: string | null; fields: Record<string, string> } {
  if (!(e instanceof ApiError)) return { form: t('error'), fields: {} };
  if (e.status === 0) return { form: t('networkError'), fields: {} };
  const out: Record<string, string> = {};
  for (const f of fields) {
    const m = e.field(f);
    if (m) out[f] = m;
  }
  return { form: Object.keys(out).length ? null : e.message || t('error'), fields: out };
}

export function SignIn(props: { onSignedIn: (me: Me) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<ReturnType<typeof formErrors>>({ form: null, fields: {} });
  useEffect(() => void (document.title = t('signInTitle')), []);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      props.onSignedIn(await api<Me>('POST', '/v1/auth/login', { email, password }, { quiet401: true }));
    } catch (err) {
      setErrors(formErrors(err, ['email', 'password']));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="auth">
      <h1>{t('signInTitle')}</h1>
      <form onSubmit={submit} noValidate={false}>
        <Field label={t('email')} name="email" type="email" autoComplete="username" dir="ltr" required value={email} onInput={setEmail} error={errors.fields.email} />
        <Field label={t('password')} name="password" type="password" autoComplete="current-password" dir="ltr" required value={password} onInput={setPassword} error={errors.fields.password} />
        <FormError>{errors.form}</FormError>
        <button type="submit" class="primary" disabled={busy}>
          {t('signIn')}
        </button>
      </form>
    </main>
  );
}

interface LinkInfo {
  purpose: 'invitation' | 'password-reset';
  name: string | null;
  email: string | null;
  emailRequired: boolean;
  workspaceName: string;
}

/** `/inbox/welcome#token=…`: an invitation or a reset link; the token never reaches a server log. */
export function Welcome(props: { onSignedIn: (me: Me) => void }) {
  const [token] = useState(() => new URLSearchParams(location.hash.slice(1)).get('token') ?? '');
  const [info, setInfo] = useState<LinkInfo | null>(null);
  const [gone, setGone] = useState<string | null>(token ? null : t('linkMissing'));
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<ReturnType<typeof formErrors>>({ form: null, fields: {} });

  useEffect(() => {
    if (location.hash) history.replaceState(null, '', location.pathname);
    if (!token) return;
    api<LinkInfo>('POST', '/v1/auth/link', { token }, { quiet401: true }).then(setInfo, (e: unknown) =>
      setGone(e instanceof ApiError && e.status === 410 ? t('linkGone') : e instanceof ApiError && e.status !== 0 ? e.message : t('networkError')),
    );
  }, [token]);
  useEffect(() => void (document.title = info?.purpose === 'password-reset' ? t('resetTitle') : t('welcomeTitle', { workspace: info?.workspaceName ?? t('appName') })), [info]);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      const body = { token, password, ...(info?.emailRequired ? { email } : {}) };
      props.onSignedIn(await api<Me>('POST', '/v1/auth/password', body, { quiet401: true }));
    } catch (err) {
      if (err instanceof ApiError && err.status === 410) setGone(t('linkGone'));
      else setErrors(formErrors(err, ['email', 'password']));
    } finally {
      setBusy(false);
    }
  };

  if (gone)
    return (
      <main class="auth">
        <h1>{t('appName')}</h1>
        <p role="alert">{gone}</p>
        <a href="/inbox" onClick={linkClick}>
          {t('signIn')}
        </a>
      </main>
    );
  if (!info) return <p class="loading" role="status">{t('loading')}</p>;
  return (
    <main class="auth">
      <h1 dir="auto">{info.purpose === 'password-reset' ? t('resetTitle') : t('welcomeTitle', { workspace: info.workspaceName })}</h1>
      <form onSubmit={submit}>
        {!info.emailRequired && info.email && <input type="email" name="email" autoComplete="username" value={info.email} hidden readOnly />}
        {info.emailRequired && <Field label={t('email')} name="email" type="email" autoComplete="username" dir="ltr" required value={email} onInput={setEmail} error={errors.fields.email} />}
        <Field label={t('newPassword')} name="password" type="password" autoComplete="new-password" dir="ltr" required value={password} onInput={setPassword} hint={t('passwordRule')} error={errors.fields.password} />
        <FormError>{errors.form}</FormError>
        <button type="submit" class="primary" disabled={busy}>
          {t('setPassword')}
        </button>
      </form>
    </main>
  );
}

export function NotFound() {
  useEffect(() => void (document.title = `${t('notFoundTitle')} · ${t('appName')}`), []);
  return (
    <main class="auth">
      <h1>{t('notFoundTitle')}</h1>
      <p>{t('notFoundBody')}</p>
      <a href="/inbox" onClick={linkClick}>
        {t('backToInbox')}
      </a>
    </main>
  );
}

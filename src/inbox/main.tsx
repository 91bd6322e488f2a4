import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import './styles.css';
import { api, dropPrefetched, onSignedOut, prefetch } from './api.js';
import { setLocale, t } from './i18n.js';
import { Inbox, listUrls } from './inbox.js';
import { NotFound, SignIn, Welcome } from './auth-pages.js';
import { Settings } from './settings.js';
import { navigate, useLocation } from './router.js';
import { matchRoute } from './routes.js';
import { DIRECTORY } from './store.js';
import type { Me } from './types.js';

// The first screen's requests leave at once, in parallel, before anything renders.
const first = matchRoute(location.pathname);
if (first.page === 'inbox') {
  const urls = listUrls(new URLSearchParams(location.search));
  for (const url of ['/v1/auth/me', DIRECTORY.users, DIRECTORY.channels, DIRECTORY.tags, urls.list, urls.counts]) prefetch(url);
}

function App() {
  const { route } = useLocation();
  const [me, setMe] = useState<Me | null | undefined>(undefined);

  useEffect(() => {
    // The welcome page signs in by its link: no need to ask who is signed in first.
    if (route.page === 'welcome') setMe(null);
    else
      api<Me>('GET', '/v1/auth/me', undefined, { quiet401: true }).then(setMe, () => {
        dropPrefetched();
        setMe(null);
      });
    return onSignedOut(() => setMe(null));
  }, []);
  if (me) setLocale(me.language, me.digits);
  else if (me === null) setLocale(null, null);

  const signedIn = (person: Me) => {
    setMe(person);
    if (route.page === 'welcome' || route.page === 'sign-in') navigate('/inbox', { replace: true });
  };

  if (route.page === 'welcome') return <Welcome onSignedIn={signedIn} />;
  if (me === undefined) return <p class="loading" role="status">{t('loading')}</p>;
  if (route.page === 'not-found') return <NotFound />;
  if (me === null) return <SignIn onSignedIn={signedIn} />;
  if (route.page === 'sign-in') {
    navigate('/inbox', { replace: true });
    return null;
  }
  if (route.page === 'settings') return <Settings me={me} onChange={setMe} />;
  // Keyed by language and digits: a change re-renders every formatted text.
  return <Inbox key={`${me.language}-${me.digits}`} me={me} conversationId={route.conversationId} onSignedOut={() => setMe(null)} />;
}

render(<App />, document.getElementById('app')!);

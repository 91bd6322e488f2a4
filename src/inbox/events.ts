import { createSseParser, type SseFrame } from './sse.js';

/**
 * Live events, ONE stream per browser: the tab holding the Web Lock `wasl-events` reads
 * `GET /v1/events` (fetch + the streaming parser, so it sends `Last-Event-ID` itself after a drop or
 * a change of leader; the last position is kept in localStorage) and rebroadcasts each frame on a
 * BroadcastChannel; the other tabs listen. When the leader closes, another tab takes the lock.
 */
export type LiveState = 'connecting' | 'live' | 'offline';

const LOCK = 'wasl-events';

export function startEvents(userId: string, onFrame: (frame: SseFrame) => void, onState: (state: LiveState) => void): () => void {
  const storageKey = `wasl:lastEventId:${userId}`;
  const channel = new BroadcastChannel(LOCK);
  channel.onmessage = (e: MessageEvent<SseFrame | { state: LiveState }>) => {
    if ('state' in e.data) onState(e.data.state);
    else onFrame(e.data);
  };
  const stop = new AbortController();
  let wake: () => void = () => {};
  const online = () => wake();
  addEventListener('online', online);

  const setState = (state: LiveState) => {
    onState(state);
    channel.postMessage({ state });
  };

  const lead = async () => {
    let retry = 2500;
    while (!stop.signal.aborted) {
      const last = localStorage.getItem(storageKey);
      try {
        const res = await fetch('/v1/events', {
          credentials: 'same-origin',
          headers: { accept: 'text/event-stream', ...(last ? { 'last-event-id': last } : {}) },
          signal: stop.signal,
          cache: 'no-store',
        });
        if (res.status === 401) {
          const frame = { id: null, event: 'unauthorized', data: '' };
          onFrame(frame);
          channel.postMessage(frame);
          return;
        }
        if (res.status === 400 && last) localStorage.removeItem(storageKey); // a position this server never gave
        if (res.ok && res.body) {
          setState('live');
          const parser = createSseParser(
            (frame) => {
              if (frame.id !== null) localStorage.setItem(storageKey, frame.id);
              if (!frame.event) return;
              onFrame(frame);
              channel.postMessage(frame);
            },
            (ms) => (retry = ms),
          );
          const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            parser.push(value);
          }
        }
      } catch {
        if (stop.signal.aborted) return;
      }
      setState(navigator.onLine ? 'connecting' : 'offline');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, retry + Math.random() * 500);
        wake = () => (clearTimeout(timer), resolve());
      });
    }
  };

  if ('locks' in navigator) {
    navigator.locks.request(LOCK, { signal: stop.signal }, lead).catch(() => {});
  } else {
    void lead();
  }

  return () => {
    stop.abort();
    removeEventListener('online', online);
    wake();
    channel.close();
  };
}

import type { Clock } from '../../../lib/clock.js';
import type { CallEnd, GatherOutcome, HangupCause, LiveCall, Prompt } from '../port.js';
import { causeOfReason, reasonHeader } from './causes.js';
import { ALLOW, destinationOf, inDialogRequest, newTag, responseTo, type Dialog } from './dialog.js';
import { digestAuthorization, parseChallenge } from './digest.js';
import type { RtpSession } from './media/rtp-session.js';
import { header, headerAll, type SipRequest, type SipResponse } from './message.js';
import { parseAnswer, type G711 } from './sdp.js';
import { after, type SipTimers, type TransactionLayer } from './transaction.js';
import type { SipTransport } from './transport.js';

/**
 * An answered SIP call as the port's LiveCall: prompts go out as RTP through the RtpSession, keys
 * come from it (RFC 4733 or in-band) or in SIP INFO (application/dtmf-relay); BYE either way; no
 * RTP for `mediaTimeoutMs` hangs up with MEDIA_TIMEOUT. A re-INVITE or UPDATE is answered with our
 * same SDP (its offer, if any, re-points RTP). The call owns its transport and RTP session and
 * closes both when it ends.
 */

export interface CallDeps {
  clock: Clock;
  transport: SipTransport;
  layer: TransactionLayer;
  rtp: RtpSession;
  timers: SipTimers;
  dialog: Dialog;
  /** Our SDP (offered in the INVITE), answered again to a re-INVITE. */
  offer: string;
  codecs: G711[];
  /** 0 turns the media time-out off. */
  mediaTimeoutMs: number;
  /** Aborting hangs up (BYE). */
  signal?: AbortSignal;
  credentials?: { username: string; password: string } | null;
}

const DIGIT = /^[0-9*#A-D]$/;

/** The key of a SIP INFO: `Signal=5` (application/dtmf-relay) or `5` (application/dtmf). */
function infoDigit(request: SipRequest): string | null {
  const type = (header(request, 'Content-Type') ?? '').toLowerCase();
  const body = request.body.trim();
  const signal = type.includes('dtmf-relay') ? /Signal\s*=\s*(\S+)/i.exec(body)?.[1] : type.includes('application/dtmf') ? body : undefined;
  const digit = signal === '10' ? '*' : signal === '11' ? '#' : signal?.toUpperCase();
  return digit && DIGIT.test(digit) ? digit : null;
}

export function createSipCall(deps: CallDeps): LiveCall {
  const { clock, transport, layer, rtp, dialog } = deps;
  let end: CallEnd | null = null;
  let resolveEnded!: (e: CallEnd) => void;
  const ended = new Promise<CallEnd>((resolve) => (resolveEnded = resolve));
  const endListeners = new Set<(e: CallEnd) => void>();
  let waiter: ((digit: string) => void) | null = null;
  const offDigit = rtp.onDigit((digit) => waiter?.(digit));
  let stopMediaCheck = () => {};

  let closed!: () => void;
  const whenClosed = new Promise<void>((resolve) => (closed = resolve));
  const close = () => {
    layer.close();
    transport.close();
    void rtp.close().then(closed, closed);
  };

  /** Sends BYE (answering one digest challenge), then closes; the call is already ended for the caller. */
  async function sendBye(cause: HangupCause, credentials?: [string, string]) {
    const reason = reasonHeader(cause);
    const extra: [string, string][] = [...(reason ? [['Reason', reason] as [string, string]] : []), ...(credentials ? [credentials] : [])];
    const bye = inDialogRequest(dialog, transport, 'BYE', extra);
    layer.send(bye, await destinationOf(dialog, transport), {
      onResponse(response) {
        if (response.status < 200) return;
        const challenged = (response.status === 401 || response.status === 407) && !credentials && deps.credentials;
        if (challenged) return void authorizedBye(response, cause).catch(close);
        close();
      },
      onTimeout: close,
    });
  }

  async function authorizedBye(response: SipResponse, cause: HangupCause) {
    const proxy = response.status === 407;
    const challenge = headerAll(response, proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate').map(parseChallenge).find(Boolean);
    if (!challenge || !deps.credentials) return close();
    const value = digestAuthorization({ challenge, method: 'BYE', uri: dialog.remoteTarget, ...deps.credentials });
    await sendBye(cause, [proxy ? 'Proxy-Authorization' : 'Authorization', value]);
  }

  /** Ends the call once: wakes every waiter, then BYE (when we end it) or closes at once (they did). */
  function terminate(e: Omit<CallEnd, 'at'>, bye: boolean): CallEnd {
    if (end) return end;
    end = { at: clock.now(), ...e };
    offDigit();
    stopMediaCheck();
    deps.signal?.removeEventListener('abort', onAbort);
    for (const listener of [...endListeners]) listener(end);
    resolveEnded(end);
    if (bye) void sendBye(end.cause).catch(close);
    else close();
    return end;
  }

  const onEnd = (listener: (e: CallEnd) => void) => {
    endListeners.add(listener);
    return () => void endListeners.delete(listener);
  };

  function reanswer(request: SipRequest) {
    if (request.body.trim()) {
      try {
        const answer = parseAnswer(request.body, deps.codecs);
        rtp.connect({ address: answer.address, port: answer.port }, answer.codec, answer.telephoneEvent);
      } catch {
        return layer.respond(request, responseTo(request, 488, 'Not Acceptable Here', { toTag: dialog.localTag }));
      }
    }
    const headers: [string, string][] = [['Contact', dialog.contact], ['Allow', ALLOW], ['Content-Type', 'application/sdp']];
    layer.respond(request, responseTo(request, 200, 'OK', { toTag: dialog.localTag, headers, body: deps.offer }));
  }

  layer.onRequest((request) => {
    if (request.method === 'ACK') return;
    if (header(request, 'Call-ID') !== dialog.callId) return layer.respond(request, responseTo(request, 481, 'Call/Transaction Does Not Exist', { toTag: newTag() }));
    const ok = (headers: [string, string][] = []) => layer.respond(request, responseTo(request, 200, 'OK', { toTag: dialog.localTag, headers }));
    switch (request.method) {
      case 'BYE':
        ok();
        terminate({ by: 'callee', cause: causeOfReason(headerAll(request, 'Reason')), reason: 'BYE' }, false);
        return;
      case 'INVITE':
      case 'UPDATE':
        return reanswer(request);
      case 'OPTIONS':
        return ok([['Allow', ALLOW]]);
      case 'INFO': {
        const digit = infoDigit(request);
        ok();
        if (digit) waiter?.(digit);
        return;
      }
      default:
        layer.respond(request, responseTo(request, 405, 'Method Not Allowed', { toTag: dialog.localTag, headers: [['Allow', ALLOW]] }));
    }
  });
  transport.onFailure((err) => terminate({ by: 'network', cause: 'NETWORK_OUT_OF_ORDER', reason: `SIP transport failed: ${err.message}` }, false));

  const onAbort = () => terminate({ by: 'us', cause: 'NORMAL_CLEARING', reason: 'Aborted' }, true);
  if (deps.signal?.aborted) queueMicrotask(onAbort);
  else deps.signal?.addEventListener('abort', onAbort, { once: true });

  if (deps.mediaTimeoutMs > 0) {
    const every = Math.min(1000, Math.max(10, Math.floor(deps.mediaTimeoutMs / 4)));
    const check = () => {
      if (end) return;
      if (rtp.idleMs() >= deps.mediaTimeoutMs) terminate({ by: 'network', cause: 'MEDIA_TIMEOUT', reason: `No RTP for ${deps.mediaTimeoutMs} ms` }, true);
      else stopMediaCheck = after(clock, every, check);
    };
    stopMediaCheck = after(clock, every, check);
  }

  /** Plays a prompt, stopping it when `stop` aborts or the call ends. */
  async function playUntil(prompt: Prompt, stop: AbortController): Promise<'done' | 'stopped'> {
    const off = onEnd(() => stop.abort());
    try {
      return await rtp.play(prompt.pcm, stop.signal);
    } catch (err) {
      if (end) return 'stopped';
      throw err;
    } finally {
      off();
    }
  }

  return {
    ended,
    async play(prompt) {
      if (end) return { ended: end };
      await playUntil(prompt, new AbortController());
      return end ? { ended: end } : {};
    },
    gather(prompt, { timeoutMs }) {
      if (end) return Promise.resolve({ ended: end });
      return new Promise<GatherOutcome>((resolve, reject) => {
        const playback = new AbortController();
        let settled = false;
        let stopTimer = () => {};
        const finish = (outcome: GatherOutcome) => {
          if (settled) return;
          settled = true;
          waiter = null;
          playback.abort();
          stopTimer();
          offEnded();
          resolve(outcome);
        };
        const offEnded = onEnd((e) => finish({ ended: e }));
        // Barge-in: a key during the prompt stops it; after the prompt, the time-out runs.
        waiter = (digit) => finish({ digit, at: clock.now() });
        const waitForKey = () => {
          if (!settled) stopTimer = after(clock, timeoutMs, () => finish({ timeout: true }));
        };
        if (!prompt) return waitForKey();
        playUntil(prompt, playback).then(
          (result) => (result === 'done' ? waitForKey() : undefined),
          (err) => {
            if (settled) return;
            settled = true;
            waiter = null;
            offEnded();
            reject(err);
          },
        );
      });
    },
    async hangUp(cause = 'NORMAL_CLEARING') {
      const e = terminate({ by: 'us', cause }, true);
      // Wait for the BYE's answer, but not for Timer F (32 s) when the other side has gone silent.
      let stop = () => {};
      await Promise.race([whenClosed, new Promise<void>((resolve) => (stop = after(clock, 4 * deps.timers.t1Ms, resolve)))]);
      stop();
      return e;
    },
  };
}

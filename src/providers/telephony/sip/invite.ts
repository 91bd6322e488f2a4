import type { Clock } from '../../../lib/clock.js';
import type { DialRequest, DialResult } from '../port.js';
import { parseNameAddr, parseUri, uriHost } from './address.js';
import { createSipCall } from './call.js';
import { failureOfStatus, LOCAL_FAILURES, reasonHeader, type Failure } from './causes.js';
import { ALLOW, ackOf2xx, cancelOf, contactOf, destinationOf, inDialogRequest, newBranch, newCallId, newTag, responseTo, USER_AGENT, viaHeader, type Dialog } from './dialog.js';
import { digestAuthorization, parseChallenge } from './digest.js';
import type { RtpSession } from './media/rtp-session.js';
import { header, headerAll, type SipRequest, type SipResponse } from './message.js';
import { buildOffer, parseAnswer, SdpError, type G711, type SdpAnswer } from './sdp.js';
import { after, type SipTimers, type TransactionLayer } from './transaction.js';
import type { SipTransport } from './transport.js';

/**
 * One outbound INVITE to its end (RFC 3261 §13, §17.1.1, §22): offer, provisional responses (ringing,
 * early media), digest challenges, the ring time-out and the caller's abort (CANCEL, §9.1), then a
 * final response. A 2xx is ACKed and becomes a LiveCall (call.ts), which from then on owns the
 * transport and the RTP session; otherwise both are closed once the INVITE transaction is over,
 * which may be after `dial` has answered (a CANCEL still waiting for its 487, a late 2xx to BYE).
 */

export interface AttemptDeps {
  clock: Clock;
  transport: SipTransport;
  layer: TransactionLayer;
  rtp: RtpSession;
  timers: SipTimers;
  mediaTimeoutMs: number;
  host: string;
  port: number;
  fromUser: string;
  codecs: G711[];
  credentials: { username: string; password: string; realm?: string } | null;
}

/** Challenges answered per call at most (a proxy and a registrar, and a stale nonce or two). */
const MAX_CHALLENGES = 4;

const hostPort = (host: string, port: number) => `${uriHost(host)}${port === 5060 ? '' : `:${port}`}`;

export function placeCall(deps: AttemptDeps, request: DialRequest): Promise<DialResult> {
  const { clock, transport, layer, rtp, timers } = deps;
  const dialog: Dialog = {
    callId: newCallId(),
    localUri: `sip:${deps.fromUser}@${hostPort(deps.host, deps.port)}`,
    localTag: newTag(),
    remoteUri: `sip:${request.to}@${hostPort(deps.host, deps.port)}`,
    remoteTag: null,
    remoteTarget: `sip:${request.to}@${hostPort(deps.host, deps.port)}`,
    routeSet: [],
    localSeq: 0,
    contact: contactOf(transport),
  };
  const offer = buildOffer({ address: transport.local.address, port: rtp.localPort, codecs: deps.codecs, sessionId: String(clock.now().getTime()), version: 1 });
  const authHeaders = new Map<string, [string, string]>();
  const answeredRealms = new Set<string>();
  let staleRetries = 0;

  let resolveDial!: (result: DialResult) => void;
  const done = new Promise<DialResult>((resolve) => (resolveDial = resolve));
  let settled = false;
  let finished = false;
  let invite!: SipRequest;
  let responded = false;
  let provisional = false;
  let ringing = false;
  let abandoned: Failure | null = null;
  let cancelSent = false;
  let early: SdpAnswer | null = null;
  let answeredTag: string | null = null;
  let stopCancelWait = () => {};

  const settle = (result: DialResult) => {
    if (settled) return;
    settled = true;
    stopRing();
    request.signal?.removeEventListener('abort', onAbort);
    resolveDial(result);
  };
  const fail = (failure: Failure, reason: string, sipCode?: number) =>
    settle({ answered: false, at: clock.now(), ...failure, reason, ...(sipCode !== undefined && { sipCode }) });
  /** No call came of it: stop timers, close the sockets. */
  const finish = () => {
    if (finished) return;
    finished = true;
    stopRing();
    stopCancelWait();
    layer.close();
    transport.close();
    void rtp.close();
  };

  function buildInvite(): SipRequest {
    dialog.localSeq += 1;
    return {
      kind: 'request',
      method: 'INVITE',
      uri: dialog.remoteUri,
      headers: [
        ['Via', viaHeader(transport, newBranch())],
        ['Max-Forwards', '70'],
        ['From', `<${dialog.localUri}>;tag=${dialog.localTag}`],
        ['To', `<${dialog.remoteUri}>`],
        ['Call-ID', dialog.callId],
        ['CSeq', `${dialog.localSeq} INVITE`],
        ['Contact', dialog.contact],
        ['Allow', ALLOW],
        ['User-Agent', USER_AGENT],
        ['X-Wasl-Call-Id', request.callId],
        ...authHeaders.values(),
        ['Content-Type', 'application/sdp'],
      ],
      body: offer,
    };
  }

  function sendInvite() {
    invite = buildInvite();
    const sent = invite;
    layer.send(sent, transport.server, {
      onResponse: (response) => (sent === invite ? onResponse(response) : undefined),
      onTimeout: () => {
        if (sent !== invite) return;
        fail(LOCAL_FAILURES.noResponse, 'No response from the SIP server (Timer B)');
        finish();
      },
    });
  }

  /** A 401/407 answered with credentials: a new INVITE (next CSeq, same Call-ID and tag), or false when we cannot. */
  function answerChallenge(response: SipResponse): boolean {
    const proxy = response.status === 407;
    if (!deps.credentials) return false;
    const { username, password, realm } = deps.credentials;
    const challenges = headerAll(response, proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate').map(parseChallenge);
    const challenge = challenges.find((c) => c && (!realm || c.realm === realm));
    if (!challenge) return false;
    const key = `${response.status}|${challenge.realm}`;
    // Challenged again for a realm we answered: our credentials were refused (unless the nonce was only stale).
    if ((answeredRealms.has(key) && !challenge.stale) || answeredRealms.size + staleRetries >= MAX_CHALLENGES) return false;
    if (answeredRealms.has(key)) staleRetries++;
    answeredRealms.add(key);
    const name = proxy ? 'Proxy-Authorization' : 'Authorization';
    authHeaders.set(key, [name, digestAuthorization({ challenge, method: 'INVITE', uri: dialog.remoteUri, username, password })]);
    sendInvite();
    return true;
  }

  function sendCancel() {
    if (cancelSent) return;
    cancelSent = true;
    layer.send(cancelOf(invite, abandoned ? reasonHeader(abandoned.cause) : null), transport.server, { onResponse: () => {}, onTimeout: () => {} });
    // §9.1: a UAC that gets no final response 64·T1 after its CANCEL considers the INVITE over.
    stopCancelWait = after(clock, 64 * timers.t1Ms, finish);
  }

  /** A dialog's BYE for a 2xx we do not want (answered after we gave up, or with no codec in common). */
  async function byeUnwanted(cause: Failure['cause']) {
    const reason = reasonHeader(cause);
    const bye = inDialogRequest(dialog, transport, 'BYE', reason ? [['Reason', reason]] : []);
    layer.send(bye, await destinationOf(dialog, transport), { onResponse: (r) => void (r.status >= 200 && finish()), onTimeout: finish });
  }

  async function onAnswer(response: SipResponse) {
    const toTag = parseNameAddr(header(response, 'To') ?? '').params.tag ?? '';
    if (answeredTag !== null) {
      // A retransmitted 2xx: ACK it again (its ACK was lost). Another fork's 2xx: ACK and BYE it.
      if (toTag === answeredTag) layer.sendStateless(ackOf2xx(dialog, transport, invite), await destinationOf(dialog, transport));
      else {
        const fork: Dialog = { ...dialog, remoteTag: toTag, remoteTarget: contactUri(response) ?? dialog.remoteUri, routeSet: routeSetOf(response) };
        layer.sendStateless(ackOf2xx(fork, transport, invite), await destinationOf(fork, transport));
        const bye = inDialogRequest(fork, transport, 'BYE');
        layer.send(bye, await destinationOf(fork, transport), { onResponse: () => {}, onTimeout: () => {} });
      }
      return;
    }
    answeredTag = toTag;
    const at = clock.now();
    dialog.remoteTag = toTag;
    dialog.remoteTarget = contactUri(response) ?? dialog.remoteUri;
    dialog.routeSet = routeSetOf(response);
    layer.sendStateless(ackOf2xx(dialog, transport, invite), await destinationOf(dialog, transport));
    if (abandoned) return void byeUnwanted(abandoned.cause);
    let answer: SdpAnswer | null = early;
    try {
      if (response.body.trim()) answer = parseAnswer(response.body, deps.codecs);
      if (!answer) throw new SdpError('The 2xx carries no SDP answer');
    } catch (err) {
      fail(LOCAL_FAILURES.incompatibleAnswer, `Answered without a usable SDP answer: ${(err as Error).message}`);
      return void byeUnwanted(LOCAL_FAILURES.incompatibleAnswer.cause);
    }
    rtp.connect({ address: answer.address, port: answer.port }, answer.codec, answer.telephoneEvent);
    // A callee that said it will not send (recvonly, inactive) is not timed out for silence.
    const mediaTimeoutMs = answer.direction === 'recvonly' || answer.direction === 'inactive' ? 0 : deps.mediaTimeoutMs;
    const call = createSipCall({ clock, transport, layer, rtp, timers, dialog, offer, mediaTimeoutMs, codecs: deps.codecs, signal: request.signal, credentials: deps.credentials });
    settle({ answered: true, at, call });
  }

  function onResponse(response: SipResponse) {
    responded = true;
    if (response.status < 200) {
      if (response.status === 100) return;
      provisional = true;
      if (abandoned) return sendCancel();
      if (!ringing) {
        ringing = true;
        request.onRinging?.(clock.now());
      }
      // Early media (RFC 3960): a 18x with SDP starts RTP before the answer.
      if (response.body.trim()) {
        try {
          early = parseAnswer(response.body, deps.codecs);
          rtp.connect({ address: early.address, port: early.port }, early.codec, early.telephoneEvent);
        } catch {
          early = null;
        }
      }
      return;
    }
    if (response.status < 300) {
      return void onAnswer(response).catch((err: Error) => {
        fail(LOCAL_FAILURES.transport, `Could not complete the answer: ${err.message}`);
        finish();
      });
    }
    if ((response.status === 401 || response.status === 407) && !abandoned && answerChallenge(response)) return;
    const failure = failureOfStatus(response.status);
    const reason = `${response.status} ${response.reason}`.trim();
    fail(failure, response.status === 401 || response.status === 407 ? `${reason}: authentication failed` : reason, response.status);
    finish();
  }

  function abandon(failure: Failure, reason: string) {
    if (settled) return;
    abandoned = failure;
    fail(failure, reason);
    if (provisional) sendCancel();
    // Without a provisional response a CANCEL may not be sent (§9.1): one arriving later gets it, else Timer B ends it.
  }

  const stopRing = after(clock, request.ringTimeoutMs, () =>
    responded
      ? abandon(LOCAL_FAILURES.ringTimeout, `No answer within ${request.ringTimeoutMs} ms`)
      : abandon(LOCAL_FAILURES.noResponse, `No response from the SIP server within ${request.ringTimeoutMs} ms`),
  );
  const onAbort = () => abandon(LOCAL_FAILURES.aborted, 'Cancelled before the answer');

  layer.onRequest((req) => {
    // Before the answer nothing but OPTIONS is expected from the other side.
    if (req.method === 'ACK') return;
    if (req.method === 'OPTIONS') layer.respond(req, responseTo(req, 200, 'OK', { headers: [['Allow', ALLOW]] }));
    else layer.respond(req, responseTo(req, 481, 'Call/Transaction Does Not Exist'));
  });
  transport.onFailure((err) => {
    if (!settled) fail(LOCAL_FAILURES.transport, `SIP transport failed: ${err.message}`);
    if (!answeredTag) finish();
  });

  if (request.signal?.aborted) {
    fail(LOCAL_FAILURES.aborted, 'Cancelled before dialling');
    finish();
    return done;
  }
  request.signal?.addEventListener('abort', onAbort, { once: true });
  sendInvite();
  return done;
}

function contactUri(response: SipResponse): string | null {
  const contact = header(response, 'Contact');
  if (!contact) return null;
  const uri = parseNameAddr(contact).uri;
  try {
    parseUri(uri);
    return uri;
  } catch {
    return null;
  }
}

const routeSetOf = (response: SipResponse) => headerAll(response, 'Record-Route').reverse();

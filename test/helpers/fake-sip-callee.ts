import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { createServer, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { TestContext } from 'node:test';
import { systemClock } from '../../src/lib/clock.js';
import type { DialResult, LiveCall, Prompt } from '../../src/providers/telephony/port.js';
import { parseNameAddr, parseUri, parseVia } from '../../src/providers/telephony/sip/address.js';
import { responseTo } from '../../src/providers/telephony/sip/dialog.js';
import { verifyDigest } from '../../src/providers/telephony/sip/digest.js';
import { dtmfTone, toneMix } from '../../src/providers/telephony/sip/media/dtmf-generate.js';
import { g711Decode, g711Encode, g711Silence } from '../../src/providers/telephony/sip/media/g711.js';
import { telephoneEventPayloads } from '../../src/providers/telephony/sip/media/rfc4733.js';
import { buildRtp, parseRtp, randomRtpStart } from '../../src/providers/telephony/sip/media/rtp.js';
import { header, parseSipMessage, serializeSipMessage, takeSipFrame, type SipMessage, type SipRequest, type SipResponse } from '../../src/providers/telephony/sip/message.js';
import { parseAnswer, type G711, type SdpAnswer } from '../../src/providers/telephony/sip/sdp.js';
import { createSipTrunk, type SipTrunkOptions, type SipTrunkSettings } from '../../src/providers/telephony/sip/trunk.js';

/** What the callee does after answering, `at` ms after its 200 OK. */
export type CalleeAction =
  | { at: number; press: string; via?: 'rfc4733' | 'inband'; toneMs?: number }
  | { at: number; hangUp: true; reason?: string }
  /** A request in the dialog (re-INVITE, INFO, OPTIONS …); its response lands in `responses`. */
  | { at: number; request: string; contentType?: string; body?: string };

/** One call's script; every time is in ms from the INVITE (or from the answer for `actions`). */
export interface CalleeScript {
  /** Ignore the first N INVITE datagrams (our Timer A must resend). */
  dropInvites?: number;
  /** Challenge the first INVITE; a wrong answer gets 403. */
  challenge?: { status: 401 | 407; realm: string; username: string; password: string; qop?: boolean };
  /** 180 Ringing after this long (default 0); null: none. */
  ringAfterMs?: number | null;
  /** 183 Session Progress with SDP after this long, then a 425 Hz tone as early media until the answer. */
  earlyMediaAfterMs?: number;
  /** A final failure (486, 603 …) after `afterMs` (default 0). */
  reject?: { status: number; reason?: string; afterMs?: number };
  /** 200 OK after this long; absent (and no reject): ring until CANCEL. */
  answerAfterMs?: number;
  /** The 200 OK carries no SDP (the 183's stands, as some gateways do). */
  answerWithoutSdp?: boolean;
  /** Codecs the callee takes (default both): ['PCMA'] answers A-law only; none in common → 488. */
  codecs?: G711[];
  /** Offer telephone-event back (default true); false: keys can only come in-band. */
  telephoneEvent?: boolean;
  /** Ignore the first N ACKs of the 200 OK (it is then retransmitted, and must be ACKed again). */
  dropAcks?: number;
  /** Send RTP (silence between keys) once answered (default true); false lets a media time-out happen. */
  sendRtp?: boolean;
  actions?: CalleeAction[];
}

export interface FakeCall {
  callId: string;
  invites: SipRequest[];
  acks: SipRequest[];
  byes: SipRequest[];
  cancels: SipRequest[];
  /** Other requests from us (OPTIONS, INFO …). */
  others: SipRequest[];
  /** Responses to the callee's own BYE. */
  responses: SipResponse[];
  /** Top Via sent-by differed from the datagram's source (our Via is wrong). */
  viaMismatch: boolean;
  answer: SdpAnswer | null;
  /** RTP from us: `voiced` counts packets that are not silence (a prompt playing). */
  rtp: { packets: number; voiced: number; payloadTypes: Set<number>; arrivals: number[]; ssrcs: Set<number> };
  pressed: string[];
  state: 'inviting' | 'early' | 'answered' | 'confirmed' | 'ended';
}

type Reply = (m: SipMessage) => void;
const CODE_REASONS: Record<number, string> = { 100: 'Trying', 180: 'Ringing', 183: 'Session Progress', 200: 'OK', 401: 'Unauthorized', 403: 'Forbidden', 407: 'Proxy Authentication Required', 486: 'Busy Here', 487: 'Request Terminated', 481: 'Call/Transaction Does Not Exist' };

/**
 * A SIP callee (UAS) on 127.0.0.1 for the trunk's tests, scripted per call: ring, challenge, early
 * media, answer with chosen codecs, press keys by RFC 4733 or in-band tone, hang up, reject. It
 * records every request from us, each call's RTP (count, timing, payload types) and keys sent.
 * UDP by default (responses to the source, as rport asks); `transport: 'tcp'` listens on TCP.
 */
export async function startFakeSipCallee(script: CalleeScript | ((invite: SipRequest) => CalleeScript), options: { transport?: 'udp' | 'tcp' } = {}) {
  const calls = new Map<string, FakeCall & { internal: Internal }>();
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => (timers.delete(t), fn()), ms);
    timers.add(t);
    return t;
  };
  let waiters: (() => void)[] = [];
  const changed = () => waiters.splice(0).forEach((w) => w());

  const udp = dgram.createSocket('udp4');
  const tcpSockets = new Set<Socket>();
  const tcp = createServer((socket) => {
    tcpSockets.add(socket);
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      for (let f = takeSipFrame(pending); f; f = takeSipFrame(pending)) {
        pending = f.rest;
        onMessage(f.message, (m) => socket.write(serializeSipMessage(m)), { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 }, (m) => socket.write(serializeSipMessage(m)));
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => tcpSockets.delete(socket));
  });
  let inflight = 0;
  const sendUdp = (m: SipMessage, address: string, port: number) => {
    inflight++;
    udp.send(serializeSipMessage(m), port, address, () => inflight--);
  };
  udp.on('message', (buf, rinfo) => {
    let m: SipMessage;
    try {
      m = parseSipMessage(buf);
    } catch {
      return;
    }
    const reply: Reply = (r) => sendUdp(r, rinfo.address, rinfo.port);
    // Requests to us go to the Contact we were given (so a wrong Contact shows).
    const toContact: Reply = (r) => {
      const call = calls.get(header(m, 'Call-ID') ?? '');
      const uri = parseUri(call?.internal.contact ?? 'sip:x@127.0.0.1');
      sendUdp(r, uri.host, uri.port ?? 5060);
    };
    onMessage(m, reply, rinfo, toContact);
  });
  if (options.transport === 'tcp') await new Promise<void>((ok) => tcp.listen(0, '127.0.0.1', ok));
  else await new Promise<void>((ok) => udp.bind(0, '127.0.0.1', ok));
  const port = options.transport === 'tcp' ? (tcp.address() as { port: number }).port : udp.address().port;

  interface Internal {
    script: CalleeScript;
    tag: string;
    contact: string;
    lastInvite: SipRequest | null;
    lastResponse: SipResponse | null;
    challenged: boolean;
    nonce: string;
    rtpSocket: dgram.Socket | null;
    rtpTimer: NodeJS.Timeout | null;
    queue: { pt: number; payload: Buffer; marker: boolean; ts?: number }[];
    seq: number;
    cseq: number;
    toRequests: Reply;
    ready: Promise<void>;
  }

  function onMessage(m: SipMessage, reply: Reply, from: { address: string; port: number }, toRequests: Reply) {
    if (m.kind === 'response') {
      calls.get(header(m, 'Call-ID') ?? '')?.responses.push(m);
      return changed();
    }
    const callId = header(m, 'Call-ID') ?? '';
    let call = calls.get(callId);
    if (!call && m.method === 'INVITE') {
      const s = typeof script === 'function' ? script(m) : script;
      call = {
        callId, invites: [], acks: [], byes: [], cancels: [], others: [], responses: [], viaMismatch: false, answer: null,
        rtp: { packets: 0, voiced: 0, payloadTypes: new Set(), arrivals: [], ssrcs: new Set() }, pressed: [], state: 'inviting',
        internal: { script: s, tag: randomBytes(4).toString('hex'), contact: '', lastInvite: null, lastResponse: null, challenged: false, nonce: randomBytes(8).toString('hex'), rtpSocket: null, rtpTimer: null, queue: [], seq: 0, cseq: 100, toRequests, ready: Promise.resolve() },
      };
      calls.set(callId, call);
      call.internal.ready = openRtp(call);
    }
    if (!call) return reply(responseTo(m, 481, CODE_REASONS[481]!));
    const known = call;
    // In order, once the call's RTP socket is open (its SDP names the port).
    known.internal.ready = known.internal.ready.then(() => {
      const via = parseVia(header(m, 'Via') ?? '');
      if (options.transport !== 'tcp' && (via.host !== from.address || via.port !== from.port)) known.viaMismatch = true;
      handle(known, m, reply);
      changed();
    });
  }

  function handle(call: FakeCall & { internal: Internal }, m: SipRequest, reply: Reply) {
    const st = call.internal;
    const send = (status: number, extra: { headers?: [string, string][]; body?: string; to?: SipRequest } = {}) => {
      const r = responseTo(extra.to ?? m, status, CODE_REASONS[status] ?? 'Whatever', { toTag: status > 100 ? st.tag : undefined, headers: extra.headers, body: extra.body });
      if ((extra.to ?? m).method === 'INVITE') st.lastResponse = r;
      reply(r);
      return r;
    };
    switch (m.method) {
      case 'INVITE': {
        call.invites.push(m);
        const s = st.script;
        if (call.invites.length <= (s.dropInvites ?? 0)) return;
        if (st.lastInvite && header(st.lastInvite, 'Via') === header(m, 'Via')) return void (st.lastResponse && reply(st.lastResponse));
        if (call.state !== 'inviting') return void send(200, { headers: [['Contact', `<sip:callee@127.0.0.1:${port}>`], ['Content-Type', 'application/sdp']], body: sdpOf(call) });
        st.lastInvite = m;
        st.contact = parseNameAddr(header(m, 'Contact') ?? '').uri;
        const c = s.challenge;
        if (c && !st.challenged) {
          st.challenged = true;
          const name = c.status === 407 ? 'Proxy-Authenticate' : 'WWW-Authenticate';
          return void send(c.status, { headers: [[name, `Digest realm="${c.realm}", nonce="${st.nonce}", algorithm=MD5${c.qop === false ? '' : ', qop="auth"'}`]] });
        }
        if (c) {
          const given = header(m, c.status === 407 ? 'Proxy-Authorization' : 'Authorization') ?? '';
          if (!verifyDigest(given, { method: 'INVITE', username: c.username, password: c.password, realm: c.realm, nonce: st.nonce })) return void send(403);
        }
        send(100);
        const invite = m;
        if (s.ringAfterMs !== null) later(s.ringAfterMs ?? 0, () => call.state === 'inviting' && send(180, { to: invite }));
        if (s.earlyMediaAfterMs !== undefined) {
          later(s.earlyMediaAfterMs, () => {
            if (call.state !== 'inviting') return;
            let body: string;
            try {
              body = sdpOf(call);
            } catch {
              return finalFailure(call, invite, 488, 'Not Acceptable Here');
            }
            call.state = 'early';
            send(183, { to: invite, headers: [['Content-Type', 'application/sdp']], body });
            startRtp(call, 'tone');
          });
        }
        if (s.reject) later(s.reject.afterMs ?? 0, () => ['inviting', 'early'].includes(call.state) && finalFailure(call, invite, s.reject!.status, s.reject!.reason));
        else if (s.answerAfterMs !== undefined) later(s.answerAfterMs, () => answer(call, invite, reply));
        return;
      }
      case 'ACK':
        call.acks.push(m);
        if (call.acks.length <= (st.script.dropAcks ?? 0)) return;
        if (call.state === 'answered') {
          call.state = 'confirmed';
          runActions(call);
        }
        return;
      case 'CANCEL':
        call.cancels.push(m);
        send(200);
        if (['inviting', 'early'].includes(call.state) && st.lastInvite) finalFailure(call, st.lastInvite, 487);
        return;
      case 'BYE':
        call.byes.push(m);
        send(200);
        end(call);
        return;
      default:
        call.others.push(m);
        send(200);
    }

    function finalFailure(c: FakeCall & { internal: Internal }, invite: SipRequest, status: number, reason?: string) {
      c.state = 'ended';
      stopRtp(c);
      const r = responseTo(invite, status, reason ?? CODE_REASONS[status] ?? 'Failed', { toTag: st.tag });
      st.lastResponse = r;
      reply(r);
    }
  }

  function sdpOf(call: FakeCall & { internal: Internal }): string {
    const st = call.internal;
    const offer = st.lastInvite!.body;
    const answer = parseAnswer(offer, st.script.codecs ?? ['PCMU', 'PCMA']);
    call.answer = answer;
    const te = st.script.telephoneEvent === false ? null : answer.telephoneEvent;
    const rtpPort = st.rtpSocket?.address().port ?? 9;
    return [
      'v=0', `o=callee 1 1 IN IP4 127.0.0.1`, 's=fake', 'c=IN IP4 127.0.0.1', 't=0 0',
      `m=audio ${rtpPort} RTP/AVP ${answer.codec.payloadType}${te !== null ? ` ${te}` : ''}`,
      `a=rtpmap:${answer.codec.payloadType} ${answer.codec.name}/8000`,
      ...(te !== null ? [`a=rtpmap:${te} telephone-event/8000`, `a=fmtp:${te} 0-16`] : []),
      'a=ptime:20', 'a=sendrecv', '',
    ].join('\r\n');
  }

  function answer(call: FakeCall & { internal: Internal }, invite: SipRequest, reply: Reply) {
    if (!['inviting', 'early'].includes(call.state)) return;
    call.state = 'answered';
    const st = call.internal;
    let body: string;
    try {
      body = sdpOf(call);
    } catch {
      call.state = 'ended';
      return reply((st.lastResponse = responseTo(invite, 488, 'Not Acceptable Here', { toTag: st.tag })));
    }
    const sdpHeaders: [string, string][] = st.script.answerWithoutSdp ? [] : [['Content-Type', 'application/sdp']];
    const ok = responseTo(invite, 200, 'OK', { toTag: st.tag, headers: [['Contact', `<sip:callee@127.0.0.1:${port}>`], ...sdpHeaders], body: st.script.answerWithoutSdp ? '' : body });
    st.lastResponse = ok;
    reply(ok);
    // 200 OK is retransmitted until the ACK comes (RFC 3261 §13.3.1.4).
    let interval = 500;
    const again = () => {
      if (call.state !== 'answered') return;
      reply(ok);
      interval = Math.min(interval * 2, 4000);
      later(interval, again);
    };
    later(interval, again);
    stopRtp(call, true);
    if (st.script.sendRtp !== false) startRtp(call, 'silence');
  }

  function runActions(call: FakeCall & { internal: Internal }) {
    const st = call.internal;
    for (const action of st.script.actions ?? []) {
      later(action.at, () => {
        if (call.state !== 'confirmed') return;
        if ('hangUp' in action || 'request' in action) {
          const method = 'hangUp' in action ? 'BYE' : action.request;
          if (method === 'BYE') {
            call.state = 'ended';
            stopRtp(call);
          }
          st.cseq += 1;
          const lastInvite = st.lastInvite!;
          const extra: [string, string][] = 'hangUp' in action ? [['Reason', action.reason ?? 'Q.850;cause=16;text="Normal call clearing"']] : action.contentType ? [['Content-Type', action.contentType]] : [];
          st.toRequests({
            kind: 'request', method, uri: st.contact,
            headers: [['Via', `SIP/2.0/${options.transport === 'tcp' ? 'TCP' : 'UDP'} 127.0.0.1:${port};branch=z9hG4bK${randomBytes(6).toString('hex')}`], ['Max-Forwards', '70'],
              ['From', `${header(lastInvite, 'To')};tag=${st.tag}`], ['To', header(lastInvite, 'From')!], ['Call-ID', call.callId], ['CSeq', `${st.cseq} ${method}`], ...extra],
            body: 'request' in action ? (action.body ?? '') : '',
          });
          return changed();
        }
        call.pressed.push(action.press);
        queueKey(call, action.press, action.via ?? 'rfc4733', action.toneMs ?? 120);
        changed();
      });
    }
  }

  function queueKey(call: FakeCall & { internal: Internal }, key: string, via: 'rfc4733' | 'inband', toneMs: number) {
    const st = call.internal;
    const answer = call.answer!;
    const te = st.script.telephoneEvent === false ? null : answer.telephoneEvent;
    if (via === 'rfc4733' && te !== null) {
      for (const p of telephoneEventPayloads(key, toneMs)) st.queue.push({ pt: te, payload: p.payload, marker: p.marker, ts: -1 });
      return;
    }
    const pcm = dtmfTone(key, toneMs);
    for (let i = 0; i < pcm.length; i += 160) st.queue.push({ pt: answer.codec.payloadType, payload: Buffer.from(g711Encode(answer.codec.name, pcm.subarray(i, i + 160))), marker: false });
  }

  function startRtp(call: FakeCall & { internal: Internal }, fill: 'silence' | 'tone') {
    const st = call.internal;
    const answer = call.answer!;
    const start = randomRtpStart();
    let ts = start.timestamp;
    let eventTs: number | null = null;
    st.seq = start.sequence;
    const silence = Buffer.alloc(160, g711Silence(answer.codec.name));
    const tone = Buffer.from(g711Encode(answer.codec.name, toneMix([{ hz: 425, amplitude: 3000 }], 20)));
    st.rtpTimer = setInterval(() => {
      const item = st.queue.shift();
      const isEvent = item?.ts === -1;
      if (isEvent && eventTs === null) eventTs = ts;
      if (!isEvent) eventTs = null;
      const packet = buildRtp({ payloadType: item?.pt ?? answer.codec.payloadType, sequence: st.seq++, timestamp: isEvent ? eventTs! : ts, ssrc: start.ssrc, marker: item?.marker ?? false, payload: item?.payload ?? (fill === 'tone' ? tone : silence) });
      ts = (ts + 160) >>> 0;
      st.rtpSocket?.send(packet, answer.port, answer.address);
    }, 20);
  }

  function stopRtp(call: FakeCall & { internal: Internal }, keepSocket = false) {
    const st = call.internal;
    if (st.rtpTimer) clearInterval(st.rtpTimer);
    st.rtpTimer = null;
    if (!keepSocket && st.rtpSocket) {
      st.rtpSocket.close();
      st.rtpSocket = null;
    }
  }

  function end(call: FakeCall & { internal: Internal }) {
    call.state = 'ended';
    stopRtp(call);
  }

  // Each call's RTP socket is opened before its INVITE is handled, so the SDP can name its port.
  async function openRtp(call: FakeCall & { internal: Internal }) {
    const socket = dgram.createSocket('udp4');
    socket.on('message', (buf) => {
      const p = parseRtp(buf);
      if (!p) return;
      call.rtp.packets++;
      const law = p.payloadType === 8 ? 'PCMA' : p.payloadType === 0 ? 'PCMU' : null;
      if (law && g711Decode(law, p.payload).some((v) => Math.abs(v) > 64)) call.rtp.voiced++;
      call.rtp.payloadTypes.add(p.payloadType);
      call.rtp.ssrcs.add(p.ssrc);
      call.rtp.arrivals.push(performance.now());
    });
    await new Promise<void>((ok) => socket.bind(0, '127.0.0.1', ok));
    call.internal.rtpSocket = socket;
  }
  return {
    address: '127.0.0.1',
    port,
    calls: () => [...calls.values()] as FakeCall[],
    /** The only call, or the n-th. */
    call: (n = 0) => [...calls.values()][n] as FakeCall | undefined,
    /** Resolves when `check` holds (re-checked on every message), rejects after `timeoutMs`. */
    async until(check: () => boolean, timeoutMs = 5000, what = 'condition') {
      const deadline = performance.now() + timeoutMs;
      while (!check()) {
        if (performance.now() > deadline) throw new Error(`fake callee: timed out waiting for ${what}`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 20);
          waiters.push(() => (clearTimeout(t), resolve()));
        });
      }
    },
    async close() {
      // Replies already handed to the socket leave first (closing cancels pending sends).
      for (let i = 0; inflight > 0 && i < 50; i++) await new Promise((r) => setTimeout(r, 2));
      waiters = [];
      for (const t of timers) clearTimeout(t);
      for (const c of calls.values()) stopRtp(c);
      for (const s of tcpSockets) s.destroy();
      await Promise.all([
        new Promise<void>((ok) => (options.transport === 'tcp' ? tcp.close(() => ok()) : ok())),
        new Promise<void>((ok) => (options.transport === 'tcp' ? ok() : udp.close(() => ok()))),
      ]);
    },
  };
}
export type FakeSipCallee = Awaited<ReturnType<typeof startFakeSipCallee>>;

/** A prompt of `ms` of a low tone (not silence, so nothing mistakes it for a gap). */
export const prompt = (ms: number): Prompt => ({ pcm: new Int16Array(ms * 8).map((_, n) => Math.round(4000 * Math.sin(n / 5))), durationMs: ms, url: 'http://127.0.0.1/p.wav' });

/** A fake callee with this script and a SIP trunk pointed at it; `dial` calls +966500111222 from +966500000009. */
export async function setupFakeCall(t: TestContext, script: CalleeScript, settings: Partial<SipTrunkSettings> = {}, options: SipTrunkOptions & { tcp?: boolean } = {}) {
  const callee = await startFakeSipCallee(script, { transport: options.tcp ? 'tcp' : 'udp' });
  t.after(() => callee.close());
  const trunk = createSipTrunk({ host: '127.0.0.1', port: callee.port, ...(options.tcp && { transport: 'tcp' as const }), ...settings }, { channelId: 'ch-1', phoneNumber: '+966500000001', clock: systemClock }, options);
  const rang: Date[] = [];
  const dial = (over: { ringTimeoutMs?: number; signal?: AbortSignal } = {}) =>
    trunk.dial({ callId: 'call-1', from: '+966500000009', to: '+966500111222', ringTimeoutMs: 3000, onRinging: (at) => rang.push(at), ...over });
  return { callee, trunk, dial, rang };
}

/** The LiveCall of an answered dial (fails the test otherwise). */
export function answered(result: DialResult): LiveCall {
  assert.equal(result.answered, true, JSON.stringify(result));
  return (result as { call: LiveCall }).call;
}

import { performance } from 'node:perf_hooks';
import type { DtmfDetectorOptions } from './dtmf-detect.js';
import { g711Encode, g711Silence } from './g711.js';
import { createKeyReceiver } from './key-receiver.js';
import { createPacingStats, type PacingStats } from './pacing-stats.js';
import { advertisedAddress, bindRtpPorts, DEFAULT_PORT_RANGE } from './rtp-ports.js';
import { buildRtp, isRtcp, parseRtp, randomRtpStart } from './rtp.js';

/**
 * One call's media (see README.md): G.711 sent in 20-ms packets paced on real time, and keys
 * received by RFC 4733 and by in-band detection. From `connect` on, a packet leaves every 20 ms —
 * the prompt while one plays, digital silence otherwise — because trunks and NATs drop calls
 * whose media stops. Each packet's send time is its slot on a grid fixed at `connect`
 * (origin + n·20 ms), so timer lateness never accumulates.
 */

export interface RtpCodec {
  name: 'PCMU' | 'PCMA';
  payloadType: number;
}

export interface RtpSessionOptions {
  /** Where to bind (default 0.0.0.0). */
  address?: string;
  /** The address for SDP (default: the bound one; for a wildcard bind the host's first external IPv4). */
  advertise?: string;
  /** Even RTP port (and the odd one above for RTCP) within this range; default 20000–40000; [0, 0]: any port. */
  portRange?: [number, number];
  /** Send silence while not playing (default true); false sends nothing between prompts. */
  silence?: boolean;
  /** In-band DTMF detection (default true); it stops for good once the peer sends RFC 4733 events. */
  inband?: boolean;
  dtmf?: DtmfDetectorOptions;
}

export interface RtpStats {
  sent: number;
  /** RTP packets taken from the remote. */
  received: number;
  /** Datagrams dropped: from another address, RTCP on the RTP port, not RTP. */
  ignored: number;
  sendErrors: number;
  /** Times the event loop held the sender back over 100 ms: the grid moved on, the timestamps jumped. */
  stalls: number;
  /** How far from its 20-ms slot each packet left, in ms (a stall counts once, with its whole delay). */
  pacing: PacingStats;
}

export interface RtpSession {
  readonly localAddress: string;
  readonly localPort: number;
  /** Start sending to / accepting from the remote (the answer's SDP); may be called again on a re-INVITE. */
  connect(remote: { address: string; port: number }, codec: RtpCodec, telephoneEventPayloadType: number | null): void;
  /** Plays 8 kHz s16 PCM as 20-ms packets paced on real time (drift-corrected); resolves 'done', or 'stopped' when the signal aborts. */
  play(pcm: Int16Array, signal?: AbortSignal): Promise<'done' | 'stopped'>;
  /** Each key once, by RFC 4733 (deduplicated by its timestamp, end bit) or by in-band tone detection (Goertzel). */
  onDigit(listener: (digit: string, via: 'rfc4733' | 'inband') => void): () => void;
  /** Milliseconds since the last RTP packet arrived (media time-out detection). */
  idleMs(): number;
  close(): Promise<void>;
  /** The RTCP port (RTP's + 1), or null when the system picked the RTP port. */
  readonly rtcpPort: number | null;
  stats(): RtpStats;
}

export const FRAME_MS = 20;
export const FRAME_SAMPLES = 160;
/** Frames sent at once to catch up after the event loop was held; beyond that the grid moves on. */
const MAX_CATCH_UP = 5;
/** A timer that fires this early still sends (Node's timers have 1-ms resolution). */
const EARLY_MS = 1;

/** An IPv4 peer reaches a dual-stack (::) socket as ::ffff:a.b.c.d. */
const sameHost = (a: string, b: string) => a === b || a.replace(/^::ffff:/i, '') === b.replace(/^::ffff:/i, '');

interface Playing {
  pcm: Int16Array;
  offset: number;
  resolve(outcome: 'done' | 'stopped'): void;
  signal: AbortSignal | undefined;
  onAbort(): void;
}

export async function openRtpSession(options: RtpSessionOptions = {}): Promise<RtpSession> {
  const address = options.address ?? '0.0.0.0';
  const { rtp: socket, rtcp } = await bindRtpPorts(address, options.portRange ?? DEFAULT_PORT_RANGE);
  const localPort = socket.address().port;
  const sendSilence = options.silence ?? true;
  const listeners = new Set<(digit: string, via: 'rfc4733' | 'inband') => void>();
  const pacing = createPacingStats();
  const counts = { sent: 0, received: 0, ignored: 0, sendErrors: 0, stalls: 0 };
  const start = randomRtpStart();
  const openedAt = performance.now();

  let remote: { address: string; port: number } | null = null;
  let codec: RtpCodec = { name: 'PCMU', payloadType: 0 };
  let eventType: number | null = null;
  let silenceFrame = Buffer.alloc(FRAME_SAMPLES, g711Silence('PCMU'));
  let connectedAt = 0;
  let lastPacketAt: number | null = null;
  let origin = 0;
  let frame = 0;
  let sequence = start.sequence;
  let markNext = true;
  let timer: NodeJS.Timeout | null = null;
  let playing: Playing | null = null;
  let closing: Promise<void> | null = null;

  const emit = (digit: string, via: 'rfc4733' | 'inband') => {
    for (const listener of listeners) {
      try {
        listener(digit, via);
      } catch (error) {
        process.emitWarning(`RTP session digit listener threw: ${(error as Error).stack ?? String(error)}`);
      }
    }
  };

  const keys = createKeyReceiver({ inband: options.inband ?? true, dtmf: options.dtmf }, emit);

  const finish = (p: Playing, outcome: 'done' | 'stopped') => {
    if (playing === p) playing = null;
    p.signal?.removeEventListener('abort', p.onAbort);
    p.resolve(outcome);
  };

  /** The next frame's payload: the prompt's next 20 ms, else silence (or nothing). */
  const nextPayload = (): { payload: Buffer; first: boolean } | null => {
    const p = playing;
    if (p && p.offset >= p.pcm.length) finish(p, 'done');
    else if (p) {
      const first = p.offset === 0;
      const payload = Buffer.alloc(FRAME_SAMPLES, g711Silence(codec.name));
      g711Encode(codec.name, p.pcm.subarray(p.offset, p.offset + FRAME_SAMPLES), payload);
      p.offset += FRAME_SAMPLES;
      return { payload, first };
    }
    return sendSilence ? { payload: silenceFrame, first: false } : null;
  };

  const sendFrame = (lateMs: number) => {
    const next = nextPayload();
    if (!next || !remote) {
      markNext = true; // the next packet starts a talkspurt
      return;
    }
    const packet = buildRtp({
      payloadType: codec.payloadType, sequence, timestamp: start.timestamp + frame * FRAME_SAMPLES, ssrc: start.ssrc,
      marker: markNext || next.first, payload: next.payload,
    });
    sequence = (sequence + 1) & 0xffff;
    markNext = false;
    socket.send(packet, remote.port, remote.address, (error) => {
      if (error) counts.sendErrors++;
    });
    counts.sent++;
    pacing.record(lateMs);
  };

  const tick = () => {
    timer = null;
    if (closing || !remote) return;
    const now = performance.now();
    let due = origin + frame * FRAME_MS;
    if (now < due - EARLY_MS) {
      timer = setTimeout(tick, due - now);
      return;
    }
    if (now - due > MAX_CATCH_UP * FRAME_MS) {
      // Held back too long to catch up: skip the lost slots (the timestamp jumps with them and the
      // marker tells the receiver), but not the prompt, which resumes where it was.
      pacing.record(now - due); // the stall itself, so max and p99 show it
      frame += Math.floor((now - due) / FRAME_MS);
      due = origin + frame * FRAME_MS;
      markNext = true;
      counts.stalls++;
    }
    for (; due <= now + EARLY_MS; due = origin + frame * FRAME_MS) {
      sendFrame(now - due);
      frame++;
    }
    timer = setTimeout(tick, Math.max(0, due - performance.now()));
  };

  socket.on('error', () => {}); // a send's error also reaches its callback; nothing else can fail here
  rtcp?.on('error', () => {});
  rtcp?.on('message', () => {}); // we listen so the peer's RTCP is not refused; we send none
  socket.on('message', (datagram, from) => {
    const packet = remote && sameHost(from.address, remote.address) && !isRtcp(datagram) ? parseRtp(datagram) : null;
    if (!packet) return void counts.ignored++;
    lastPacketAt = performance.now();
    counts.received++;
    if (packet.payloadType === codec.payloadType) keys.audio(packet, codec.name, lastPacketAt);
    else if (eventType !== null && packet.payloadType === eventType) keys.event(packet, lastPacketAt);
  });

  return {
    localAddress: options.advertise ?? advertisedAddress(address),
    localPort,
    rtcpPort: rtcp ? rtcp.address().port : null,

    connect(to, newCodec, telephoneEventPayloadType) {
      if (closing) throw new Error('RTP session is closed');
      if (newCodec.name !== 'PCMU' && newCodec.name !== 'PCMA') throw new RangeError(`codec ${String(newCodec.name)}`);
      if (!(Number.isInteger(to.port) && to.port > 0 && to.port < 65536)) throw new RangeError(`RTP port ${to.port}`);
      remote = { address: to.address, port: to.port };
      codec = { ...newCodec };
      eventType = telephoneEventPayloadType;
      silenceFrame = Buffer.alloc(FRAME_SAMPLES, g711Silence(codec.name));
      markNext = true;
      if (connectedAt === 0) {
        connectedAt = performance.now();
        origin = connectedAt;
        tick();
      }
    },

    play(pcm, signal) {
      if (closing || signal?.aborted) return Promise.resolve('stopped');
      if (!remote) return Promise.reject(new Error('RTP session: play() before connect()'));
      if (playing) finish(playing, 'stopped'); // a new prompt replaces the one playing
      if (pcm.length === 0) return Promise.resolve('done');
      return new Promise((resolve) => {
        const p: Playing = { pcm, offset: 0, resolve, signal, onAbort: () => finish(p, 'stopped') };
        signal?.addEventListener('abort', p.onAbort, { once: true });
        playing = p;
      });
    },

    onDigit(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },

    idleMs: () => performance.now() - (lastPacketAt ?? (connectedAt || openedAt)),

    stats: () => ({ ...counts, pacing: pacing.summary() }),

    close() {
      closing ??= (async () => {
        if (timer) clearTimeout(timer);
        timer = null;
        if (playing) finish(playing, 'stopped');
        listeners.clear();
        await Promise.all([socket, ...(rtcp ? [rtcp] : [])].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
      })();
      return closing;
    },
  };
}

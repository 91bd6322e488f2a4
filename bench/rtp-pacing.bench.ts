import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { systemClock } from '../src/lib/clock.js';
import type { Prompt } from '../src/providers/telephony/port.js';
import { dtmfTone } from '../src/providers/telephony/sip/media/dtmf-generate.js';
import { g711Encode } from '../src/providers/telephony/sip/media/g711.js';
import { telephoneEventPayloads } from '../src/providers/telephony/sip/media/rfc4733.js';
import { openRtpSession } from '../src/providers/telephony/sip/media/rtp-session.js';
import { buildRtp, parseRtp, randomRtpStart } from '../src/providers/telephony/sip/media/rtp.js';
import { createSipTrunk } from '../src/providers/telephony/sip/trunk.js';
import { freeMediaPort, freePort } from '../test/sipp/ports.js';
import { childEnv, cleanup, log, percentiles, start, stop } from './lib.js';

/**
 * RTP pacing of the SIP adapter's media (issue 10: ≥ 50 concurrent calls, RTP within 5 ms jitter).
 * For each `--sessions` count, N RtpSessions in this process play `--seconds` of audio at once to a
 * far end: one child process timestamps every arrival, another sends each session a stream back
 * (G.711 with a key every second: in-band tones to odd sessions, RFC 4733 events to even ones), so
 * the receive path (decode, Goertzel, dedupe) runs too. Reported: send-time deviation from each
 * packet's 20-ms slot (the sessions' own stats), arrival deviation at the far end (against the
 * packet's RTP timestamp, median-aligned), RFC 3550 interarrival jitter, keys heard, CPU, event-loop
 * delay. All sessions connect together, so their 20-ms slots coincide: the burstiest case. Before
 * each count, the baseline: a bare timer loop on the same grid in this process (no sockets), which
 * shows what the machine's scheduling alone does to any 20-ms timer.
 * `--sipp`: N real calls instead, placed at once through the SIP trunk adapter (`createSipTrunk`) to
 * one sipp UAS (`sipp/uas-bench.xml`) whose answers point the media at the same recorder child;
 * each answered call plays `--seconds` of audio (`LiveCall.play`) and hangs up. Each call's grid
 * starts at its own answer, so the slots are spread by the set-up times. Reported: calls answered,
 * set-up time (dial → answered), the recorder's arrivals, CPU of this process (sipp's not counted).
 * `node --import tsx bench/rtp-pacing.bench.ts --sessions=1,50,100 --seconds=5 [--sipp]`
 */

const { values: args } = parseArgs({ options: { sessions: { type: 'string', default: '1,50' }, seconds: { type: 'string', default: '5' }, far: { type: 'string' }, sipp: { type: 'boolean', default: false } } });
const f = (x: number) => x.toFixed(2);
const pct = (part: number, whole: number) => `${((100 * part) / whole).toFixed(2)} %`;
/** `seconds` of a warbling tone: never silence, so every packet carries encoded audio. */
const testAudio = (seconds: number) => Int16Array.from({ length: seconds * 8000 }, (_, i) => Math.round(6000 * Math.sin(i / 4) * Math.sin(i / 4000)));

if (args.far) await farEnd(args.far === 'send');
else if (args.sipp) await sippMain();
else await main();

/** The far end: `--far=recv` timestamps arrivals (and does nothing else, to stamp them on time); `--far=send` streams back. */
async function farEnd(sending: boolean) {
  const socket = dgram.createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  const arrivals = new Map<number, { at: number[]; ts: number[] }>();
  socket.on('message', (m) => {
    const at = performance.now();
    const p = parseRtp(m);
    if (!p) return;
    let s = arrivals.get(p.ssrc);
    if (!s) arrivals.set(p.ssrc, (s = { at: [], ts: [] }));
    s.at.push(at);
    s.ts.push(p.timestamp);
  });
  const lines = createInterface({ input: process.stdin });
  process.stdout.write(`${JSON.stringify({ port: socket.address().port })}\n`);
  let streams: ReturnType<typeof sendStreams> | undefined;
  for await (const line of lines) {
    const command = JSON.parse(line) as { ports?: number[]; keys?: number; report?: boolean };
    if (command.ports && sending) streams = sendStreams(socket, command.ports, command.keys ?? 0);
    if (command.report) {
      process.stdout.write(`${JSON.stringify({ ...report(arrivals), keysSent: streams?.stop() ?? 0 })}\n`);
      break;
    }
  }
  socket.close();
}

/** Streams back to every session on one 20-ms grid: silence with a key each second (`keys` of them). */
function sendStreams(socket: dgram.Socket, ports: number[], keys: number) {
  const streams = ports.map((port, i) => ({ port, ...randomRtpStart(), inband: i % 2 === 1, queue: [] as { pt: number; marker: boolean; payload: Uint8Array; ts?: number }[] }));
  const silence = Buffer.alloc(160, 0xff);
  const origin = performance.now();
  let frame = 0;
  let keyFrames = 0;
  const tick = () => {
    for (; origin + frame * 20 <= performance.now(); frame++) {
      const key = frame % 50 === 10 && keyFrames < keys ? '0123456789'[keyFrames++ % 10]! : null;
      for (const s of streams) {
        const timestamp = s.timestamp + frame * 160;
        if (key && s.inband) {
          const tone = dtmfTone(key, 100);
          for (let i = 0; i < tone.length; i += 160) s.queue.push({ pt: 0, marker: false, payload: g711Encode('PCMU', tone.subarray(i, i + 160)) });
        } else if (key) {
          for (const p of telephoneEventPayloads(key, 100)) s.queue.push({ pt: 101, marker: p.marker, payload: p.payload, ts: timestamp });
        }
        const next: { pt: number; marker: boolean; payload: Uint8Array; ts?: number } = s.queue.shift() ?? { pt: 0, marker: false, payload: silence };
        const packet = buildRtp({ payloadType: next.pt, sequence: s.sequence++, timestamp: next.ts ?? timestamp, ssrc: s.ssrc, marker: next.marker, payload: next.payload });
        socket.send(packet, s.port, '127.0.0.1');
      }
    }
    timer = setTimeout(tick, Math.max(0, origin + frame * 20 - performance.now()));
  };
  let timer = setTimeout(tick, 0);
  return {
    stop() {
      clearTimeout(timer);
      return keyFrames * streams.length;
    },
  };
}

/** Each stream's arrival deviation from its RTP timestamp's slot (median-aligned), and RFC 3550 jitter. */
function report(arrivals: Map<number, { at: number[]; ts: number[] }>) {
  const deviations: number[] = [];
  // After each stream's first 0.5 s (25 packets): playback once every call is set up.
  const steady: number[] = [];
  const jitters: number[] = [];
  let packets = 0;
  for (const { at, ts } of arrivals.values()) {
    const offsets = at.map((a, k) => a - at[0]! - ((ts[k]! - ts[0]!) >>> 0) / 8);
    const median = [...offsets].sort((x, y) => x - y)[offsets.length >> 1]!;
    offsets.forEach((o, k) => {
      deviations.push(Math.abs(o - median));
      if (k >= 25) steady.push(Math.abs(o - median));
    });
    let j = 0;
    for (let k = 1; k < offsets.length; k++) j += (Math.abs(offsets[k]! - offsets[k - 1]!) - j) / 16;
    jitters.push(j);
    packets += at.length;
  }
  const d = percentiles(deviations);
  const over5ms = deviations.filter((x) => x > 5).length;
  const st = percentiles(steady);
  return { streams: arrivals.size, packets, p50: d.p50, p99: d.p99, max: Math.max(...deviations), over5ms, jitter: Math.max(...jitters), steadyP99: st.p99, steadyMax: Math.max(...steady), steadyOver5ms: steady.filter((x) => x > 5).length, steadyCount: steady.length };
}

/** The baseline: a bare timer loop on the same 20-ms grid, no sockets — what this machine gives any timer. */
async function bareTimers(seconds: number) {
  const lateness: number[] = [];
  const origin = performance.now();
  let slot = 0;
  await new Promise<void>((done) => {
    const tick = () => {
      const now = performance.now();
      const due = origin + slot * 20;
      if (now < due - 1) return void setTimeout(tick, due - now);
      lateness.push(Math.abs(now - due));
      if (++slot >= seconds * 50) return done();
      setTimeout(tick, Math.max(0, origin + slot * 20 - performance.now()));
    };
    tick();
  });
  const p = percentiles(lateness);
  return { p50: p.p50, p99: p.p99, max: Math.max(...lateness), over: lateness.filter((x) => x > 5).length, count: lateness.length };
}

function farChild(role: 'recv' | 'send') {
  const child = start(['bench/rtp-pacing.bench.ts', `--far=${role}`], childEnv({}), 'pipe');
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  return {
    child,
    next: async () => JSON.parse((await lines.next()).value as string) as Record<string, number>,
    ask: (command: object) => child.stdin!.write(`${JSON.stringify(command)}\n`),
  };
}

async function main() {
  const seconds = Number(args.seconds);
  const rows: string[] = [
    `| sessions | packets sent | send vs slot: median session's p50 / worst p99 / max (ms) | sent > 5 ms off | arrival vs slot p50 / p99 / max (ms) | arrived > 5 ms off | RFC 3550 jitter, worst stream (ms) | stalls | keys heard / sent | CPU (% of one core) | event-loop delay p99 (ms) | load avg before |`,
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const n of args.sessions.split(',').map(Number)) {
    const bare = await bareTimers(seconds);
    rows.push(`| bare timer loop (baseline) | ${bare.count} | ${f(bare.p50)} / ${f(bare.p99)} / ${f(bare.max)} | ${pct(bare.over, bare.count)} | | | | | | | | ${loadavg()[0]!.toFixed(1)} |`);
    log(rows.at(-1)!);
    const load = loadavg()[0]!.toFixed(1);
    const receiver = farChild('recv');
    const sender = farChild('send');
    const { port } = await receiver.next();
    await sender.next();
    const sessions = await Promise.all(Array.from({ length: n }, () => openRtpSession({ address: '127.0.0.1' })));
    let keys = 0;
    for (const s of sessions) s.onDigit(() => keys++);
    // A key each second from 0.2 s on, the last one done well before the prompts end.
    sender.ask({ ports: sessions.map((s) => s.localPort), keys: Math.max(1, seconds - 1) });
    const audio = testAudio(seconds);
    for (const s of sessions) s.connect({ address: '127.0.0.1', port: port! }, { name: 'PCMU', payloadType: 0 }, 101);
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const cpu = process.cpuUsage();
    const began = performance.now();
    await Promise.all(sessions.map((s) => s.play(audio)));
    const elapsed = performance.now() - began;
    const used = process.cpuUsage(cpu);
    delay.disable();
    await new Promise((resolve) => setTimeout(resolve, 200)); // the last key's packets are in
    receiver.ask({ report: true });
    sender.ask({ report: true });
    const far = await receiver.next();
    const { keysSent } = await sender.next();
    await Promise.all(sessions.map((s) => s.close()));
    await Promise.all([stop(receiver.child), stop(sender.child)]);
    const stats = sessions.map((s) => s.stats());
    const send = {
      p50: percentiles(stats.map((s) => s.pacing.p50)).p50,
      p99: Math.max(...stats.map((s) => s.pacing.p99)),
      max: Math.max(...stats.map((s) => s.pacing.max)),
    };
    const sent = stats.reduce((a, s) => a + s.sent, 0);
    const stalls = stats.reduce((a, s) => a + s.stalls, 0);
    const over = stats.reduce((a, s) => a + s.pacing.over5ms, 0);
    const measured = stats.reduce((a, s) => a + s.pacing.count, 0);
    const cpuPct = ((used.user + used.system) / 1000 / elapsed) * 100;
    rows.push(`| ${n} | ${sent} | ${f(send.p50)} / ${f(send.p99)} / ${f(send.max)} | ${pct(over, measured)} | ${f(far.p50!)} / ${f(far.p99!)} / ${f(far.max!)} | ${pct(far.over5ms!, far.packets!)} | ${f(far.jitter!)} | ${stalls} | ${keys} / ${keysSent} | ${cpuPct.toFixed(0)} | ${f(delay.percentile(99) / 1e6)} | ${load} |`);
    log(rows.at(-1)!);
  }
  console.log(rows.join('\n'));
}

/**
 * One sipp UAS for `calls` calls (`-m`, `-l`), its answers pointing media at the recorder. It exits
 * by itself once every call is over; `close()` kills it whatever happened (and on this process's exit),
 * and `-timeout` bounds it should both fail.
 */
async function startSipp(calls: number, recorderPort: number, seconds: number) {
  const dir = await mkdtemp(join(tmpdir(), 'wasl-sipp-bench-'));
  const port = (await freePort('udp'))!;
  const mediaPort = await freeMediaPort(); // no media reaches it: the answers point at the recorder
  const scenario = fileURLToPath(new URL('sipp/uas-bench.xml', import.meta.url));
  const child = spawn('sipp', ['-sf', scenario, '-i', '127.0.0.1', '-p', String(port), '-mi', '127.0.0.1', '-mp', String(mediaPort), '-m', String(calls), '-l', String(calls),
    '-key', 'recorder_ip', '127.0.0.1', '-key', 'recorder_port', String(recorderPort), '-nostdin', '-timeout', `${seconds + 90}s`, '-timeout_error',
    '-trace_err', '-error_file', join(dir, 'errors.log')], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; errors: string }>((resolve) => {
    const done = (code: number | null, extra = '') => void readFile(join(dir, 'errors.log'), 'utf8').catch(() => '').then((log) => resolve({ code, errors: `${stderr}${extra}${log}`.trim() }));
    child.once('error', (err) => done(null, err.message));
    child.once('exit', (code) => done(code));
  });
  const kill = () => void (child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
  const onExit = () => {
    kill();
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  const close = async () => {
    kill();
    await exited;
    process.off('exit', onExit);
    await rm(dir, { recursive: true, force: true });
  };
  // Ready once it holds its SIP port.
  for (let i = 0; (await freePort('udp', port)) !== null; i++) {
    if (i >= 250 || child.exitCode !== null || child.pid === undefined) {
      await close();
      throw new Error(`sipp did not start: ${(await exited).errors}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { port, exited, close };
}

/** One count of calls through the trunk to sipp: its table row (and the failures, when there are any). */
async function sippRound(n: number, seconds: number): Promise<string> {
  const load = loadavg()[0]!.toFixed(1);
  const receiver = farChild('recv');
  let sipp: Awaited<ReturnType<typeof startSipp>> | undefined;
  try {
    const { port: recorderPort } = await receiver.next();
    sipp = await startSipp(n, recorderPort!, seconds);
    const trunk = createSipTrunk({ host: '127.0.0.1', port: sipp.port }, { channelId: 'ch-bench', phoneNumber: '+966500000001', clock: systemClock }, { mediaTimeoutMs: 0 });
    const prompt: Prompt = { pcm: testAudio(seconds), durationMs: seconds * 1000, url: 'http://127.0.0.1/bench.wav' };
    // sipp gone wrong: hang up rather than wait out the SIP timers.
    const abort = new AbortController();
    void sipp.exited.then(({ code }) => code !== 0 && abort.abort());
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const cpu = process.cpuUsage();
    const began = performance.now();
    const calls = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const dialled = performance.now();
        try {
          const r = await trunk.dial({ callId: `bench-${i}`, from: '+966500000001', to: `+96650${String(i).padStart(7, '0')}`, ringTimeoutMs: 30_000, signal: abort.signal });
          const setupMs = performance.now() - dialled;
          if (!r.answered) return { setupMs: null, outcome: `${r.outcome} ${r.cause}${r.sipCode ? ` ${r.sipCode}` : ''}` };
          const end = await r.call.play(prompt).then(
            (p) => p.ended ?? r.call.hangUp(),
            () => r.call.hangUp(),
          );
          return { setupMs, outcome: `ended by ${end.by} ${end.cause}` };
        } catch (err) {
          return { setupMs: null, outcome: `threw ${(err as Error).message}` };
        }
      }),
    );
    const elapsed = performance.now() - began;
    const used = process.cpuUsage(cpu);
    delay.disable();
    await new Promise((resolve) => setTimeout(resolve, 200)); // the last packets are in
    receiver.ask({ report: true });
    const far = await receiver.next();
    let wait: NodeJS.Timeout | undefined;
    const sippEnd = await Promise.race([sipp.exited, new Promise<null>((resolve) => (wait = setTimeout(resolve, 10_000, null)))]);
    clearTimeout(wait);
    const setups = calls.flatMap((c) => (c.setupMs === null ? [] : [c.setupMs]));
    const s = percentiles(setups);
    const outcomes = new Map<string, number>();
    for (const c of calls) outcomes.set(c.outcome, (outcomes.get(c.outcome) ?? 0) + 1);
    const notes = [...[...outcomes].map(([o, k]) => `${o} ×${k}`), sippEnd ? `sipp exit ${sippEnd.code}` : 'sipp still running after 10 s (killed)'].join('; ');
    if (sippEnd?.code !== 0) log(`sipp (${n} calls): ${sippEnd?.errors.slice(0, 2000) || 'no error output'}`);
    const cpuPct = ((used.user + used.system) / 1000 / elapsed) * 100;
    return `| ${n} | ${setups.length} / ${n} | ${f(s.p50)} / ${f(s.p99)} / ${f(Math.max(...setups))} | ${far.packets} (${far.streams}) | ${f(far.p50!)} / ${f(far.p99!)} / ${f(far.max!)} | ${pct(far.over5ms!, far.packets!)} | ${f(far.steadyP99!)} / ${f(far.steadyMax!)} | ${pct(far.steadyOver5ms!, far.steadyCount!)} | ${f(far.jitter!)} | ${cpuPct.toFixed(0)} | ${f(delay.percentile(99) / 1e6)} | ${load} | ${notes} |`;
  } finally {
    await sipp?.close();
    await stop(receiver.child);
  }
}

async function sippMain() {
  process.once('SIGTERM', () => void cleanup().then(() => process.exit(143))); // the 'exit' hook kills sipp
  const seconds = Number(args.seconds);
  const rows: string[] = [
    `| calls | answered / N | set-up, dial → answered p50 / p99 / max (ms) | packets (streams) | arrival vs slot p50 / p99 / max (ms) | arrived > 5 ms off | after each call's first 0.5 s: arrival p99 / max (ms) | after 0.5 s: > 5 ms off | RFC 3550 jitter, worst stream (ms) | CPU (% of one core) | event-loop delay p99 (ms) | load avg before | outcomes |`,
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const n of args.sessions.split(',').map(Number)) {
    const bare = await bareTimers(seconds);
    rows.push(`| bare timer loop (baseline) | | | ${bare.count} | ${f(bare.p50)} / ${f(bare.p99)} / ${f(bare.max)} | ${pct(bare.over, bare.count)} | | | | | | ${loadavg()[0]!.toFixed(1)} | |`);
    log(rows.at(-1)!);
    rows.push(await sippRound(n, seconds));
    log(rows.at(-1)!);
  }
  console.log(rows.join('\n'));
}

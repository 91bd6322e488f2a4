import { wavOf } from '../../src/lib/wav.js';
import { json, type Harness, type Workspace } from './build.js';
import type { Json } from './conversations.js';

export const IVR = '/v1/outbound-ivr';

/** A WAV prompt: `seconds` of a quiet tone at 8 kHz (or `rate`), mono, 16-bit. */
export function toneWav(seconds: number, rate = 8000, hz = 440): Buffer {
  const pcm = new Int16Array(Math.round(seconds * rate));
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(3000 * Math.sin((2 * Math.PI * hz * i) / rate));
  return wavOf(pcm, rate);
}

/** A voice channel (type 3: sandbox WhatsApp and sandbox line) whose Call Webhook goes to `postCallWebhookUrl`. */
export async function voiceChannel(h: Harness, ws: Workspace, options: { postCallWebhookUrl?: string; webhookSecret?: string; voice?: object } = {}) {
  const res = await h.admin('POST', `/admin/v1/workspaces/${ws.id}/channels`, { name: 'Line', type: 3, ...options });
  if (res.statusCode !== 200) throw new Error(`channel: ${res.statusCode} ${res.body}`);
  return json(res) as Json;
}

/**
 * Waits until the request is complete. Sandbox calls run on the test's clock: it moves on by
 * `stepMs` whenever a simulated call waits on it (ringing, a prompt, a time-out). Calls with a real
 * provider (SIP, TwiML) run on real time: `moveClock: false`.
 */
export async function untilComplete(h: Harness, ws: Workspace, id: string, options: { stepMs?: number; maxMs?: number; moveClock?: boolean } = {}): Promise<Json> {
  const deadline = Date.now() + (options.maxMs ?? 20_000);
  for (;;) {
    const record = json(await ws.api('GET', `${IVR}/${id}`)) as Json;
    if (record.completedAt) return record;
    if (Date.now() > deadline) throw new Error(`outbound IVR ${id} did not complete: ${JSON.stringify(record)}`);
    if (options.moveClock !== false && h.clock.sleeping() > 0) h.clock.advance(options.stepMs ?? 250);
    await new Promise((r) => setTimeout(r, 5));
  }
}

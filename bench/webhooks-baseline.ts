import { parseArgs } from 'node:util';
import { createOutboundHttp } from '../src/providers/http/outbound.js';

/**
 * The baseline of webhooks.bench.ts, in its own process as the server is: `count` POSTs of
 * `request` (the body and headers Wasl sends, signed once) to `url`, `concurrency` at a time,
 * each with a unique `webhook-id` starting with `tag`. `--client=fetch` is a bare fetch loop; `--client=outbound` uses Wasl's outbound
 * HTTP client (node:http, keep-alive agent) without the queue, to split client cost from the rest.
 * Prints {"ms", "errors", "cpuMs"} (of the measured part) on stdout.
 */
const { values: o } = parseArgs({
  options: {
    url: { type: 'string' }, count: { type: 'string' }, warmup: { type: 'string', default: '500' }, concurrency: { type: 'string' },
    request: { type: 'string' }, client: { type: 'string', default: 'fetch' }, tag: { type: 'string' },
  },
});
const url = o.url!;
// The request Wasl sends (body and signature headers, made once): the receiver reads the same bytes.
const request = JSON.parse(Buffer.from(o.request!, 'base64').toString('utf8')) as { body: string; headers: Record<string, string> };
const { body } = request;
const outbound = createOutboundHttp({ allowPrivate: true, label: 'webhook URL', userAgent: 'Wasl-Webhooks/1.0' }); // as the server's

async function post(id: string): Promise<boolean> {
  const headers = { ...request.headers, 'webhook-id': id };
  if (o.client === 'outbound') return (await outbound.post(url, { headers, body })).status === 200;
  const res = await fetch(url, { method: 'POST', headers, body });
  await res.arrayBuffer();
  return res.ok;
}

async function run(count: number, prefix: string) {
  let next = 0;
  let errors = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      if (!(await post(`${prefix}${i}`).catch(() => false))) errors++;
    }
  };
  await Promise.all(Array.from({ length: Number(o.concurrency) }, lane));
  return errors;
}

await run(Number(o.warmup), 'warm-');
const started = performance.now();
const cpu = process.cpuUsage();
const errors = await run(Number(o.count), o.tag!);
const used = process.cpuUsage(cpu);
process.stdout.write(`${JSON.stringify({ ms: performance.now() - started, errors, cpuMs: (used.user + used.system) / 1000 })}\n`);
outbound.close();

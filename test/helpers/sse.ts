import { request, type IncomingHttpHeaders } from 'node:http';
import { after } from 'node:test';

/** One Server-Sent Events frame as a client parses it (a comment-only block is a frame with `comment`). */
export interface Frame {
  id?: string;
  event?: string;
  data?: string;
  retry?: number;
  comment?: string;
}

export interface SseClient {
  status: number;
  headers: IncomingHttpHeaders;
  /** The whole body of a refused request (not 200); '' for a stream. */
  body: string;
  /** The raw bytes received so far (a stream's first bytes, checked as they came). */
  raw: () => string;
  /** Every frame received so far, in order. */
  frames: Frame[];
  /** The next frame not yet taken that matches (default: any frame with an `event:`), within `timeoutMs`. */
  next(match?: (f: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  /** Frames with an `event:` not yet taken, after waiting `ms` for more. */
  drain(ms?: number): Promise<Frame[]>;
  /** Resolves true once the server has ended the stream, false if it has not within `ms`. */
  closedWithin(ms: number): Promise<boolean>;
  closed: boolean;
  close(): void;
}

/** Parses one block (the text between blank lines) by the rules of the SSE specification. */
export function parseFrame(block: string): Frame {
  const frame: Frame = {};
  const data: string[] = [];
  for (const line of block.split(/\r\n|\r|\n/)) {
    if (line === '') continue;
    if (line.startsWith(':')) {
      frame.comment = line.slice(1).trim();
      continue;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'id') frame.id = value;
    else if (field === 'event') frame.event = value;
    else if (field === 'retry' && /^\d+$/.test(value)) frame.retry = Number(value);
  }
  if (data.length) frame.data = data.join('\n');
  return frame;
}

/**
 * An SSE client on a real loopback socket: GET `url` with `headers`, frames parsed as they
 * arrive. A refusal (any status but 200) is read whole into `body`. Closed when the test file ends.
 */
export function openSse(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      let text = '';
      let buffer = '';
      let taken = 0;
      const waiters = new Set<() => void>();
      const notify = () => waiters.forEach((w) => w());
      const client: SseClient = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        body: '',
        raw: () => text,
        frames: [],
        closed: false,
        async next(match = (f) => f.event !== undefined, timeoutMs = 3000) {
          const deadline = Date.now() + timeoutMs;
          for (;;) {
            for (let i = taken; i < client.frames.length; i++) {
              if (match(client.frames[i]!)) {
                taken = i + 1;
                return client.frames[i]!;
              }
            }
            if (client.closed) throw new Error(`the stream ended before the frame came; frames: ${JSON.stringify(client.frames.slice(taken))}`);
            const left = deadline - Date.now();
            if (left <= 0) throw new Error(`no such frame within ${timeoutMs} ms; frames after the last taken: ${JSON.stringify(client.frames.slice(taken))}`);
            await new Promise<void>((r) => {
              const timer = setTimeout(done, left);
              function done() {
                clearTimeout(timer);
                waiters.delete(done);
                r();
              }
              waiters.add(done);
            });
          }
        },
        async drain(ms = 200) {
          await new Promise((r) => setTimeout(r, ms));
          const rest = client.frames.slice(taken).filter((f) => f.event !== undefined);
          taken = client.frames.length;
          return rest;
        },
        async closedWithin(ms) {
          const deadline = Date.now() + ms;
          while (!client.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
          return client.closed;
        },
        close: () => req.destroy(),
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        if (client.status !== 200) return;
        buffer += chunk;
        const blocks = buffer.split(/\r\n\r\n|\n\n|\r\r/);
        buffer = blocks.pop()!;
        for (const block of blocks) client.frames.push(parseFrame(block));
        notify();
      });
      const ended = () => {
        client.closed = true;
        if (client.status !== 200) client.body = text;
        notify();
      };
      res.on('end', ended);
      res.on('close', ended);
      res.on('error', ended);
      after(() => req.destroy());
      if (client.status === 200) resolve(client);
      else res.on('end', () => resolve(client));
    });
    req.on('error', reject);
    req.end();
  });
}

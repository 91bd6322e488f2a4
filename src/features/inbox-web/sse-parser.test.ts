import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSseParser, type SseFrame } from '../../inbox/sse.js';

/** The inbox's streaming SSE parser (src/inbox/sse.ts): frames split anywhere, every line ending. */
const parse = (chunks: string[]) => {
  const frames: SseFrame[] = [];
  const retries: number[] = [];
  const p = createSseParser((f) => frames.push(f), (ms) => retries.push(ms));
  for (const c of chunks) p.push(c);
  return { frames, retries };
};

test('frames, an id alone, comments, retry, multi-line data', () => {
  const { frames, retries } = parse(['retry: 2500\nid: 7\n\n: keep-alive\n\nid: 8\nevent: WhatsAppMessage\ndata: {"a":1}\n\nid: 9\ndata: x\ndata: y\n\n']);
  assert.deepEqual(retries, [2500]);
  assert.deepEqual(frames, [
    { id: '7', event: '', data: '' },
    { id: '8', event: 'WhatsAppMessage', data: '{"a":1}' },
    { id: '9', event: 'message', data: 'x\ny' },
  ]);
});

test('split at every byte and with CRLF or CR endings, the same frames (a CR last waits: it may start a CRLF)', () => {
  const stream = 'id: 1\r\nevent: reset\r\ndata: {"lastEventId":"0"}\r\n\r\nid: 2\revent: NoteCreated\rdata: é\r\r: next\n';
  const whole = parse([stream]).frames;
  assert.equal(whole.length, 2);
  assert.deepEqual(parse([...stream]).frames, whole);
  assert.deepEqual(whole[1], { id: '2', event: 'NoteCreated', data: 'é' });
});

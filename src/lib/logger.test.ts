import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger, prettyDestination } from './logger.js';

test('on a terminal a log line reads as text: time, level, message, fields, the error stack below', () => {
  const written: string[] = [];
  const logger = createLogger('info', prettyDestination({ write: (text) => written.push(text) }, { colour: false }));
  logger.info({ store: 'pglite', workers: 1, docs: 'http://localhost:8080/docs', detail: { a: 1 } }, 'wasl is serving');
  logger.error({ err: new Error('boom') }, 'start-up failed');
  logger.debug('below the level');
  logger.info({ reqId: 'r1', req: { method: 'GET', url: '/health/live', host: 'x' }, res: { statusCode: 200 }, responseTime: 1.23456, source: '' }, 'request completed');
  assert.equal(written.length, 3);
  assert.match(written[2]!, / INFO {2}request completed reqId=r1 req=GET \/health\/live res=200 responseTime=1\.2 source=""\n$/);
  assert.match(written[0]!, /^\d\d:\d\d:\d\d\.\d{3} INFO {2}wasl is serving store=pglite workers=1 docs=http:\/\/localhost:8080\/docs detail=\{"a":1\}\n$/);
  assert.doesNotMatch(written[0]!, /pid=|hostname=|"level"/);
  const [first, ...stack] = written[1]!.trimEnd().split('\n');
  assert.match(first!, / ERROR start-up failed$/);
  assert.match(stack[0]!, /^ {4}Error: boom$/);
  assert.match(stack[1]!, /^ {4}\s*at /);
});

test('credentials are redacted on a terminal as in JSON', () => {
  const pretty: string[] = [];
  const json: string[] = [];
  const fields = { req: { headers: { authorization: 'Bearer secret-token' } }, body: { clientSecret: 'hunter2' } };
  createLogger('info', prettyDestination({ write: (text) => pretty.push(text) }, { colour: false })).info(fields, 'request');
  createLogger('info', { write: (text: string) => void json.push(text) }).info(fields, 'request');
  for (const line of [...pretty, ...json]) assert.doesNotMatch(line, /secret-token|hunter2/);
  assert.equal(JSON.parse(json[0]!).msg, 'request', 'given a destination, the lines stay JSON');
});

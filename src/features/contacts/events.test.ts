import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { build, json, type Workspace } from '../../../test/helpers/build.js';
import { startReceiver, type Receiver } from '../../../test/helpers/receiver.js';

const h = await build({ WEBHOOK_ALLOW_PRIVATE: 'true' });
const worker = await h.worker({ pollMs: 60_000 });
const SECRET = 'contacts-events-secret-0123';
const DEFS = '/v1/contact-property-definitions';

interface Event {
  eventType: string;
  data: Record<string, unknown>;
}

/** A workspace whose events URL is a local receiver, signed with SECRET. */
async function hooked(secret: string | null = SECRET) {
  const receiver = await startReceiver();
  const ws = await h.workspace();
  const res = await h.admin('PATCH', `/admin/v1/workspaces/${ws.id}`, { eventsWebhookUrl: receiver.url('/events'), webhookSecret: secret });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(json(res).hasWebhookSecret, secret !== null);
  return { ws, receiver };
}
/** Sends what is due and answers the events that arrived since `from`. */
async function arrived(receiver: Receiver, from: number, count: number): Promise<Event[]> {
  await worker.drain();
  await receiver.waitFor(from + count);
  await worker.drain();
  assert.equal(receiver.received.length, from + count, 'no more than expected');
  return receiver.received.slice(from).map((r) => JSON.parse(r.body));
}
async function api(ws: Workspace, method: 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown) {
  const res = await ws.api(method, url, body);
  assert.ok(res.statusCode === 200 || res.statusCode === 204, `${method} ${url}: ${res.body}`);
  return res.statusCode === 200 ? json(res) : null;
}

test('ContactCreated: the contact as the API answers it, signed (X-Voxa-Signature and Standard Webhooks)', async () => {
  h.clock.set(new Date()); // Standard Webhooks checks the timestamp against the real time
  const { ws, receiver } = await hooked();
  await api(ws, 'POST', DEFS, { name: 'Status', type: 'Select', selectOptions: ['Lead', 'VIP'] });
  const contact = await api(ws, 'POST', '/v1/contacts', {
    Name: 'John Doe',
    PhoneNumber: '0500888777',
    Email: 'john.doe@example.com',
    CustomFields: { Department: 'IT' },
    Note: 'hello',
    Properties: { status: 'lead' },
  });
  const [event] = await arrived(receiver, 0, 1);
  assert.deepEqual(event, { eventType: 'ContactCreated', data: contact });

  const { headers, body } = receiver.received[0]!;
  assert.equal(headers['content-type'], 'application/json');
  assert.equal(headers['x-voxa-signature'], createHmac('sha256', SECRET).update(body).digest('hex'));
  const verifier = new Webhook(`whsec_${Buffer.from(SECRET).toString('base64')}`);
  const std = { 'webhook-id': String(headers['webhook-id']), 'webhook-timestamp': String(headers['webhook-timestamp']), 'webhook-signature': String(headers['webhook-signature']) };
  assert.deepEqual(verifier.verify(body, std), event);
  assert.match(std['webhook-id'], /^[0-9a-f-]{36}$/);
  assert.throws(() => verifier.verify(body.replace('John', 'Jane'), std), 'a tampered body fails');
  assert.throws(() => new Webhook(`whsec_${Buffer.from('another-secret-0123456').toString('base64')}`).verify(body, std), 'another secret fails');
});

test('ContactUpdated: the contact and each changed field with its old and new value; a no-op sends nothing', async () => {
  h.clock.set(new Date());
  const { ws, receiver } = await hooked();
  const status = await api(ws, 'POST', DEFS, { name: 'Status', type: 'Select', selectOptions: ['Lead', 'VIP'] });
  const c = await api(ws, 'POST', '/v1/contacts', { name: 'Old', phoneNumber: '+966500000701', email: 'old@example.com', customFields: { Department: 'IT' } });
  await arrived(receiver, 0, 1);

  const steps: [string, string, unknown, { propertyName: string; oldValue: string | null; newValue: string | null }[]][] = [
    [
      'PUT',
      `/v1/contacts/${c.id}`,
      { Name: 'New', Email: '', Company: 'Acme', CustomFields: { Department: null, Region: 'Riyadh' } },
      [
        { propertyName: 'Name', oldValue: 'Old', newValue: 'New' },
        { propertyName: 'Company', oldValue: null, newValue: 'Acme' },
        { propertyName: 'CustomFields.Department', oldValue: 'IT', newValue: null },
        { propertyName: 'CustomFields.Region', oldValue: null, newValue: 'Riyadh' },
      ],
    ],
    [
      'PUT',
      `/v1/contacts/${c.id}`,
      { clearFields: ['email'], note: 'called back' },
      [
        { propertyName: 'Email', oldValue: 'old@example.com', newValue: null },
        { propertyName: 'Note', oldValue: null, newValue: 'called back' },
      ],
    ],
    ['PUT', `/v1/contacts/${c.id}/properties/${status.id}`, { value: 'lead' }, [{ propertyName: 'Status', oldValue: null, newValue: 'Lead' }]],
    ['PUT', `/v1/contacts/${c.id}`, { properties: { status: 'VIP' } }, [{ propertyName: 'Status', oldValue: 'Lead', newValue: 'VIP' }]],
    ['DELETE', `/v1/contacts/${c.id}/properties/${status.id}`, undefined, [{ propertyName: 'Status', oldValue: 'VIP', newValue: null }]],
  ];
  for (const [method, url, body, changes] of steps) {
    const from = receiver.received.length;
    const answer = await api(ws, method as 'PUT', url, body);
    const [event] = await arrived(receiver, from, 1);
    assert.equal(event!.eventType, 'ContactUpdated');
    assert.deepEqual(event!.data, { contact: answer, changes }, `${method} ${url} ${JSON.stringify(body)}`);
  }

  const quiet = receiver.received.length;
  await api(ws, 'PUT', `/v1/contacts/${c.id}`, { name: 'New', email: null, company: '', customFields: { Department: null } });
  await api(ws, 'DELETE', `/v1/contacts/${c.id}/properties/${status.id}`);
  await worker.drain();
  assert.equal(receiver.received.length, quiet, 'nothing changed, nothing sent');
});

test('ContactDeleted: id, workspace, name, phone and the time; a failed change sends nothing', async () => {
  h.clock.set(new Date());
  const { ws, receiver } = await hooked();
  const c = await api(ws, 'POST', '/v1/contacts', { name: 'Gone', phoneNumber: '+966500000702' });
  await arrived(receiver, 0, 1);
  h.clock.advance(1000);
  await api(ws, 'DELETE', `/v1/contacts/${c.id}`);
  const [event] = await arrived(receiver, 1, 1);
  assert.deepEqual(event, {
    eventType: 'ContactDeleted',
    data: { id: c.id, workspaceId: ws.id, name: 'Gone', phoneNumber: '+966500000702', deletionTime: h.clock.now().toISOString() },
  });

  const other = await api(ws, 'POST', '/v1/contacts', { name: 'Stays', phoneNumber: '+966500000703' });
  await arrived(receiver, 2, 1);
  const failures: [string, string, unknown, number][] = [
    ['POST', '/v1/contacts', { name: 'Twin', phoneNumber: '0500000703' }, 409],
    ['POST', '/v1/contacts', { name: 'Bad', phoneNumber: 'nope' }, 400],
    ['PUT', `/v1/contacts/${other.id}`, { name: 'Renamed', email: 'not an email' }, 400],
    ['PUT', `/v1/contacts/${c.id}`, { name: 'Ghost' }, 404],
    ['DELETE', `/v1/contacts/${c.id}`, undefined, 404],
  ];
  for (const [method, url, body, status] of failures) {
    assert.equal((await ws.api(method as 'POST', url, body)).statusCode, status, `${method} ${url}`);
  }
  await worker.drain();
  assert.equal(receiver.received.length, 3, 'a refused change sends no event');
});

test('concurrent creates of one phone send one ContactCreated; events go only to their own workspace', async () => {
  h.clock.set(new Date());
  const a = await hooked();
  const b = await hooked(null);
  const silent = await h.workspace();
  const results = await Promise.all(Array.from({ length: 8 }, (_, i) => a.ws.api('POST', '/v1/contacts', { name: `Racer ${i}`, phoneNumber: '+966500000704' })));
  assert.equal(results.filter((r) => r.statusCode === 200).length, 1);
  const winner = json(results.find((r) => r.statusCode === 200)!);
  await api(b.ws, 'POST', '/v1/contacts', { name: 'In B', phoneNumber: '+966500000704' });
  await api(silent, 'POST', '/v1/contacts', { name: 'Nobody listens', phoneNumber: '+966500000704' });

  const [created] = await arrived(a.receiver, 0, 1);
  assert.deepEqual(created, { eventType: 'ContactCreated', data: winner });
  const [inB] = await arrived(b.receiver, 0, 1);
  assert.equal(inB!.eventType, 'ContactCreated');
  assert.equal((inB!.data as { name: string }).name, 'In B');
  assert.equal(b.receiver.received[0]!.headers['x-voxa-signature'], undefined, 'no secret, no signature');
  assert.equal(b.receiver.received[0]!.headers['webhook-signature'], undefined);
  const deliveries = json(await h.admin('GET', `/admin/v1/webhooks/deliveries?workspaceId=${silent.id}`));
  assert.equal(deliveries.totalCount, 0, 'a workspace without an events URL has no deliveries');
});

test('an import sends one ContactsImported with its counts, never one event per contact', async () => {
  h.clock.set(new Date());
  const { ws, receiver } = await hooked();
  await api(ws, 'POST', '/v1/contacts', { name: 'Exists', phoneNumber: '+966500000705' });
  await arrived(receiver, 0, 1);
  const card = (name: string, phone: string) => `BEGIN:VCARD\nVERSION:3.0\nFN:${name}\nTEL;type=CELL:${phone}\nEMAIL:${name.toLowerCase()}@example.com\nEND:VCARD\n`;
  const result = await api(ws, 'POST', '/v1/contacts/import/vcards', {
    VCards: [card('One', '+966500000706'), card('Two', '0500000707'), card('Exists', '+966500000705'), 'BEGIN:VCARD\nVERSION:3.0\nFN:No phone\nEND:VCARD'],
  });
  assert.deepEqual([result.created, result.updated, result.errors.length], [2, 1, 1], JSON.stringify(result));
  const [vcards] = await arrived(receiver, 1, 1);
  assert.deepEqual(vcards, {
    eventType: 'ContactsImported',
    data: { workspaceId: ws.id, format: 'vcard', created: 2, updated: 1, skipped: result.skipped, errors: 1 },
  });

  const csv = await ws.api('POST', '/v1/contacts/import/csv', 'name,phoneNumber\nThree,+966500000708\nFour,+966500000709\n', { 'content-type': 'text/csv' });
  assert.equal(csv.statusCode, 200, csv.body);
  const [csvEvent] = await arrived(receiver, 2, 1);
  assert.deepEqual(csvEvent, { eventType: 'ContactsImported', data: { workspaceId: ws.id, format: 'csv', created: 2, updated: 0, skipped: 0, errors: 0 } });
});

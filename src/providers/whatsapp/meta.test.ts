import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMetaWebhook } from './meta.js';

const webhook = (value: object) => Buffer.from(JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: 'WABA', changes: [{ field: 'messages', value }] }] }));
const at = '1767225600';

test('every inbound message type gives the text a person reads, and a reaction answers the message it reacts to', () => {
  const from = '966500000001';
  const messages = [
    { from, id: 'w1', timestamp: at, type: 'text', text: { body: 'مرحبا' } },
    { from, id: 'w2', timestamp: at, type: 'image', image: { id: 'm1', mime_type: 'image/jpeg', caption: 'the receipt' } },
    { from, id: 'w3', timestamp: at, type: 'interactive', interactive: { type: 'button_reply', button_reply: { id: 'yes', title: 'Yes, confirm' } } },
    { from, id: 'w4', timestamp: at, type: 'interactive', interactive: { type: 'list_reply', list_reply: { id: 'slot-2', title: 'Tuesday 10:00', description: 'Riyadh' } } },
    { from, id: 'w5', timestamp: at, type: 'button', button: { text: 'Stop promotions', payload: 'STOP' }, context: { id: 'wamid.TPL' } },
    { from, id: 'w6', timestamp: at, type: 'reaction', reaction: { message_id: 'wamid.OUT7', emoji: '👍' } },
    { from, id: 'w7', timestamp: at, type: 'contacts', contacts: [{ name: { formatted_name: 'Omar Ali' }, phones: [{ phone: '+966 50 000 0009', type: 'CELL' }] }] },
    { from, id: 'w8', timestamp: at, type: 'location', location: { latitude: 24.7, longitude: 46.6, name: 'Office' } },
  ];
  const batch = parseMetaWebhook(webhook({ contacts: [{ wa_id: from, user_id: 'SA.1502576394655843', profile: { name: 'Sara' } }], messages }), 'test');
  assert.deepEqual(
    batch.messages.map((m) => [m.messageId, m.type, m.text, m.replyTo]),
    [
      ['w1', 'text', 'مرحبا', null],
      ['w2', 'image', 'the receipt', null],
      ['w3', 'interactive', 'Yes, confirm', null],
      ['w4', 'interactive', 'Tuesday 10:00', null],
      ['w5', 'button', 'Stop promotions', 'wamid.TPL'],
      ['w6', 'reaction', '👍', 'wamid.OUT7'],
      ['w7', 'contacts', 'Omar Ali +966 50 000 0009', null],
      ['w8', 'location', null, null],
    ],
  );
  assert.ok(batch.messages.every((m) => m.userId === 'SA.1502576394655843' && m.profileName === 'Sara'), 'the BSUID and profile of the sender, from contacts[]');
});

test('a body that is not Meta\'s shape yields nothing rather than failing; a body that is not JSON is refused', () => {
  assert.deepEqual(parseMetaWebhook(Buffer.from('{"object":"page","entry":[{"changes":[{"value":{}}]}]}'), 'test'), { messages: [], statuses: [] });
  assert.throws(() => parseMetaWebhook(Buffer.from('not json'), 'test'), /not JSON/);
});

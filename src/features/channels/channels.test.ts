import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { authBattery } from '../../../test/helpers/auth-cases.js';
import { ADMIN_TOKEN, build, json } from '../../../test/helpers/build.js';
import { assertError } from '../../../test/helpers/assert.js';

const h = await build();
const CHANNELS = '/v1/channels/service-account';
const MISSING = '01890000-0000-7000-8000-000000000000';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const SANDBOX_NUMBER = /^\+9665555\d{5}$/;

const ITEM_KEYS = [
  'creationTime', 'creatorId', 'evaluationTemplateId', 'icon', 'id', 'inboundAgentConfiguration', 'lastModificationTime',
  'lastModifierId', 'name', 'phoneNumber', 'postCallWebhookUrl', 'smartReconnectConfiguration', 'type', 'whatsAppInfo', 'workspaceId',
];
const ADMIN_KEYS = [...ITEM_KEYS, 'hasWebhookSecret', 'voice', 'whatsApp', 'whatsAppWebhookUrl'].sort();
const SANDBOX_WHATSAPP = { provider: 'sandbox', phoneNumberId: null, businessAccountId: null, graphBaseUrl: null, hasAccessToken: false, hasAppSecret: false, hasVerifyToken: false };

type Channel = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const adminChannels = (workspaceId: string) => `/admin/v1/workspaces/${workspaceId}/channels`;

async function createChannel(workspaceId: string, body: Record<string, unknown>): Promise<Channel> {
  const res = await h.admin('POST', adminChannels(workspaceId), body);
  assert.equal(res.statusCode, 200, res.body);
  return json(res);
}

async function patchChannel(id: string, body: Record<string, unknown>): Promise<Channel> {
  const res = await h.admin('PATCH', `/admin/v1/channels/${id}`, body);
  assert.equal(res.statusCode, 200, res.body);
  return json(res);
}

async function adminList(workspaceId: string, query = ''): Promise<{ totalCount: number; items: Channel[] }> {
  const res = await h.admin('GET', `${adminChannels(workspaceId)}${query}`);
  assert.equal(res.statusCode, 200, res.body);
  return json(res);
}


const names = (res: LightMyRequestResponse) => (json(res).items as Channel[]).map((c) => c.name);
const pick = (channel: Channel, keys: string[]) => Object.fromEntries(keys.map((k) => [k, channel[k]]));

test('Get Channels: every ChannelItem field of spec §3.2 with its type, and nothing operators-only', async () => {
  const ws = await h.workspace();
  const secrets = ['whsec-do-not-leak-0123456789', 'EAAG-access-token-do-not-leak', 'app-secret-do-not-leak', 'verify-token-do-not-leak'];
  const now = h.clock.now().toISOString();
  await createChannel(ws.id, {
    name: 'Main line',
    type: 3,
    icon: 'headset',
    phoneNumber: '+966 50 088 8777',
    postCallWebhookUrl: 'https://hooks.example/calls',
    whatsAppWebhookUrl: 'https://hooks.example/private-whatsapp',
    webhookSecret: secrets[0],
  });
  await createChannel(ws.id, {
    name: 'Cloud',
    type: 2,
    phoneNumber: '+966500111222',
    whatsApp: { provider: 'cloud', phoneNumberId: '109876543210', accessToken: secrets[1], appSecret: secrets[2], verifyToken: secrets[3] },
  });
  await createChannel(ws.id, { name: 'Voice only', type: 1 });

  const res = await ws.api('GET', CHANNELS);
  assert.equal(res.statusCode, 200, res.body);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  for (const hidden of [...secrets, 'private-whatsapp', 'webhookSecret', 'hasWebhookSecret', 'whatsAppWebhookUrl', 'accessToken', 'appSecret', 'verifyToken', '"voice"', '"whatsApp"']) {
    assert.ok(!res.body.includes(hidden), `${hidden} must not leave through the Hatif API`);
  }
  const body = json(res);
  assert.deepEqual(Object.keys(body).sort(), ['items', 'totalCount']);
  assert.equal(body.totalCount, 3);
  assert.equal(body.items.length, 3);

  for (const item of body.items as Channel[]) {
    assert.deepEqual(Object.keys(item).sort(), ITEM_KEYS, item.name);
    assert.match(item.id, UUID_V7);
    assert.match(item.creationTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(item.creationTime, now);
    assert.equal(item.lastModificationTime, now);
    assert.match(item.creatorId, UUID);
    assert.equal(item.lastModifierId, null);
    assert.equal(item.workspaceId, ws.id);
    assert.equal(typeof item.name, 'string');
    assert.ok(Number.isInteger(item.type));
    assert.equal(typeof item.icon, 'string');
    assert.equal(item.inboundAgentConfiguration, null);
    assert.equal(item.evaluationTemplateId, null);

    const reconnect = item.smartReconnectConfiguration;
    assert.deepEqual(Object.keys(reconnect).sort(), ['enabled', 'fallbackStrategy', 'mobileRingTimeoutSeconds', 'sipRingTimeoutSeconds', 'windowMinutes']);
    assert.equal(typeof reconnect.enabled, 'boolean');
    for (const key of ['fallbackStrategy', 'mobileRingTimeoutSeconds', 'sipRingTimeoutSeconds', 'windowMinutes']) {
      assert.ok(Number.isInteger(reconnect[key]), `smartReconnectConfiguration.${key} is an integer`);
    }

    const phone = item.phoneNumber;
    assert.deepEqual(Object.keys(phone).sort(), ['id', 'number', 'phoneNumberStatus', 'provider', 'region', 'workspaceId']);
    assert.match(phone.id, UUID);
    assert.equal(phone.workspaceId, ws.id);
    assert.match(phone.number, /^\+[1-9]\d{7,14}$/);
    assert.equal(phone.phoneNumberStatus, 1);
    assert.equal(phone.region, 'SA');
  }

  const [both, cloud, voice] = body.items as [Channel, Channel, Channel];
  assert.deepEqual([both.name, both.type, both.icon], ['Main line', 3, 'headset']);
  assert.equal(both.phoneNumber.number, '+966500888777');
  assert.equal(both.phoneNumber.provider, 'sandbox');
  assert.equal(both.postCallWebhookUrl, 'https://hooks.example/calls');
  assert.deepEqual(Object.keys(both.whatsAppInfo).sort(), ['businessAccountInfo', 'providerType', 'sessionInfo']);
  assert.equal(both.whatsAppInfo.providerType, 2);
  assert.equal(both.whatsAppInfo.sessionInfo, null);
  const account = both.whatsAppInfo.businessAccountInfo;
  assert.deepEqual(Object.keys(account).sort(), ['displayPhoneNumber', 'id', 'isActive', 'phoneNumberId', 'provider', 'qualityRating', 'status']);
  assert.match(account.id, UUID);
  assert.equal(typeof account.phoneNumberId, 'string');
  assert.ok(account.phoneNumberId.length > 0);
  assert.equal(account.displayPhoneNumber, '+966500888777');
  assert.deepEqual([account.provider, account.status, account.isActive], [2, 1, true]);
  assert.ok(account.qualityRating === null || typeof account.qualityRating === 'string');

  assert.equal(cloud.type, 2);
  assert.equal(cloud.phoneNumber.provider, 'cloud');
  assert.equal(cloud.postCallWebhookUrl, null);
  assert.equal(cloud.whatsAppInfo.providerType, 1);
  assert.equal(cloud.whatsAppInfo.businessAccountInfo.phoneNumberId, '109876543210');
  assert.equal(cloud.whatsAppInfo.businessAccountInfo.displayPhoneNumber, '+966500111222');
  assert.equal(cloud.whatsAppInfo.businessAccountInfo.provider, 1);
  assert.notEqual(cloud.whatsAppInfo.businessAccountInfo.id, account.id);

  assert.equal(voice.type, 1);
  assert.equal(voice.icon, '');
  assert.equal(voice.whatsAppInfo, null);
  assert.match(voice.phoneNumber.number, SANDBOX_NUMBER);
  assert.equal(voice.phoneNumber.provider, 'sandbox');
});

test('Get Channels: 20 a page by default; SkipCount/MaxResultCount in any casing; at most 1000', async () => {
  const ws = await h.workspace();
  for (let i = 0; i < 23; i++) await createChannel(ws.id, { name: `ch-${String(i).padStart(2, '0')}`, type: 2 });

  const first = json(await ws.api('GET', CHANNELS));
  assert.equal(first.totalCount, 23);
  assert.equal(first.items.length, 20, 'default page size is 20');
  assert.deepEqual(names(await ws.api('GET', `${CHANNELS}?SkipCount=20`)), ['ch-20', 'ch-21', 'ch-22']);
  for (const query of ['SkipCount=5&MaxResultCount=3', 'skipCount=5&maxResultCount=3', 'skipcount=5&maxresultcount=3', 'SKIPCOUNT=5&MAXRESULTCOUNT=3']) {
    const res = await ws.api('GET', `${CHANNELS}?${query}`);
    assert.deepEqual(names(res), ['ch-05', 'ch-06', 'ch-07'], query);
    assert.equal(json(res).totalCount, 23, 'totalCount ignores paging');
  }
  assert.equal(json(await ws.api('GET', `${CHANNELS}?MaxResultCount=1000`)).items.length, 23);
  assert.equal(json(await ws.api('GET', `${CHANNELS}?SkipCount=0&MaxResultCount=100`)).items.length, 23, 'the saved request of spec §3.2');
  const beyond = json(await ws.api('GET', `${CHANNELS}?SkipCount=100`));
  assert.deepEqual([beyond.totalCount, beyond.items], [23, []]);

  for (const query of ['MaxResultCount=1001', 'maxresultcount=1001', 'MaxResultCount=0', 'MaxResultCount=ten']) {
    assertError(await ws.api('GET', `${CHANNELS}?${query}`), 400, 'Wasl:ValidationFailed', ['MaxResultCount']);
  }
  for (const query of ['SkipCount=-1', 'skipCount=abc']) {
    assertError(await ws.api('GET', `${CHANNELS}?${query}`), 400, 'Wasl:ValidationFailed', ['SkipCount']);
  }
  assertError(await ws.api('GET', `${CHANNELS}?SkipCount=1&skipcount=2`), 400, 'Wasl:ValidationFailed', ['SkipCount']);
});

test('Get Channels: Sorting on Name, CreationTime and Type; anything else → 400 naming Sorting', async () => {
  const ws = await h.workspace();
  for (const [name, type] of [['bravo', 2], ['alpha', 3], ['charlie', 1], ['delta', 2]] as const) {
    await createChannel(ws.id, { name, type });
    h.clock.advance(1000);
  }
  const sorted = async (sorting: string) => names(await ws.api('GET', `${CHANNELS}?Sorting=${encodeURIComponent(sorting)}`));
  assert.deepEqual(await sorted('Name ASC'), ['alpha', 'bravo', 'charlie', 'delta']);
  assert.deepEqual(await sorted('name desc'), ['delta', 'charlie', 'bravo', 'alpha']);
  assert.deepEqual(await sorted('Name'), ['alpha', 'bravo', 'charlie', 'delta'], 'the direction defaults to ASC');
  assert.deepEqual(await sorted('CreationTime DESC'), ['delta', 'charlie', 'alpha', 'bravo']);
  assert.deepEqual(await sorted('creationtime asc'), ['bravo', 'alpha', 'charlie', 'delta']);
  assert.deepEqual(await sorted('TYPE DESC, Name ASC'), ['alpha', 'bravo', 'delta', 'charlie']);
  assert.deepEqual(await sorted('Type ASC, name DESC'), ['charlie', 'delta', 'bravo', 'alpha']);
  assert.deepEqual(names(await ws.api('GET', `${CHANNELS}?sorting=Name%20DESC&maxResultCount=2&skipCount=1`)), ['charlie', 'bravo']);

  for (const bad of ['Color ASC', 'Name SIDEWAYS', 'Name ASC DESC', 'WorkspaceId ASC', 'Name;drop table channels', 'Name ASC,']) {
    assertError(await ws.api('GET', `${CHANNELS}?Sorting=${encodeURIComponent(bad)}`), 400, 'Wasl:ValidationFailed', ['Sorting']);
  }
});

test('Get Channels: oldest channel first by default, by creation time rather than by id', async () => {
  const ws = await h.workspace();
  const start = h.clock.now();
  h.clock.advance(60_000);
  const newer = await createChannel(ws.id, { name: 'newer', type: 2 });
  h.clock.set(start);
  const older = await createChannel(ws.id, { name: 'older', type: 3 }); // created second, with an earlier time
  h.clock.set(new Date(start.getTime() + 60_000));
  assert.ok(older.id > newer.id, 'ids follow the real creation order');

  const list = json(await ws.api('GET', CHANNELS));
  assert.deepEqual(list.items.map((c: Channel) => c.name), ['older', 'newer']);
  assert.equal(list.items[0].creationTime, start.toISOString());
  assert.equal(list.items[0].id, older.id, 'clients take items[0] as the default channel');
  assert.deepEqual(names(await ws.api('GET', `${CHANNELS}?Sorting=CreationTime%20DESC`)), ['newer', 'older']);
  assert.deepEqual((await adminList(ws.id)).items.map((c) => c.name), ['older', 'newer'], 'the admin list agrees');
});

test('Get Channels: the type filter takes the integer or the name, in any casing', async () => {
  const ws = await h.workspace();
  await createChannel(ws.id, { name: 'voice', type: 1 });
  await createChannel(ws.id, { name: 'wa', type: 'WhatsApp' });
  await createChannel(ws.id, { name: 'both', type: 3 });
  await createChannel(ws.id, { name: 'both-2', type: 3 });

  const filtered = async (query: string) => {
    const res = await ws.api('GET', `${CHANNELS}?${query}`);
    assert.equal(res.statusCode, 200, `${query}: ${res.body}`);
    return { names: names(res), totalCount: json(res).totalCount as number, types: (json(res).items as Channel[]).map((c) => c.type) };
  };
  assert.deepEqual(await filtered('type=3'), { names: ['both', 'both-2'], totalCount: 2, types: [3, 3] });
  assert.deepEqual(await filtered('type=PhoneNumberAndWhatsapp'), { names: ['both', 'both-2'], totalCount: 2, types: [3, 3] });
  assert.deepEqual(await filtered('type=phonenumberandwhatsapp'), { names: ['both', 'both-2'], totalCount: 2, types: [3, 3] });
  assert.deepEqual(await filtered('Type=whatsapp'), { names: ['wa'], totalCount: 1, types: [2] });
  assert.deepEqual(await filtered('type=Whatsapp'), { names: ['wa'], totalCount: 1, types: [2] }, 'the spelling a real client sends');
  assert.deepEqual(await filtered('type=2'), { names: ['wa'], totalCount: 1, types: [2] });
  assert.deepEqual(await filtered('TYPE=PHONENUMBER'), { names: ['voice'], totalCount: 1, types: [1] });
  assert.deepEqual(await filtered('type=1'), { names: ['voice'], totalCount: 1, types: [1] });
  assert.deepEqual(await filtered('type=3&SkipCount=1&MaxResultCount=1'), { names: ['both-2'], totalCount: 2, types: [3] });
  assert.deepEqual(await filtered('type=3&Sorting=Name%20DESC'), { names: ['both-2', 'both'], totalCount: 2, types: [3, 3] });
  assert.deepEqual(await filtered(''), { names: ['voice', 'wa', 'both', 'both-2'], totalCount: 4, types: [1, 2, 3, 3] });
  assert.deepEqual((await adminList(ws.id, '?type=whatsapp')).items.map((c) => c.name), ['wa'], 'the admin list filters too');

  for (const bad of ['Voice', '4', '0', '-1', '1.5', 'Whats%20App']) {
    const res = await ws.api('GET', `${CHANNELS}?type=${bad}`);
    assertError(res, 400, 'Wasl:ValidationFailed', ['type']);
    assert.match(json(res).error.validationErrors[0].message, /type/);
  }
  assertError(await ws.api('GET', `${CHANNELS}?type=1&Type=2`), 400, 'Wasl:ValidationFailed', ['type']);
});

test("Get Channels: a workspace sees only its own channels, never another's", async () => {
  const a = await h.workspace();
  const b = await h.workspace();
  const empty = await h.workspace();
  await createChannel(a.id, { name: 'a-1', type: 3 });
  await createChannel(a.id, { name: 'a-2', type: 2 });
  await createChannel(b.id, { name: 'b-1', type: 3 });

  const seenByA = json(await a.api('GET', CHANNELS));
  assert.deepEqual(seenByA.items.map((c: Channel) => c.name), ['a-1', 'a-2']);
  assert.equal(seenByA.totalCount, 2);
  assert.ok(seenByA.items.every((c: Channel) => c.workspaceId === a.id && c.phoneNumber.workspaceId === a.id));
  const seenByB = json(await b.api('GET', `${CHANNELS}?type=3&MaxResultCount=1000`));
  assert.deepEqual(seenByB.items.map((c: Channel) => c.name), ['b-1']);
  assert.equal(seenByB.totalCount, 1);
  assert.deepEqual(json(await empty.api('GET', CHANNELS)), { totalCount: 0, items: [] });
  assert.deepEqual((await adminList(b.id)).items.map((c) => c.name), ['b-1']);
});

authBattery(h, () => [
  { method: 'GET', url: CHANNELS },
  { method: 'GET', url: `${CHANNELS}?type=3&SkipCount=0&MaxResultCount=5` },
]);

test('admin: create a channel of each type, by integer or by name; sandbox providers and number by default', async () => {
  const ws = await h.workspace();
  const now = h.clock.now().toISOString();
  const cases = [[1, 1], [2, 2], [3, 3], ['PhoneNumber', 1], ['whatsapp', 2], ['PHONENUMBERANDWHATSAPP', 3]] as const;
  const created: Channel[] = [];
  for (const [type, expected] of cases) {
    const channel = await createChannel(ws.id, { name: `type ${type}`, type });
    created.push(channel);
    assert.deepEqual(Object.keys(channel).sort(), ADMIN_KEYS);
    assert.equal(channel.type, expected, String(type));
    assert.match(channel.id, UUID_V7);
    assert.equal(channel.workspaceId, ws.id);
    assert.equal(channel.creationTime, now);
    assert.match(channel.phoneNumber.number, SANDBOX_NUMBER, 'a sandbox number is generated');
    assert.equal(channel.phoneNumber.region, 'SA');
    assert.equal(channel.whatsAppWebhookUrl, null);
    assert.equal(channel.postCallWebhookUrl, null);
    assert.equal(channel.hasWebhookSecret, false);
    assert.deepEqual(channel.voice, expected === 2 ? null : { provider: 'sandbox' });
    assert.deepEqual(channel.whatsApp, expected === 1 ? null : SANDBOX_WHATSAPP);
    assert.equal(channel.whatsAppInfo === null, expected === 1);
    if (expected !== 1) assert.equal(channel.whatsAppInfo.businessAccountInfo.displayPhoneNumber, channel.phoneNumber.number);
  }
  const listed = json(await ws.api('GET', `${CHANNELS}?MaxResultCount=100`));
  assert.deepEqual(listed.items, created.map((c) => pick(c, ITEM_KEYS)), 'Get Channels shows what was created, minus the operator fields');
  assert.deepEqual(await adminList(ws.id), { totalCount: 6, items: created });

  const spelled = await createChannel(ws.id, { Name: 'Any casing', TYPE: 'whatsApp', WhatsApp: { Provider: 'sandbox' }, POSTCALLWEBHOOKURL: null });
  assert.deepEqual([spelled.name, spelled.type, spelled.whatsApp.provider], ['Any casing', 2, 'sandbox']);
  assert.equal((await createChannel(ws.id, { name: '  Trimmed  ', type: 1 })).name, 'Trimmed');
});

test('admin: phone numbers are read in the workspace region and stored in E.164', async () => {
  const sa = await h.workspace();
  const ae = json(await h.admin('POST', '/admin/v1/workspaces', { name: 'Dubai', defaultRegion: 'AE' }));
  const numberOf = async (workspaceId: string, phoneNumber: string) => (await createChannel(workspaceId, { name: phoneNumber, type: 3, phoneNumber })).phoneNumber;
  assert.deepEqual(pick(await numberOf(sa.id, '0500888777'), ['number', 'region']), { number: '+966500888777', region: 'SA' });
  assert.equal((await numberOf(sa.id, '966500888777')).number, '+966500888777');
  assert.equal((await numberOf(sa.id, '00966 50-088-8777')).number, '+966500888777');
  assert.deepEqual(pick(await numberOf(ae.id, '050 123 4567'), ['number', 'region']), { number: '+971501234567', region: 'AE' });
  assert.deepEqual(pick(await numberOf(sa.id, '+44 7400 123456'), ['number', 'region']), { number: '+447400123456', region: 'GB' });

  const before = (await adminList(sa.id)).totalCount;
  for (const phoneNumber of ['not-a-phone', '12', '+966123', '0500']) {
    assertError(await h.admin('POST', adminChannels(sa.id), { name: 'bad', type: 1, phoneNumber }), 400, 'Wasl:ValidationFailed', ['phoneNumber']);
  }
  assertError(await h.admin('POST', adminChannels(sa.id), { name: 'bad', type: 1, phoneNumber: 966500888777 }), 400, 'Wasl:ValidationFailed', ['phoneNumber']);
  assert.equal((await adminList(sa.id)).totalCount, before, 'nothing was written');
});

test('admin: WhatsApp provider settings are checked against the type and the provider', async () => {
  const ws = await h.workspace();
  const post = (body: Record<string, unknown>) => h.admin('POST', adminChannels(ws.id), { name: 'wa', phoneNumber: '+966500111222', ...body });
  assertError(await post({ type: 2, whatsApp: { provider: 'cloud' } }), 400, 'Wasl:ValidationFailed', ['whatsApp.phoneNumberId']);
  assertError(await post({ type: 2, whatsApp: { provider: 'cloud', accessToken: 'token' } }), 400, 'Wasl:ValidationFailed', ['whatsApp.phoneNumberId']);
  assertError(await post({ type: 3, whatsApp: { provider: 'cloud', phoneNumberId: '123' } }), 400, 'Wasl:ValidationFailed', ['whatsApp.accessToken']);
  assertError(await post({ type: 2, whatsApp: { provider: 'cloud', phoneNumberId: '123', accessToken: '' } }), 400, 'Wasl:ValidationFailed', ['whatsApp.accessToken']);
  assertError(await post({ type: 1, whatsApp: { provider: 'sandbox' } }), 400, 'Wasl:ValidationFailed', ['whatsApp']);
  assertError(await post({ type: 'PhoneNumber', whatsApp: { provider: 'cloud', phoneNumberId: '1', accessToken: 't' } }), 400, 'Wasl:ValidationFailed', ['whatsApp']);
  assertError(await post({ type: 2, voice: { provider: 'sandbox' } }), 400, 'Wasl:ValidationFailed', ['voice']);
  assertError(await post({ type: 2, whatsApp: { provider: 'meta' } }), 400, 'Wasl:ValidationFailed', ['whatsApp.provider']);
  assertError(await post({ type: 2, whatsApp: {} }), 400, 'Wasl:ValidationFailed', ['whatsApp.provider']);
  assertError(
    await h.admin('POST', adminChannels(ws.id), { name: 'no number', type: 2, whatsApp: { provider: 'cloud', phoneNumberId: '1', accessToken: 't' } }),
    400,
    'Wasl:ValidationFailed',
    ['phoneNumber'],
  );
  assert.equal((await adminList(ws.id)).totalCount, 0, 'nothing was written');

  const secrets = { accessToken: 'EAAG-access-token-do-not-leak', appSecret: 'app-secret-do-not-leak', verifyToken: 'verify-do-not-leak' };
  const res = await post({ type: 2, whatsApp: { provider: 'cloud', phoneNumberId: '109876543210', ...secrets } });
  assert.equal(res.statusCode, 200, res.body);
  for (const secret of Object.values(secrets)) assert.ok(!res.body.includes(secret), 'secrets are never shown back');
  const cloud = json(res);
  assert.deepEqual(cloud.whatsApp, {
    provider: 'cloud',
    phoneNumberId: '109876543210',
    businessAccountId: null,
    graphBaseUrl: 'https://graph.facebook.com/v21.0',
    hasAccessToken: true,
    hasAppSecret: true,
    hasVerifyToken: true,
  });
  assert.equal(cloud.phoneNumber.number, '+966500111222');
  assert.equal(cloud.phoneNumber.provider, 'cloud');

  const custom = json(await post({ type: 3, whatsApp: { provider: 'cloud', phoneNumberId: '42', accessToken: 't', graphBaseUrl: 'https://graph.example.test/v21.0' } }));
  assert.deepEqual(pick(custom.whatsApp, ['graphBaseUrl', 'hasAppSecret', 'hasVerifyToken']), { graphBaseUrl: 'https://graph.example.test/v21.0', hasAppSecret: false, hasVerifyToken: false });
  assert.deepEqual(custom.voice, { provider: 'sandbox' });
  const listed = await adminList(ws.id);
  assert.equal(listed.totalCount, 2);
  for (const secret of Object.values(secrets)) assert.ok(!JSON.stringify(listed).includes(secret), 'nor in the admin list');
});

test('admin: webhook URLs must be http(s); the webhook secret shows only as a flag', async () => {
  const ws = await h.workspace();
  const secret = 'whsec-0123456789abcdef-do-not-leak';
  const res = await h.admin('POST', adminChannels(ws.id), {
    name: 'hooks',
    type: 3,
    whatsAppWebhookUrl: 'https://hooks.example/wa',
    postCallWebhookUrl: 'http://hooks.example:8080/calls?x=1',
    webhookSecret: secret,
  });
  assert.equal(res.statusCode, 200, res.body);
  assert.ok(!res.body.includes(secret));
  assert.deepEqual(pick(json(res), ['whatsAppWebhookUrl', 'postCallWebhookUrl', 'hasWebhookSecret']), {
    whatsAppWebhookUrl: 'https://hooks.example/wa',
    postCallWebhookUrl: 'http://hooks.example:8080/calls?x=1',
    hasWebhookSecret: true,
  });
  assert.ok(!JSON.stringify(await adminList(ws.id)).includes(secret));

  const post = (body: Record<string, unknown>) => h.admin('POST', adminChannels(ws.id), { name: 'bad', type: 3, ...body });
  assertError(await post({ whatsAppWebhookUrl: 'ftp://hooks.example/wa' }), 400, 'Wasl:ValidationFailed', ['whatsAppWebhookUrl']);
  assertError(await post({ postCallWebhookUrl: 'javascript:alert(1)' }), 400, 'Wasl:ValidationFailed', ['postCallWebhookUrl']);
  assertError(await post({ postCallWebhookUrl: 'not a url' }), 400, 'Wasl:ValidationFailed', ['postCallWebhookUrl']);
  assertError(await post({ whatsApp: { provider: 'cloud', phoneNumberId: '1', accessToken: 't', graphBaseUrl: 'file:///etc/passwd' }, phoneNumber: '+966500111222' }), 400, 'Wasl:ValidationFailed', ['whatsApp.graphBaseUrl']);
  assertError(await post({ webhookSecret: 'short' }), 400, 'Wasl:ValidationFailed', ['webhookSecret']);
  assertError(await post({ name: '' }), 400, 'Wasl:ValidationFailed', ['name']);
  assertError(await post({ name: '   ' }), 400, 'Wasl:ValidationFailed', ['name']);
  assertError(await h.admin('POST', adminChannels(ws.id), { type: 3 }), 400, 'Wasl:ValidationFailed', ['name']);
  assertError(await h.admin('POST', adminChannels(ws.id), { name: 'no type' }), 400, 'Wasl:ValidationFailed', ['type']);
  assertError(await post({ type: 'Voice' }), 400, 'Wasl:ValidationFailed', ['type']);
  assertError(await post({ type: 4 }), 400, 'Wasl:ValidationFailed', ['type']);
  const broken = await h.app.inject({
    method: 'POST',
    url: adminChannels(ws.id),
    payload: '{"name": "broken"',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
  });
  assertError(broken, 400, 'Wasl:MalformedJson');
  assert.equal((await adminList(ws.id)).totalCount, 1, 'nothing else was written');
});

test('admin: PATCH changes the fields given and keeps the rest', async () => {
  const ws = await h.workspace();
  const created = await createChannel(ws.id, {
    name: 'Support',
    type: 3,
    icon: 'headset',
    phoneNumber: '+966500111222',
    whatsAppWebhookUrl: 'https://hooks.example/wa',
    postCallWebhookUrl: 'https://hooks.example/calls',
    webhookSecret: 'sixteen-chars-secret',
  });
  h.clock.advance(5_000);
  const renamed = await patchChannel(created.id, { name: 'Support (KSA)' });
  assert.match(renamed.lastModifierId, UUID);
  assert.deepEqual(renamed, { ...created, name: 'Support (KSA)', lastModificationTime: h.clock.now().toISOString(), lastModifierId: renamed.lastModifierId });
  assert.notEqual(renamed.lastModificationTime, created.lastModificationTime);

  const unchanged = await patchChannel(created.id, {});
  assert.deepEqual(pick(unchanged, ADMIN_KEYS.filter((k) => k !== 'lastModificationTime')), pick(renamed, ADMIN_KEYS.filter((k) => k !== 'lastModificationTime')));

  const urls = await patchChannel(created.id, { WhatsAppWebhookUrl: 'https://hooks.example/wa-2', postCallWebhookUrl: null });
  assert.deepEqual(pick(urls, ['name', 'whatsAppWebhookUrl', 'postCallWebhookUrl', 'hasWebhookSecret', 'icon']), {
    name: 'Support (KSA)',
    whatsAppWebhookUrl: 'https://hooks.example/wa-2',
    postCallWebhookUrl: null,
    hasWebhookSecret: true,
    icon: 'headset',
  });

  const phone = await patchChannel(created.id, { phoneNumber: '0500888777' });
  assert.deepEqual(phone.phoneNumber, { ...created.phoneNumber, number: '+966500888777' }, 'the number changes, its record id stays');
  assert.equal(phone.whatsAppInfo.businessAccountInfo.displayPhoneNumber, '+966500888777');

  const voiceOnly = await patchChannel(created.id, { type: 1 });
  assert.deepEqual(pick(voiceOnly, ['type', 'whatsApp', 'whatsAppInfo', 'voice', 'whatsAppWebhookUrl']), {
    type: 1,
    whatsApp: null,
    whatsAppInfo: null,
    voice: { provider: 'sandbox' },
    whatsAppWebhookUrl: 'https://hooks.example/wa-2',
  });
  assert.equal(voiceOnly.phoneNumber.number, '+966500888777');

  const whatsAppOnly = await patchChannel(created.id, { type: 'WhatsApp' });
  assert.deepEqual(pick(whatsAppOnly, ['type', 'voice', 'whatsApp']), { type: 2, voice: null, whatsApp: SANDBOX_WHATSAPP });
  assert.equal(whatsAppOnly.whatsAppInfo.providerType, 2);

  const token = 'EAAG-patched-token-do-not-leak';
  const res = await h.admin('PATCH', `/admin/v1/channels/${created.id}`, { whatsApp: { provider: 'cloud', phoneNumberId: '555', accessToken: token } });
  assert.equal(res.statusCode, 200, res.body);
  assert.ok(!res.body.includes(token));
  const cloud = json(res);
  assert.deepEqual(pick(cloud.whatsApp, ['provider', 'phoneNumberId', 'hasAccessToken']), { provider: 'cloud', phoneNumberId: '555', hasAccessToken: true });
  assert.equal(cloud.type, 2);

  const rotated = await patchChannel(created.id, { whatsApp: { provider: 'cloud', accessToken: 'EAAG-rotated-token' } });
  assert.deepEqual(pick(rotated.whatsApp, ['provider', 'phoneNumberId', 'hasAccessToken']), { provider: 'cloud', phoneNumberId: '555', hasAccessToken: true }, 'same provider: amended');

  const both = await patchChannel(created.id, { type: 3, webhookSecret: null, icon: 'star' });
  assert.deepEqual(pick(both, ['type', 'voice', 'hasWebhookSecret', 'icon']), { type: 3, voice: { provider: 'sandbox' }, hasWebhookSecret: false, icon: 'star' });
  assert.equal(both.whatsApp.provider, 'cloud', 'WhatsApp settings survive a type change that keeps WhatsApp');

  const seen = json(await ws.api('GET', CHANNELS)).items[0];
  assert.deepEqual(seen, pick(both, ITEM_KEYS), 'Get Channels shows the change');
  assert.deepEqual(pick(seen, ['name', 'type', 'postCallWebhookUrl']), { name: 'Support (KSA)', type: 3, postCallWebhookUrl: null });
  assert.equal(seen.whatsAppInfo.businessAccountInfo.phoneNumberId, '555');

  const sandbox = await patchChannel(created.id, { whatsApp: { provider: 'sandbox' } });
  assert.deepEqual(sandbox.whatsApp, SANDBOX_WHATSAPP, "another provider does not inherit the cloud's credentials");
  assert.notEqual(sandbox.whatsAppInfo.businessAccountInfo.phoneNumberId, '555');
  assert.equal(sandbox.whatsAppInfo.businessAccountInfo.id, both.whatsAppInfo.businessAccountInfo.id, 'the business account record stays');
  assertError(
    await h.admin('PATCH', `/admin/v1/channels/${created.id}`, { whatsApp: { provider: 'cloud', phoneNumberId: '555' } }),
    400,
    'Wasl:ValidationFailed',
    ['whatsApp.accessToken'],
  );
});

test('admin: a bad PATCH is a 400 naming the field and changes nothing', async () => {
  const ws = await h.workspace();
  const channel = await createChannel(ws.id, { name: 'Keep me', type: 2, postCallWebhookUrl: 'https://hooks.example/calls' });
  const voice = await createChannel(ws.id, { name: 'Voice', type: 1 });
  const patch = (id: string, body: unknown) => h.admin('PATCH', `/admin/v1/channels/${id}`, body);
  assertError(await patch(channel.id, { type: 1, whatsApp: { provider: 'sandbox' } }), 400, 'Wasl:ValidationFailed', ['whatsApp']);
  assertError(await patch(voice.id, { whatsApp: { provider: 'sandbox' } }), 400, 'Wasl:ValidationFailed', ['whatsApp']);
  assertError(await patch(channel.id, { voice: { provider: 'sandbox' } }), 400, 'Wasl:ValidationFailed', ['voice']);
  assertError(await patch(channel.id, { whatsApp: { provider: 'cloud' } }), 400, 'Wasl:ValidationFailed', ['whatsApp.phoneNumberId']);
  assertError(await patch(channel.id, { whatsApp: { provider: 'cloud', phoneNumberId: '1' } }), 400, 'Wasl:ValidationFailed', ['whatsApp.accessToken']);
  assertError(await patch(channel.id, { postCallWebhookUrl: 'ftp://hooks.example/calls' }), 400, 'Wasl:ValidationFailed', ['postCallWebhookUrl']);
  assertError(await patch(channel.id, { whatsAppWebhookUrl: 'hooks.example/wa' }), 400, 'Wasl:ValidationFailed', ['whatsAppWebhookUrl']);
  assertError(await patch(channel.id, { phoneNumber: 'nope' }), 400, 'Wasl:ValidationFailed', ['phoneNumber']);
  assertError(await patch(channel.id, { phoneNumber: null }), 400, 'Wasl:ValidationFailed', ['phoneNumber']);
  assertError(await patch(channel.id, { name: '' }), 400, 'Wasl:ValidationFailed', ['name']);
  assertError(await patch(channel.id, { name: ' \t ' }), 400, 'Wasl:ValidationFailed', ['name']);
  assertError(await patch(channel.id, { type: 9 }), 400, 'Wasl:ValidationFailed', ['type']);
  assertError(await patch(channel.id, { webhookSecret: 'short' }), 400, 'Wasl:ValidationFailed', ['webhookSecret']);
  assertError(await patch(channel.id, { name: 'a', Name: 'b' }), 400, 'Wasl:ValidationFailed', ['name']);
  assert.deepEqual((await adminList(ws.id)).items, [channel, voice], 'nothing changed');
});

test('admin: unknown ids answer 404 in the error envelope; malformed ids 400', async () => {
  const create = await h.admin('POST', adminChannels(MISSING), { name: 'x', type: 3 });
  assertError(create, 404, 'Wasl:Workspace:NotFound');
  assert.match(json(create).error.message, new RegExp(MISSING));
  assertError(await h.admin('GET', adminChannels(MISSING)), 404, 'Wasl:Workspace:NotFound');
  const patch = await h.admin('PATCH', `/admin/v1/channels/${MISSING}`, { name: 'x' });
  assertError(patch, 404, 'Wasl:Channel:NotFound');
  assert.match(json(patch).error.message, new RegExp(MISSING));
  assertError(await h.admin('POST', adminChannels('not-a-uuid'), { name: 'x', type: 3 }), 400, 'Wasl:ValidationFailed', ['workspaceId']);
  assertError(await h.admin('GET', adminChannels('not-a-uuid')), 400, 'Wasl:ValidationFailed', ['workspaceId']);
  assertError(await h.admin('PATCH', '/admin/v1/channels/not-a-uuid', { name: 'x' }), 400, 'Wasl:ValidationFailed', ['id']);
});

test('admin channel routes refuse a missing or wrong admin token, and a Hatif token; nothing changes', async () => {
  const ws = await h.workspace();
  const channel = await createChannel(ws.id, { name: 'Guarded', type: 3 });
  const routes = [
    { method: 'POST', url: adminChannels(ws.id), payload: { name: 'intruder', type: 3 } },
    { method: 'GET', url: adminChannels(ws.id) },
    { method: 'PATCH', url: `/admin/v1/channels/${channel.id}`, payload: { name: 'stolen' } },
  ] as const;
  const headers: Record<string, Record<string, string>> = {
    'no token': {},
    'wrong token': { authorization: 'Bearer test-admin-token-0123456788' },
    'Hatif token': { authorization: `Bearer ${ws.token}` },
    'admin token without Bearer': { authorization: 'test-admin-token-0123456789' },
    'admin token as Basic': { authorization: `Basic ${Buffer.from('admin:test-admin-token-0123456789').toString('base64')}` },
  };
  for (const [name, header] of Object.entries(headers)) {
    for (const route of routes) {
      const res = await h.app.inject({ ...route, headers: header });
      assertError(res, 401, 'Wasl:Unauthorized');
      assert.match(String(res.headers['www-authenticate']), /^Bearer/, `${name}: ${route.method} ${route.url}`);
    }
  }
  assert.deepEqual((await adminList(ws.id)).items, [channel], 'nothing was created or changed');
});

test('admin: PATCH may change one WhatsApp setting without naming the provider again', async () => {
  const ws = await h.workspace();
  const cloud = await createChannel(ws.id, {
    name: 'Cloud',
    type: 2,
    phoneNumber: '+966500111333',
    whatsApp: { provider: 'cloud', phoneNumberId: '1111', accessToken: 'first-token' },
  });
  const patched = await patchChannel(cloud.id, { whatsApp: { accessToken: 'second-token', appSecret: 'app-secret' } });
  assert.deepEqual(patched.whatsApp, { ...cloud.whatsApp, hasAppSecret: true }, 'still cloud, same phoneNumberId, token replaced');
  const stored = await h.store.db.selectFrom('channels').select(['whatsapp', 'provider_secrets']).where('id', '=', cloud.id).executeTakeFirstOrThrow();
  assert.ok(!JSON.stringify(stored).includes('second-token'), 'stored sealed');
  assert.deepEqual(JSON.parse(h.app.container.secrets.box.open(stored.provider_secrets!)), { whatsApp: { accessToken: 'second-token', appSecret: 'app-secret' } });
  assertError(await h.admin('POST', adminChannels(ws.id), { name: 'x', type: 2, phoneNumber: '' }), 400, 'Wasl:ValidationFailed', ['phoneNumber']);
});

test('an unknown enum name gets one message naming the field and the allowed values', async () => {
  const ws = await h.workspace();
  const res = await ws.api('GET', `${CHANNELS}?type=Fax`);
  assertError(res, 400, 'Wasl:ValidationFailed', ['type']);
  const issues = json(res).error.validationErrors;
  assert.equal(issues.length, 1, res.body);
  assert.match(issues[0].message, /1 \(PhoneNumber\), 2 \(WhatsApp\), 3 \(PhoneNumberAndWhatsapp\)/);
});

test('admin: whatsApp.graphBaseUrl pointing inside (metadata, loopback, private) → 400 naming it, on create and PATCH; nothing changes', async () => {
  const ws = await h.workspace();
  const cloud = { provider: 'cloud', phoneNumberId: '42', accessToken: 'token-0123456789' };
  const inside = ['http://169.254.169.254/latest/meta-data/', 'http://127.0.0.1:9/v21.0', 'http://[::1]/', 'http://10.1.2.3/', 'http://0x7f000001/'];
  for (const graphBaseUrl of inside) {
    const res = await h.admin('POST', adminChannels(ws.id), { name: 'ssrf', type: 2, phoneNumber: '+966500111222', whatsApp: { ...cloud, graphBaseUrl } });
    assertError(res, 400, 'Wasl:ValidationFailed', ['whatsApp.graphBaseUrl']);
    assert.match(json(res).error.validationErrors[0].message, /^whatsApp\.graphBaseUrl host .*(metadata|loopback|private)/, graphBaseUrl);
  }
  assert.equal((await adminList(ws.id)).totalCount, 0);
  const channel = await createChannel(ws.id, { name: 'cloud', type: 2, phoneNumber: '+966500111222', whatsApp: cloud });
  for (const graphBaseUrl of inside) {
    assertError(await h.admin('PATCH', `/admin/v1/channels/${channel.id}`, { whatsApp: { graphBaseUrl } }), 400, 'Wasl:ValidationFailed', ['whatsApp.graphBaseUrl']);
  }
  assert.deepEqual((await adminList(ws.id)).items, [channel], 'nothing changed');
});

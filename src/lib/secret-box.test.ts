import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { createKeyring, createSecretBox, decodeKey, keyId, open, reseal, seal, sealedKeyId, SecretKeyError, type KeyStore } from './secret-box.js';

const keyA = randomBytes(32);
const keyB = randomBytes(32);

test('seal → open round-trips any text; each sealing differs; the form is v1:<kid>:<iv>:<ct>:<tag> in base64url', () => {
  const ring = createKeyring(keyA);
  for (const text of ['', 'EAAG-token', 'مرحبا 👋', 'x'.repeat(5000), 'with:colons:inside']) {
    const sealed = seal(ring, text);
    assert.match(sealed, /^v1:[\w-]{10}:[\w-]{16}:[\w-]*:[\w-]{22}$/);
    assert.equal(open(ring, sealed), text);
    assert.notEqual(seal(ring, text), sealed, 'a fresh IV each time');
    if (text.length > 3) assert.ok(!sealed.includes(text) && !sealed.includes(Buffer.from(text).toString('base64url')));
  }
  assert.equal(sealedKeyId(seal(ring, 'x')), keyId(keyA));
  assert.notEqual(keyId(keyA), keyId(keyB));
});

test('a changed byte, a foreign value or an unknown key is a SecretKeyError, never garbage', () => {
  const ring = createKeyring(keyA);
  const sealed = seal(ring, 'the secret');
  const parts = sealed.split(':');
  const flip = (part: string) => {
    const bytes = Buffer.from(part, 'base64url');
    bytes[0]! ^= 1;
    return bytes.toString('base64url');
  };
  for (const i of [2, 3, 4]) {
    const changed = parts.map((p, j) => (j === i ? flip(p) : p)).join(':');
    assert.throws(() => open(ring, changed), SecretKeyError, `part ${i}`);
  }
  assert.throws(() => open(ring, 'the secret'), /not in the sealed form/);
  assert.throws(() => open(ring, 'plain:the secret'), SecretKeyError, 'plain: is only for reseal');
  assert.throws(() => open(createKeyring(keyB), sealed), (err: Error) => {
    assert.ok(err instanceof SecretKeyError);
    assert.match(err.message, new RegExp(`key ${keyId(keyA)}.*WASL_ENCRYPTION_KEY \\(${keyId(keyB)}\\)`));
    return true;
  });
  // A key with another key's id (it cannot happen by chance): the tag check still refuses it.
  const impostor = { currentId: keyId(keyA), keys: new Map([[keyId(keyA), keyB]]) };
  assert.throws(() => open(impostor, sealed), /does not open/);
});

test('reseal: plain: values are sealed, older keys move to the current one, current ones are left alone', () => {
  const old = createKeyring(keyA);
  const ring = createKeyring(keyB, [keyA]);
  const fromPlain = reseal(ring, 'plain:legacy secret');
  assert.equal(sealedKeyId(fromPlain!), keyId(keyB));
  assert.equal(open(ring, fromPlain!), 'legacy secret');
  const moved = reseal(ring, seal(old, 'rotated'));
  assert.equal(sealedKeyId(moved!), keyId(keyB));
  assert.equal(open(createKeyring(keyB), moved!), 'rotated', 'the new key alone opens it now');
  assert.equal(reseal(ring, seal(ring, 'current')), null);
  assert.throws(() => reseal(createKeyring(keyB), seal(old, 'x')), SecretKeyError, 'without the old key: a clear error');
});

test('decodeKey takes 32 bytes of base64 or base64url and says what is wrong otherwise, without echoing it', () => {
  assert.deepEqual(decodeKey(keyA.toString('base64'), 'K'), keyA);
  assert.deepEqual(decodeKey(keyA.toString('base64url'), 'K'), keyA);
  assert.deepEqual(decodeKey(` ${keyA.toString('base64')}\n`, 'K'), keyA);
  assert.throws(() => decodeKey(randomBytes(16).toString('base64'), 'K'), /K must be 32 random bytes .*decodes to 16 bytes/);
  assert.throws(() => decodeKey('not base64 at all!', 'K'), (err: Error) => err instanceof SecretKeyError && !err.message.includes('not base64 at all'));
});

function memoryStore(initial?: string): KeyStore & { value: string | undefined; puts: number } {
  const store = {
    value: initial,
    puts: 0,
    get: async () => store.value,
    async putIfAbsent(key: string) {
      store.puts++;
      store.value ??= key;
      return store.value;
    },
  };
  return store;
}

test('without a configured key the first start generates one into the store; later starts use it', async () => {
  const store = memoryStore();
  const first = createSecretBox({ key: null, oldKeys: [], store });
  assert.throws(() => first.seal('x'), /before its keys were loaded/);
  assert.equal(await first.load(), 'generated');
  assert.equal(await first.load(), 'generated', 'loaded once');
  assert.equal(store.puts, 1);
  assert.equal(decodeKey(store.value!, 'stored').length, 32);
  const sealed = first.seal('kept');
  const second = createSecretBox({ key: null, oldKeys: [], store });
  assert.equal(await second.load(), 'store');
  assert.equal(second.open(sealed), 'kept');
  assert.equal(store.puts, 1);
});

test('two nodes generating at once keep the key the store kept', async () => {
  const store = memoryStore();
  const racer = { get: async () => undefined, putIfAbsent: store.putIfAbsent };
  const a = createSecretBox({ key: null, oldKeys: [], store: racer });
  const b = createSecretBox({ key: null, oldKeys: [], store: racer });
  await Promise.all([a.load(), b.load()]);
  assert.equal(b.open(a.seal('shared')), 'shared');
});

test('a configured key seals; the key kept in the store and the old keys still open', async () => {
  const generated = randomBytes(32);
  const byGenerated = seal(createKeyring(generated), 'from before');
  const byOld = seal(createKeyring(keyA), 'older');
  const box = createSecretBox({ key: keyB, oldKeys: [keyA], store: memoryStore(generated.toString('base64')) });
  assert.equal(await box.load(), 'config');
  assert.equal(box.open(byGenerated), 'from before');
  assert.equal(box.open(byOld), 'older');
  assert.equal(sealedKeyId(box.seal('new')), keyId(keyB));
  assert.equal(box.currentPrefix(), `v1:${keyId(keyB)}:`);
});

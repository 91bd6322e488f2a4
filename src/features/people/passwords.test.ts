import assert from 'node:assert/strict';
import { argon2Sync } from 'node:crypto';
import { test } from 'node:test';
import { ARGON2_PARAMS, hashPassword, needsRehash, parsePhc, verifyPassword } from './passwords.js';

test('argon2id PHC strings: the reference format, verified, and told apart when the parameters change', async () => {
  const stored = await hashPassword('correct horse battery');
  assert.match(stored, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  assert.equal(await verifyPassword('correct horse battery', stored), true);
  assert.equal(await verifyPassword('correct horse batterY', stored), false);
  assert.equal(needsRehash(stored), false);
  assert.equal(needsRehash(stored, { ...ARGON2_PARAMS, t: 3 }), true);
  assert.equal(needsRehash(await hashPassword('x', { m: 8192, t: 1, p: 1 })), true);

  // The encoded salt and hash decode to what argon2id computes from them.
  const parsed = parsePhc(stored)!;
  const reference = argon2Sync('argon2id', { message: 'correct horse battery', nonce: parsed.salt, memory: 19456, passes: 2, parallelism: 1, tagLength: 32 });
  assert.deepEqual(reference, parsed.hash);
});

test('a malformed or hostile stored hash never verifies, and never asks for absurd work', async () => {
  for (const stored of ['', 'scrypt$16384$8$1$abc$def', '$argon2id$v=19$m=99999999,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA', '$argon2id$v=16$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA', '$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA']) {
    assert.equal(await verifyPassword('anything at all', stored), false, stored);
    assert.equal(needsRehash(stored), true);
  }
});

import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import type { Transaction } from '../../db/transaction.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import type { KeysRepo } from './keys.repo.js';

export const TOKEN_ALG = 'RS256';

interface LoadedKey {
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

/**
 * The token signing keys: generated on first start, kept in the store, shared by every node.
 * A kid this node has not seen is looked up again (another node may have made it), at most once a second.
 */
export function createKeysService({ keysRepo, clock, transaction }: { keysRepo: KeysRepo; clock: Clock; transaction: Transaction }) {
  let keys: LoadedKey[] = [];
  let lastReload = 0;

  async function reload() {
    lastReload = Date.now();
    const rows = await keysRepo.listActive();
    keys = await Promise.all(
      rows.map(async (row) => ({
        kid: row.kid,
        privateKey: (await importJWK(row.private_jwk as JWK, TOKEN_ALG)) as CryptoKey,
        publicKey: (await importJWK(row.public_jwk as JWK, TOKEN_ALG)) as CryptoKey,
        publicJwk: row.public_jwk as JWK,
      })),
    );
  }

  return {
    /** Loads the keys, generating the first one if the store has none. */
    async init() {
      await reload();
      if (keys.length) return;
      const pair = await generateKeyPair(TOKEN_ALG, { modulusLength: 2048, extractable: true });
      const kid = newId();
      const publicJwk = { ...(await exportJWK(pair.publicKey)), kid, alg: TOKEN_ALG, use: 'sig' };
      const privateJwk = { ...(await exportJWK(pair.privateKey)), kid, alg: TOKEN_ALG };
      // Another process may be making the first key too: the lock lets one of them insert it.
      await transaction(async (trx) => {
        await keysRepo.lockForFirstKey(trx);
        if (await keysRepo.hasActive(trx)) return;
        await keysRepo.insert({ kid, alg: TOKEN_ALG, private_jwk: privateJwk, public_jwk: publicJwk, creation_time: clock.now() }, trx);
      });
      await reload();
    },

    signingKey(): LoadedKey {
      const key = keys[0];
      if (!key) throw new Error('signing keys are not loaded');
      return key;
    },

    async publicKeyFor(kid: string): Promise<CryptoKey | undefined> {
      let key = keys.find((k) => k.kid === kid);
      if (!key && Date.now() - lastReload > 1000) {
        await reload();
        key = keys.find((k) => k.kid === kid);
      }
      return key?.publicKey;
    },

    jwks: () => ({ keys: keys.map((k) => k.publicJwk) }),
  };
}
export type KeysService = ReturnType<typeof createKeysService>;

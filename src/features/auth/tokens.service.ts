import { errors as joseErrors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import { AppError, errors } from '../../lib/errors.js';
import type { ServiceAccountPrincipal } from '../../lib/principal.js';
import type { AccountState } from '../service-accounts/service-accounts.service.js';
import { TOKEN_ALG, type KeysService } from './keys.service.js';

export type { Principal } from '../../lib/principal.js';

interface Claims extends JWTPayload {
  client_id: string;
  scope: string;
  wid: string;
  ver: number;
}

const CACHE_LIMIT = 10_000;

/**
 * Issues and verifies access tokens (RS256 JWTs). A verified token is cached until it expires,
 * so the RSA check runs once per token, not per request; the account's state (disabled,
 * credential version) comes from `accountState` at every request, which the service-accounts
 * service keeps fresh (re-read every 2 s, at once after a change on this node).
 */
export function createTokensService(deps: {
  keys: KeysService;
  accountState: (id: string) => Promise<AccountState | undefined>;
  clock: Clock;
  issuer: string;
  ttlSeconds: number;
}) {
  const { keys, clock, issuer } = deps;
  const verified = new Map<string, { principal: ServiceAccountPrincipal; exp: number; ver: number }>();
  const audience = 'VoxaAPI';

  async function verifySignature(token: string) {
    try {
      const { payload } = await jwtVerify<Claims>(
        token,
        async (header) => {
          const key = header.kid ? await keys.publicKeyFor(header.kid) : undefined;
          if (!key) throw errors.unauthorized('The access token was signed by an unknown key.');
          return key;
        },
        { algorithms: [TOKEN_ALG], issuer, audience, currentDate: clock.now(), requiredClaims: ['exp', 'sub', 'wid', 'ver'] },
      );
      return payload;
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw errors.unauthorized('The access token has expired.');
      if (err instanceof AppError) throw err;
      throw errors.unauthorized('The access token is invalid.');
    }
  }

  return {
    async issue(account: { id: string; workspace_id: string; client_id: string; credential_version: number }, scopes: string[]) {
      const key = keys.signingKey();
      const now = Math.floor(clock.now().getTime() / 1000);
      const scope = scopes.join(' ');
      const accessToken = await new SignJWT({ client_id: account.client_id, scope, wid: account.workspace_id, ver: account.credential_version })
        .setProtectedHeader({ alg: TOKEN_ALG, kid: key.kid, typ: 'at+jwt' })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(account.id)
        .setIssuedAt(now)
        .setNotBefore(now)
        .setExpirationTime(now + deps.ttlSeconds)
        .setJti(newId())
        .sign(key.privateKey);
      return { access_token: accessToken, token_type: 'Bearer' as const, expires_in: deps.ttlSeconds, scope };
    },

    async verify(token: string): Promise<ServiceAccountPrincipal> {
      let entry = verified.get(token);
      if (entry && entry.exp * 1000 <= clock.now().getTime()) {
        verified.delete(token);
        throw errors.unauthorized('The access token has expired.');
      }
      if (!entry) {
        const claims = await verifySignature(token);
        entry = {
          principal: {
            kind: 'service-account',
            workspaceId: claims.wid,
            serviceAccountId: claims.sub as string,
            clientId: claims.client_id,
            scopes: typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : [],
          },
          exp: claims.exp as number,
          ver: claims.ver,
        };
        if (verified.size >= CACHE_LIMIT) verified.delete(verified.keys().next().value as string);
        verified.set(token, entry);
      }
      const state = await deps.accountState(entry.principal.serviceAccountId);
      if (!state || state.disabled) throw errors.unauthorized('The service account is disabled.');
      if (state.version !== entry.ver) throw errors.unauthorized('The access token was revoked: the client secret has changed.');
      return entry.principal;
    },
  };
}
export type TokensService = ReturnType<typeof createTokensService>;

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { decodeKey } from './lib/secret-box.js';
import { secretWeakness } from './lib/secret-strength.js';

/**
 * The environment, parsed once into a typed, frozen Config. Names follow
 * ../shared/spec/operator.md; nothing else in the app reads process.env.
 */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | null;
  publicUrl: string;
  adminToken: string | null;
  bootstrapClientId: string | null;
  bootstrapClientSecret: string | null;
  webhookAllowPrivate: boolean;
  rateLimitPerMinute: number;
  logLevel: string;
  tokenTtlSeconds: number;
  bodyLimitBytes: number;
  /** IMPORT_MAX_BYTES: largest contact import (vCard or CSV) body; larger → 413. */
  importMaxBytes: number;
  /** SEARCH_EXACT_COUNT_UP_TO: contact lists estimated to match more get an estimated totalCount; 0 = always exact. */
  searchExactCountUpTo: number;
  /** WHATSAPP_SENDS_PER_SECOND: messages a second per business number (Meta's default throughput is 80). */
  whatsAppSendsPerSecond: number;
  /** TRUST_PROXY: whose X-Forwarded-For gives the client address (Fastify's trustProxy: true or the proxies' addresses). */
  trustProxy: boolean | string;
  /** Failed client authentications a minute per (client id, address) at /connect/token; 0 = no limit. */
  tokenFailuresPerMinute: number;
  /** Client-secret verifications (scrypt) at once, and how many may wait before 503. */
  tokenVerifyConcurrency: number;
  tokenVerifyQueue: number;
  shutdownTimeoutMs: number;
  /** Job worker loops in this process; 0 makes an API-only node. */
  workers: number;
  jobConcurrency: number;
  /** DATABASE_POOL_SIZE: PostgreSQL connections of this process (requests and job workers share them). */
  databasePoolSize: number;
  /** A claimed job's lease: a job whose worker died runs again this long (plus ≤ 10 s) later. */
  jobLeaseMs: number;
  /** Delay before each webhook attempt, in ms; its length is the number of attempts. */
  webhookRetrySchedule: number[];
  webhookTimeoutMs: number;
  /** WASL_ENCRYPTION_KEY: seals stored provider credentials and webhook secrets (null: a key kept in the store). */
  encryptionKey: Buffer | null;
  /** WASL_ENCRYPTION_KEYS_OLD: earlier keys, only to open what they sealed (resealed under the current key at start). */
  encryptionKeysOld: Buffer[];
  /** FILE_STORAGE: where file bytes live — `local` (under DATA_DIR/files; the embedded store's default) or `database` (PostgreSQL's default). */
  fileStorage: 'local' | 'database';
  /** MEDIA_MAX_BYTES: the largest file Wasl fetches, downloads or stores, under Meta's own limit for each kind. */
  mediaMaxBytes: number;
  /** MEDIA_LINK_TTL_SECONDS: how long a signed file link in a webhook payload (`mediaUrl`) stays valid. */
  mediaLinkTtlSeconds: number;
  /** CALL_CONCURRENCY: outbound IVR calls one process runs at once (its own worker loop: calls wait on the phone, not the CPU). */
  callConcurrency: number;
  /** RING_TIMEOUT_SECONDS: how long an outbound call rings before it is given up as not answered. */
  ringTimeoutSeconds: number;
  /** CALL_STARTS_PER_SECOND: outbound IVR calls dialled per second per channel, across every worker (a trunk's CPS). */
  callStartsPerSecond: number;
  /** SESSION_IDLE_MINUTES: a person's sign-in not used for this long ends. */
  sessionIdleMinutes: number;
  /** SESSION_MAX_DAYS: a person's sign-in ends this many days after it began, used or not. */
  sessionMaxDays: number;
  /** SIGN_IN_FAILURES_PER_MINUTE: failed sign-ins a minute per (email, address); 3× per address, 5× per email; 0 = no limit. */
  signInFailuresPerMinute: number;
  /** EVENTS_RETENTION_HOURS: how long the event stream's log keeps events for resuming (at least 24). */
  eventsRetentionHours: number;
  /** EVENTS_HEARTBEAT_SECONDS: a comment line on an event stream that has written nothing for this long. */
  eventsHeartbeatSeconds: number;
  /** EVENTS_MAX_STREAMS: event streams one node holds at once; more → 429. */
  eventsMaxStreams: number;
  /** EVENTS_MAX_STREAMS_PER_WORKSPACE: event streams of one workspace on one node; more → 429. */
  eventsMaxStreamsPerWorkspace: number;
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new ConfigError(`${name} must be an integer ≥ ${min}, got "${raw}"`);
  }
  return value;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['true', '1', 'yes'].includes(raw)) return true;
  if (['false', '0', 'no'].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${env[name]}"`);
}

const str = (env: Env, name: string): string | null => {
  const raw = env[name]?.trim();
  return raw ? raw : null;
};

/** 32 bytes in base64 each (`openssl rand -base64 32`); several separated by commas. */
function keys(env: Env, name: string): Buffer[] {
  const raw = str(env, name);
  if (!raw) return [];
  return raw.split(',').filter((part) => part.trim()).map((part, i, all) => {
    try {
      return decodeKey(part, all.length > 1 ? `${name} (key ${i + 1})` : name);
    } catch (err) {
      throw new ConfigError((err as Error).message);
    }
  });
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "0,5s,5m,30m,2h,5h,10h,10h" → delays in ms. */
function durations(env: Env, name: string, fallback: string): number[] {
  const raw = env[name]?.trim() || fallback;
  return raw.split(',').map((part) => {
    const match = /^(\d+)(ms|s|m|h|d)?$/.exec(part.trim());
    if (!match) throw new ConfigError(`${name} must be a comma-separated list of durations like 0,5s,5m,2h; got "${part.trim()}"`);
    return Number(match[1]) * UNIT_MS[match[2] ?? 'ms']!;
  });
}

function encryptionKey(env: Env): Buffer | null {
  const [key, extra] = keys(env, 'WASL_ENCRYPTION_KEY');
  if (extra) throw new ConfigError('WASL_ENCRYPTION_KEY holds one key; earlier keys go in WASL_ENCRYPTION_KEYS_OLD');
  return key ?? null;
}

/** "true"/"false", or the proxies' addresses/CIDRs separated by commas (trusted when they connect). */
function trustProxy(env: Env): boolean | string {
  const raw = str(env, 'TRUST_PROXY');
  if (raw === null) return false;
  if (/^(true|false|yes|no|1|0)$/i.test(raw)) return bool(env, 'TRUST_PROXY', false);
  return raw;
}

/** Meta's largest file (a 100 MB document). */
const MEDIA_CEILING = 100_000_000;

function fileStorage(env: Env): 'local' | 'database' {
  const raw = str(env, 'FILE_STORAGE')?.toLowerCase() ?? (str(env, 'DATABASE_URL') ? 'database' : 'local');
  if (raw !== 'local' && raw !== 'database') throw new ConfigError(`FILE_STORAGE must be local or database, got "${env.FILE_STORAGE}"`);
  return raw;
}

function mediaMaxBytes(env: Env): number {
  const value = int(env, 'MEDIA_MAX_BYTES', MEDIA_CEILING, 1024);
  if (value > MEDIA_CEILING) throw new ConfigError(`MEDIA_MAX_BYTES is at most ${MEDIA_CEILING} (Meta's largest file, a 100 MB document), got ${value}`);
  return value;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * The real environment over the `.env` file of the working directory, when there is one (a
 * variable set in both keeps its real value). `WASL_ENV_FILE` names another file; the tests point
 * it at /dev/null so a developer's `.env` never reaches the servers they start.
 */
export function readEnvironment(env: Env = process.env): Env {
  const file = env.WASL_ENV_FILE?.trim() || '.env';
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !env.WASL_ENV_FILE) return env;
    throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`);
  }
  return { ...parseEnv(text), ...env };
}

export function loadConfig(env: Env = readEnvironment()): Config {
  const port = int(env, 'PORT', 8080);
  const logLevel = str(env, 'LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  const clientId = str(env, 'WASL_BOOTSTRAP_CLIENT_ID');
  const clientSecret = str(env, 'WASL_BOOTSTRAP_CLIENT_SECRET');
  if ((clientId === null) !== (clientSecret === null)) {
    throw new ConfigError('WASL_BOOTSTRAP_CLIENT_ID and WASL_BOOTSTRAP_CLIENT_SECRET must be set together');
  }
  const weakness = clientSecret === null ? null : secretWeakness(clientSecret);
  if (weakness) throw new ConfigError(`WASL_BOOTSTRAP_CLIENT_SECRET ${weakness}`);
  const publicUrl = (str(env, 'PUBLIC_URL') ?? `http://localhost:${port}`).replace(/\/+$/, '');
  try {
    new URL(publicUrl);
  } catch {
    throw new ConfigError(`PUBLIC_URL is not a URL: "${publicUrl}"`);
  }
  return Object.freeze({
    port,
    host: str(env, 'HOST') ?? '0.0.0.0',
    dataDir: resolve(str(env, 'DATA_DIR') ?? './data'),
    databaseUrl: str(env, 'DATABASE_URL'),
    publicUrl,
    adminToken: str(env, 'WASL_ADMIN_TOKEN'),
    bootstrapClientId: clientId,
    bootstrapClientSecret: clientSecret,
    webhookAllowPrivate: bool(env, 'WEBHOOK_ALLOW_PRIVATE', false),
    rateLimitPerMinute: int(env, 'RATE_LIMIT_PER_MINUTE', 3000),
    logLevel,
    tokenTtlSeconds: int(env, 'TOKEN_TTL_SECONDS', 3600, 60),
    bodyLimitBytes: int(env, 'BODY_LIMIT_BYTES', 1024 * 1024, 1024),
    importMaxBytes: int(env, 'IMPORT_MAX_BYTES', 32 * 1024 * 1024, 1024),
    searchExactCountUpTo: int(env, 'SEARCH_EXACT_COUNT_UP_TO', 10_000),
    whatsAppSendsPerSecond: int(env, 'WHATSAPP_SENDS_PER_SECOND', 80, 1),
    trustProxy: trustProxy(env),
    tokenFailuresPerMinute: int(env, 'TOKEN_FAILURES_PER_MINUTE', 10),
    tokenVerifyConcurrency: int(env, 'TOKEN_VERIFY_CONCURRENCY', 2, 1),
    tokenVerifyQueue: int(env, 'TOKEN_VERIFY_QUEUE', 32),
    shutdownTimeoutMs: int(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 0),
    workers: int(env, 'WORKERS', 1),
    jobConcurrency: int(env, 'JOB_CONCURRENCY', 16, 1),
    databasePoolSize: int(env, 'DATABASE_POOL_SIZE', 20, 2),
    jobLeaseMs: int(env, 'JOB_LEASE_MS', 30_000, 1000),
    webhookRetrySchedule: durations(env, 'WEBHOOK_RETRY_SCHEDULE', '0,5s,5m,30m,2h,5h,10h,10h'),
    webhookTimeoutMs: int(env, 'WEBHOOK_TIMEOUT_MS', 15_000, 100),
    encryptionKey: encryptionKey(env),
    encryptionKeysOld: keys(env, 'WASL_ENCRYPTION_KEYS_OLD'),
    fileStorage: fileStorage(env),
    mediaMaxBytes: mediaMaxBytes(env),
    mediaLinkTtlSeconds: int(env, 'MEDIA_LINK_TTL_SECONDS', 3600, 60),
    audioMaxBytes: int(env, 'AUDIO_MAX_BYTES', 10_000_000, 1024),
    audioMaxSeconds: int(env, 'AUDIO_MAX_SECONDS', 600, 1),
    ffmpegPath: str(env, 'FFMPEG_PATH'),
    espeakNgPath: str(env, 'ESPEAK_NG_PATH'),
    ttsEngine: ((raw: string): 'auto' | 'process' | 'wasm' => {
      if (raw === 'auto' || raw === 'process' || raw === 'wasm') return raw;
      throw new ConfigError(`TTS_ENGINE must be auto, process or wasm, got "${env.TTS_ENGINE}"`);
    })(str(env, 'TTS_ENGINE')?.toLowerCase() ?? 'auto'),
    callConcurrency: int(env, 'CALL_CONCURRENCY', 100, 1),
    ringTimeoutSeconds: int(env, 'RING_TIMEOUT_SECONDS', 45, 5),
    callStartsPerSecond: int(env, 'CALL_STARTS_PER_SECOND', 20, 1),
    sessionIdleMinutes: int(env, 'SESSION_IDLE_MINUTES', 720, 5),
    sessionMaxDays: int(env, 'SESSION_MAX_DAYS', 30, 1),
    signInFailuresPerMinute: int(env, 'SIGN_IN_FAILURES_PER_MINUTE', 5),
    eventsRetentionHours: int(env, 'EVENTS_RETENTION_HOURS', 24, 24),
    eventsHeartbeatSeconds: int(env, 'EVENTS_HEARTBEAT_SECONDS', 15, 1),
    eventsMaxStreams: int(env, 'EVENTS_MAX_STREAMS', 5000, 1),
    eventsMaxStreamsPerWorkspace: int(env, 'EVENTS_MAX_STREAMS_PER_WORKSPACE', 1000, 1),
  });
}

import pino, { type DestinationStream, type Logger } from 'pino';

/** Paths that could carry a credential; pino replaces them before a line is written. */
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  '*.client_secret',
  '*.clientSecret',
  '*.accessToken',
  '*.appSecret',
  '*.verifyToken',
  '*.webhookSecret',
  '*.webhook_secret',
  '*.previous_webhook_secret',
  '*.provider_secrets',
  '*.encryptionKey',
  '*.encryptionKeysOld',
];

/** The server's pino logger: JSON lines, request ids from Fastify, credentials redacted. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, redact: REDACT }, destination);
}

import { Socket } from 'node:net';
import type { App } from '../../http/types.js';
import { errors } from '../../lib/errors.js';
import { personOf } from '../../lib/principal.js';
import { EventsHeaders, EventsQuery, EventStream } from './events.schemas.js';
import { STREAM_EVENT_TYPES } from './events.service.js';
import type { EventStreams } from './streams.js';

const BY_NAME = new Map(STREAM_EVENT_TYPES.map((t) => [t.toLowerCase(), t]));
const LAST_EVENT_ID = /^\s*(\d{1,15})\s*$/;

/** `?types=` as canonical names (case-insensitive), null for all; an unknown name → 400 naming it. */
function parseTypes(raw: string | undefined): Set<string> | null {
  const names = (raw ?? '').split(',').map((t) => t.trim()).filter(Boolean);
  if (!names.length) return null;
  const unknown = names.filter((n) => !BY_NAME.has(n.toLowerCase()));
  if (unknown.length) throw errors.invalidField('types', `types: ${unknown.map((u) => `"${u.slice(0, 60)}"`).join(', ')} is not an event type; known: ${STREAM_EVENT_TYPES.join(', ')}.`);
  return new Set(names.map((n) => BY_NAME.get(n.toLowerCase())!));
}

/** The `Last-Event-ID` header: a position, or null when absent or empty; anything else → 400. */
function parseLastEventId(raw: string | string[] | undefined): number | null {
  if (raw === undefined || (typeof raw === 'string' && raw.trim() === '')) return null;
  const match = typeof raw === 'string' ? LAST_EVENT_ID.exec(raw) : null;
  if (!match) throw errors.invalidField('Last-Event-ID', 'Last-Event-ID must be the id of a frame of this stream (a whole number).');
  return Number(match[1]);
}

export function eventsRoutes(app: App, deps: { streams: EventStreams; conversationExists: (workspaceId: string, id: string) => Promise<unknown> }) {
  const { streams } = deps;
  app.get(
    '/v1/events',
    {
      config: { auth: 'bearer', errors: [404] },
      schema: {
        tags: ['Wasl'],
        operationId: 'streamEvents',
        summary: 'Event stream (Server-Sent Events)',
        description:
          "The workspace's events as they commit, as Server-Sent Events: every webhook event with the same name and body, plus `ConversationRead`, `NoteCreated` " +
          'and `MentionCreated` (only to the person mentioned; a service account gets it only when `types` names it). Authenticate with the bearer token ' +
          '(never in the URL); the stream ends within 5 s of the token expiring or its account being disabled, and a client whose socket stops reading is dropped ' +
          '(reconnect with `Last-Event-ID`). Too many streams open (per node, per workspace) → 429 with `Retry-After`.',
        querystring: EventsQuery,
        headers: EventsHeaders,
        response: { 200: { description: 'The stream (never ends by itself).', content: { 'text/event-stream': { schema: EventStream } } } },
      },
    },
    async (req, reply) => {
      const { workspaceId } = req.principal;
      const types = parseTypes(req.query.types);
      const lastEventId = parseLastEventId(req.headers['last-event-id']);
      const conversationId = req.query.conversationId?.toLowerCase() ?? null;
      if (conversationId) await deps.conversationExists(workspaceId, conversationId);
      const at = await streams.startAt(lastEventId);
      streams.admit(workspaceId);
      reply.hijack();
      const res = reply.raw;
      if (req.raw.destroyed || res.destroyed) return reply; // gone while we looked
      // No compression, no proxy buffering: each frame leaves as it is written.
      for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) res.setHeader(name, value as string | number | string[]);
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        'x-accel-buffering': 'no',
      });
      // Clients come back 2–3 s after a drop, spread so a restarted node is not met by all at once.
      const retryMs = 2000 + Math.floor(Math.random() * 1000);
      // A request with no connection to hold (Fastify's inject): the opening, then the end, as after a drop.
      if (!(req.raw.socket instanceof Socket)) {
        res.end(`retry: ${retryMs}\n\n`);
        return reply;
      }
      req.raw.socket.setNoDelay(true);
      streams.open({ workspaceId, userId: personOf(req.principal)?.userId ?? null, types, conversationId, recheck: req.recheck }, res, at, retryMs);
      return reply;
    },
  );
  // Streams end before the server closes (it waits for open connections): their clients reconnect to another node.
  app.addHook('preClose', () => streams.stop());
}

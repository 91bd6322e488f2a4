import type { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { ErrorEnvelope, Uuid } from '../../http/schemas.js';
import type { App } from '../../http/types.js';
import type { MediaService, StoredFile } from './media.service.js';
import { ACCEPTED } from './media-types.js';

const FileBytes = Type.Unsafe<Readable>({ type: 'string', format: 'binary', description: 'The bytes, with the type read from them when the file was stored (Content-Type), Content-Length and Content-Disposition.' });
const PRODUCES = [...new Set(Object.values(ACCEPTED).flat())];

/** `filename=` in ASCII (others as `_`) and `filename*=` in UTF-8 (RFC 6266), from the sanitised display name. */
function disposition(file: StoredFile): string {
  const type = file.kind === 'document' || file.kind === null ? 'attachment' : 'inline';
  const ascii = file.fileName.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const utf8 = encodeURIComponent(file.fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${type}; filename="${ascii}"; filename*=UTF-8''${utf8}`;
}

function sendFile(reply: FastifyReply, { file, body }: { file: StoredFile; body: Readable }) {
  return reply
    .header('content-type', file.mimeType)
    .header('content-length', String(file.sizeBytes))
    .header('content-disposition', disposition(file))
    // The bytes are the customer's or the integrator's: never sniffed into something a browser runs.
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', "default-src 'none'; sandbox")
    .header('cache-control', 'private, max-age=3600')
    .send(body);
}

/** A workspace's files (bearer) and the signed links Meta and webhook receivers fetch (no token). */
export function mediaRoutes(app: App, { media }: { media: MediaService }) {
  // The link-signing key is loaded before the first request or job (boot's lifecycle does it too).
  app.addHook('onReady', () => media.ready());
  const tags = ['Wasl'];
  const params = Type.Object({ id: Uuid });
  app.get(
    '/v1/files/:id',
    {
      config: { auth: 'bearer', errors: [404] },
      schema: {
        tags,
        operationId: 'getFile',
        summary: 'Get a file',
        description:
          "A file sent or received on one of the workspace's WhatsApp channels (the timeline's `attachment` is this URL): its bytes with Content-Type, Content-Length and Content-Disposition (the display name; inline for media, attachment for documents). " +
          "Another workspace's file, or none → 404.",
        params,
        produces: PRODUCES,
        response: { 200: FileBytes },
      },
    },
    async (req, reply) => sendFile(reply, await media.open(req.principal.workspaceId, req.params.id)),
  );
  app.get(
    '/files/:id',
    {
      config: { auth: 'none', errors: [404] },
      schema: {
        tags,
        operationId: 'getSignedFile',
        summary: 'Get a file by signed link',
        description:
          'The link Wasl hands Meta for a send (valid 24 hours) and webhook receivers as `mediaUrl` (valid MEDIA_LINK_TTL_SECONDS, an hour by default): no token; the signature covers the id and the expiry. ' +
          'A changed or foreign signature → 403 `Wasl:File:LinkInvalid`; past `expires` → 403 `Wasl:File:LinkExpired` (the file stays readable at `GET /v1/files/{id}` with a token); a valid link to a file that is gone → 404.',
        params,
        querystring: Type.Object({
          expires: Type.Integer({ minimum: 0, maximum: 99_999_999_999, description: 'Unix time (seconds) the link stops working.' }),
          signature: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_-]+$', description: 'base64url HMAC-SHA256 of `{id}.{expires}`.' }),
        }),
        produces: PRODUCES,
        response: {
          200: FileBytes,
          403: Type.Object(ErrorEnvelope.properties, { description: 'The link is not valid (`Wasl:File:LinkInvalid`) or has expired (`Wasl:File:LinkExpired`).' }),
        },
      },
    },
    async (req, reply) => sendFile(reply, await media.openSigned(req.params.id, req.query.expires, req.query.signature)),
  );
}

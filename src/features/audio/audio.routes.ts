import multipart from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import type { App } from '../../http/types.js';
import { AppError, errors } from '../../lib/errors.js';
import { AudioParams, UploadAudioBody, UploadedAudio, WavBytes } from './audio.schemas.js';
import type { AudioService } from './audio.service.js';

/** Headers and boundaries around the file: a Content-Length beyond the limit plus this is refused unread. */
const MULTIPART_OVERHEAD = 64 * 1024;
const FIELD = 'audiofile';

/** The `audioFile` part's bytes and name: one file part, read up to the limit, every other part skipped. */
async function readAudioPart(req: FastifyRequest, maxBytes: number): Promise<{ bytes: Buffer; fileName: string | null }> {
  let found: { bytes: Buffer; fileName: string | null } | null = null;
  const others: string[] = [];
  try {
    for await (const part of req.parts()) {
      if (part.type !== 'file') continue;
      // Form field names bind case-insensitively, as Hatif's server binds them.
      if (part.fieldname.toLowerCase() === FIELD) found = { bytes: await part.toBuffer(), fileName: part.filename || null };
      else {
        others.push(part.fieldname);
        part.file.resume();
      }
    }
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'FST_REQ_FILE_TOO_LARGE') throw errors.audioTooLarge(maxBytes);
    if (code === 'FST_FILES_LIMIT') throw errors.invalidField('audioFile', 'Send one file, in the part named audioFile.');
    if (code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') throw errors.invalidField('audioFile', 'Too many form parts: send the file alone, in the part named audioFile.');
    throw errors.malformedBody(`the multipart/form-data body cannot be read (${(err as Error).message}).`);
  }
  if (!found) {
    const sent = others.length ? ` (a file came in the part ${others.map((n) => `"${n}"`).join(', ')})` : '';
    throw errors.invalidField('audioFile', `The audioFile field is required: send the audio as a multipart/form-data file part named audioFile${sent}.`);
  }
  return found;
}

/**
 * `POST /v1/support/upload-audio` (Hatif §3.22; multipart, only in its own scope so no other
 * route takes multipart bodies) and `GET /audio/{token}.wav`, the converted WAV without a token.
 */
export function audioRoutes(app: App, { audio, config }: { audio: AudioService; config: Pick<Config, 'audioMaxBytes' | 'audioMaxSeconds'> }) {
  const maxBytes = config.audioMaxBytes;
  const refuse = (type: string | undefined) => errors.unsupportedMediaType(type ?? '', ['multipart/form-data']);

  app.register(async (scope) => {
    // This scope reads multipart and nothing else: any other body is refused (415) before it is read.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (req, _payload, done) => done(refuse(req.headers['content-type']), undefined));
    await scope.register(multipart, { limits: { fileSize: maxBytes, files: 1, fields: 20, parts: 40, fieldSize: 64 * 1024, headerPairs: 200 }, throwFileSizeLimit: true });
    // After the auth hook: a caller without a token learns nothing about limits.
    // `connection: close` with every 413: Node would otherwise read (and drop) the rest of the body to keep the connection.
    scope.addHook('onRequest', async (req, reply) => {
      if (Number(req.headers['content-length'] ?? 0) <= maxBytes + MULTIPART_OVERHEAD) return;
      reply.header('connection', 'close');
      throw errors.audioTooLarge(maxBytes);
    });

    scope.post(
      '/v1/support/upload-audio',
      {
        config: { auth: 'bearer', errors: [413, 415, 422] },
        schema: {
          tags: ['Voice'],
          operationId: 'uploadAudio',
          summary: 'Upload Audio File',
          description:
            'Any common audio format in, WAV 8 kHz mono pcm_s16le out (for telephony), converted with ffmpeg: the type is read from the bytes, so junk, empty and renamed text files are refused (415 `Wasl:Audio:UnsupportedType`), as is audio ffmpeg cannot decode or with no sound at all (415 `Wasl:Audio:Undecodable`). ' +
            `More than ${maxBytes} bytes → 413 \`Wasl:Audio:TooLarge\` (before the body is read when Content-Length says so); longer than ${config.audioMaxSeconds} s → 413 \`Wasl:Audio:TooLong\`; a conversion past its time-out → 422 \`Wasl:Audio:ConversionTimedOut\`. ` +
            'The answer\'s `url` is public (no token; an unguessable id) so a telephony provider can fetch it: pass it as `audioFileUrl` or another prompt URL of `POST /v1/outbound-ivr`. ' +
            'The file is also the workspace\'s (`GET /v1/files/{id}`); the upload\'s name is for display only.',
          body: { content: { 'multipart/form-data': { schema: UploadAudioBody } } },
          response: { 200: UploadedAudio },
        },
      },
      async (req, reply) => {
        if (!req.isMultipart()) throw refuse(req.headers['content-type']);
        const upload = await readAudioPart(req, maxBytes).catch((err: unknown) => {
          if (err instanceof AppError && err.code === 'Wasl:Audio:TooLarge') reply.header('connection', 'close');
          throw err;
        });
        return audio.upload(req.principal.workspaceId, upload);
      },
    );
  });

  app.get(
    '/audio/:token.wav',
    {
      config: { auth: 'none', errors: [404] },
      schema: {
        tags: ['Wasl'],
        operationId: 'getAudio',
        summary: 'Get an uploaded audio file',
        description:
          'The WAV of `POST /v1/support/upload-audio`, as its `url` says: no token (telephony providers fetch it), an unguessable id (192 random bits) instead. ' +
          'audio/wav with Content-Length; the bytes behind a URL never change, so it may be cached. An unknown id → 404 `Wasl:Audio:NotFound`.',
        params: AudioParams,
        produces: ['audio/wav'],
        response: { 200: WavBytes },
      },
    },
    async (req, reply) => {
      const { sizeBytes, sha256, body } = await audio.open(req.params.token);
      return reply
        .header('content-type', 'audio/wav')
        .header('content-length', String(sizeBytes))
        .header('cache-control', 'public, max-age=86400, immutable')
        .header('etag', `"${sha256}"`)
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "default-src 'none'; sandbox")
        .send(body);
    },
  );
}

import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { ErrorEnvelope, Uuid } from '../../http/schemas.js';
import type { App } from '../../http/types.js';
import type { TwimlCalls } from './twiml-calls.js';

type Done = (err: Error | null, body?: unknown) => void;

/** Form bodies as a TwiML provider posts them: the exact bytes kept (the signature is over the params), the params by name. */
function formParams(req: FastifyRequest, body: Buffer, done: Done) {
  req.rawBody = body;
  done(null, Object.fromEntries(new URLSearchParams(body.toString('utf8'))));
}

const Params = Type.Object({ channelId: Uuid, callId: Uuid });
const Query = Type.Object({
  ev: Type.Union([Type.Literal('answer'), Type.Literal('status'), Type.Literal('gather'), Type.Literal('played')]),
  s: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
  p: Type.Optional(Type.String({ maxLength: 20 })),
});

/**
 * A TwiML provider's callbacks (operator.md: `POST /webhooks/voice/{channelId}/…` on PUBLIC_URL),
 * and the rendered TTS prompts it fetches. No token: X-Twilio-Signature is the proof.
 */
export function twimlRoutes(app: App, { twimlCalls }: { twimlCalls: TwimlCalls }) {
  const tags = ['Voice'];
  app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer' }, formParams);
    (scope as unknown as App).post(
      '/webhooks/voice/:channelId/twiml/:callId',
      {
        config: { auth: 'none', caseInsensitive: false, rawBody: true, errors: [404] },
        schema: {
          tags,
          operationId: 'twimlCallback',
          summary: "A TwiML provider's call callback",
          description:
            "Where Twilio (or a TwiML-compatible provider) asks what an outbound IVR call does next (`ev=answer|gather|played`: answered with TwiML) and reports its status (`ev=status`: ringing, in-progress, completed, busy, no-answer, failed, canceled). " +
            "X-Twilio-Signature (HMAC-SHA1 of the full URL and the sorted params, keyed with the channel's auth token) is checked first: wrong or missing → 403, nothing changed.",
          params: Params,
          querystring: Query,
          consumes: ['application/x-www-form-urlencoded'],
          produces: ['text/xml'],
          response: {
            200: Type.String({ description: 'TwiML (empty for a status callback).' }),
            403: Type.Object(ErrorEnvelope.properties, { description: 'X-Twilio-Signature missing or wrong (`Wasl:Voice:BadSignature`).' }),
          },
        },
      },
      async (req, reply) => {
        const signature = req.headers['x-twilio-signature'];
        const params = (req.body ?? {}) as Record<string, string>;
        const answer = await twimlCalls.callback(req.params.channelId, req.params.callId, req.query, { url: req.url, params, signature: typeof signature === 'string' ? signature : undefined });
        if (!answer) return reply.type('text/xml; charset=utf-8').send('<?xml version="1.0" encoding="UTF-8"?><Response/>');
        return reply.type(answer.contentType).send(answer.body);
      },
    );
  });

  app.get(
    '/voice/prompts/:key.wav',
    {
      config: { auth: 'none', errors: [404] },
      schema: {
        tags,
        operationId: 'getVoicePrompt',
        summary: 'Get a rendered TTS prompt',
        description: 'The WAV (8 kHz mono) of an IVR TTS prompt, for providers that fetch prompts themselves. No token: the key is the SHA-256 of the engine, voice and text. Unknown → 404.',
        params: Type.Object({ key: Type.String({ maxLength: 64 }) }),
        produces: ['audio/wav'],
        response: { 200: Type.Unsafe({ type: 'string', format: 'binary' }) },
      },
    },
    async (req, reply) => {
      const { body, sizeBytes } = await twimlCalls.promptWav(req.params.key);
      return reply
        .header('content-type', 'audio/wav')
        .header('content-length', String(sizeBytes))
        .header('cache-control', 'public, max-age=86400, immutable')
        .header('x-content-type-options', 'nosniff')
        .send(body);
    },
  );
}

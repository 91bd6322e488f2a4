import type { Readable } from 'node:stream';
import { Type } from 'typebox';

/** The multipart body, for the document (the route reads the parts itself, so nothing is validated against it). */
export const UploadAudioBody = Type.Unsafe({
  // No `type`: JSON Schema's `properties`/`required` bind only objects, and a multipart body reaches validation as undefined.
  properties: {
    audioFile: {
      type: 'string',
      format: 'binary',
      description:
        'The audio file, any common format (WAV incl. µ-law/A-law, MP3, Ogg Opus/Vorbis, M4A/MP4/3GP, ADTS AAC, FLAC, WebM, AMR), read from its bytes. ' +
        'At most AUDIO_MAX_BYTES (10 MB) and AUDIO_MAX_SECONDS (600 s). The part name is matched case-insensitively.',
    },
  },
  required: ['audioFile'],
});

export const UploadedAudio = Type.Object({
  url: Type.String({
    format: 'uri',
    description: 'Where the converted WAV is served, without a token, behind an unguessable id: give it as `audioFileUrl` (or another prompt URL) of an outbound IVR.',
    examples: ['https://wasl.example.com/audio/3f9a0c2d4b6e8f1a2c3d4e5f60718293a4b5c6d7e8f90a1b.wav'],
  }),
  fileName: Type.String({ description: "The upload's file name for display (its last segment, sanitised), with `.wav` for its extension.", examples: ['greeting.wav'] }),
  durationSeconds: Type.Number({ description: 'Length of the converted audio, in seconds (millisecond precision).', examples: [4.25] }),
  sizeBytes: Type.Integer({ description: 'Size of the converted WAV (8 kHz, mono, 16-bit: 16,000 bytes a second plus a 44-byte header).', examples: [68044] }),
  format: Type.Literal('wav', { description: 'Always `wav`: WAV, 8 kHz, mono, pcm_s16le.' }),
});

export const AudioParams = Type.Object({ token: Type.String({ maxLength: 200, description: 'The unguessable id the upload answered in its `url`.' }) });

export const WavBytes = Type.Unsafe<Readable>({ type: 'string', format: 'binary', description: 'WAV, 8 kHz, mono, pcm_s16le (Content-Type audio/wav, Content-Length).' });

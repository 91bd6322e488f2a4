import { isUtf8 } from 'node:buffer';
import { fileTypeFromBuffer } from 'file-type';

/** An input type the converter takes: what its bytes are, and the ffmpeg demuxer forced for it. */
export interface AudioInputType {
  /** file-type's extension, the `inputFormat` the converter reports: wav, mp3, opus, m4a … */
  ext: string;
  mime: string;
  demuxer: 'wav' | 'mp3' | 'ogg' | 'mov' | 'aac' | 'flac' | 'matroska' | 'amr';
  /**
   * MP4/M4A/3GP must be read from a file: their index (`moov`) usually follows the audio, and
   * ffmpeg cannot seek back on a pipe (it then decodes nothing at all).
   */
  needsFile: boolean;
}

/** The allow-list, by file-type's extension. Anything else, including what it cannot name, is refused. */
const ALLOWED: Record<string, Omit<AudioInputType, 'ext' | 'mime'>> = {
  wav: { demuxer: 'wav', needsFile: false }, // PCM of any width, float, µ-law, A-law, WAVE_FORMAT_EXTENSIBLE
  mp3: { demuxer: 'mp3', needsFile: false },
  opus: { demuxer: 'ogg', needsFile: false },
  ogg: { demuxer: 'ogg', needsFile: false }, // Vorbis
  oga: { demuxer: 'ogg', needsFile: false },
  m4a: { demuxer: 'mov', needsFile: true },
  mp4: { demuxer: 'mov', needsFile: true }, // an MP4 of sound alone is often branded `isom` (video/mp4)
  '3gp': { demuxer: 'mov', needsFile: true }, // phones' AMR and AAC recordings
  aac: { demuxer: 'aac', needsFile: false }, // ADTS
  flac: { demuxer: 'flac', needsFile: false },
  webm: { demuxer: 'matroska', needsFile: false }, // browsers' MediaRecorder (Opus)
  mka: { demuxer: 'matroska', needsFile: false },
  amr: { demuxer: 'amr', needsFile: false }, // AMR-NB and AMR-WB (`#!AMR` / `#!AMR-WB`)
};

export const ACCEPTED_AUDIO = 'WAV (PCM, float, µ-law, A-law), MP3, Ogg (Opus, Vorbis), M4A/MP4/3GP (AAC, ALAC, AMR), ADTS AAC, FLAC, WebM/Matroska audio, AMR';

/**
 * The type of an upload from its bytes (never its name or Content-Type): an accepted type, or
 * what the bytes are instead ("empty", "text", "image/png", "not a recognised audio format").
 */
export async function detectAudio(bytes: Buffer): Promise<{ type: AudioInputType } | { found: string }> {
  if (bytes.length === 0) return { found: 'empty (0 bytes)' };
  const detected = await fileTypeFromBuffer(bytes);
  if (!detected) return { found: looksLikeText(bytes) ? 'text, not audio' : 'not a recognised audio format' };
  const allowed = ALLOWED[detected.ext];
  if (!allowed) return { found: detected.mime };
  return { type: { ext: detected.ext, mime: detected.mime, ...allowed } };
}

/** UTF-8 without NUL in the first 4 KiB (cut at any of the last 3 bytes, where a character may be split). */
function looksLikeText(bytes: Buffer): boolean {
  const head = bytes.subarray(0, 4096);
  if (head.includes(0)) return false;
  if (bytes.length <= head.length) return isUtf8(head);
  return [0, 1, 2, 3].some((cut) => isUtf8(head.subarray(0, head.length - cut)));
}

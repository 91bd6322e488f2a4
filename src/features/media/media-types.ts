import { fileTypeFromBuffer } from 'file-type';
import type { MediaKind } from '../../providers/whatsapp/port.js';

/**
 * What WhatsApp sends, by kind (Meta's "supported media types"): the types, read from the bytes,
 * and the largest file of each. Sizes in decimal megabytes, as Meta writes them, so a file Wasl
 * accepts is one Meta accepts.
 */
const MB = 1_000_000;
export const KIND_LIMIT: Record<MediaKind, number> = { image: 5 * MB, video: 16 * MB, audio: 16 * MB, document: 100 * MB, sticker: 500_000 };
export const KINDS = Object.keys(KIND_LIMIT) as MediaKind[];

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const PPTX = 'application/vnd.openxmlformats-officedocument.presentationml.presentation';

export const ACCEPTED: Record<MediaKind, readonly string[]> = {
  image: ['image/jpeg', 'image/png'],
  video: ['video/mp4', 'video/3gpp'],
  audio: ['audio/aac', 'audio/amr', 'audio/mpeg', 'audio/mp4', 'audio/ogg'],
  document: ['application/pdf', 'application/msword', 'application/vnd.ms-excel', 'application/vnd.ms-powerpoint', DOCX, XLSX, PPTX, 'text/plain'],
  sticker: ['image/webp'],
};

/** A file name's extension for each accepted type (names of files that came without one). */
export const EXTENSION: Record<string, string> = {
  'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp', 'video/mp4': 'mp4', 'video/3gpp': '3gp',
  'audio/aac': 'aac', 'audio/amr': 'amr', 'audio/mpeg': 'mp3', 'audio/mp4': 'm4a', 'audio/ogg': 'ogg',
  'application/pdf': 'pdf', 'application/msword': 'doc', 'application/vnd.ms-excel': 'xls', 'application/vnd.ms-powerpoint': 'ppt',
  [DOCX]: 'docx', [XLSX]: 'xlsx', [PPTX]: 'pptx', 'text/plain': 'txt',
};

/** file-type's names where Meta names the same thing otherwise. */
const META_NAME: Record<string, string> = { 'audio/x-m4a': 'audio/mp4', 'audio/ogg; codecs=opus': 'audio/ogg' };
/** Word, Excel and PowerPoint 97–2003 are all one container (CFB): the name's extension says which. */
const CFB_BY_EXTENSION: Record<string, string> = { doc: 'application/msword', xls: 'application/vnd.ms-excel', ppt: 'application/vnd.ms-powerpoint' };

/** The kind a type is sent as when the caller names none (webp is a sticker, as on WhatsApp). */
export function kindOf(mimeType: string): MediaKind | null {
  return KINDS.find((kind) => ACCEPTED[kind].includes(mimeType)) ?? null;
}

const extensionOf = (name: string | null) => /\.([a-z0-9]{1,8})$/i.exec(name ?? '')?.[1]?.toLowerCase() ?? null;

function isPlainText(bytes: Buffer): boolean {
  if (bytes.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** What unrecognised bytes look like, for the refusal (an HTML error page behind a .jpg link is the usual case). */
function describeUnknown(bytes: Buffer): string {
  const head = bytes.subarray(0, 512).toString('utf8').replace(/^\uFEFF/, '').trimStart().toLowerCase();
  if (head.startsWith('<!doctype html') || head.startsWith('<html') || (head.startsWith('<') && head.includes('<body'))) return 'an HTML page';
  if (head.startsWith('{') || head.startsWith('[')) return isPlainText(bytes) ? 'JSON text' : 'bytes of no known type';
  return isPlainText(bytes) ? 'plain text (accepted only as a document named *.txt)' : 'bytes of no known type';
}

/**
 * The type of a file, from its bytes (never from its name or a Content-Type header): Meta's name
 * for it, or what the bytes are when WhatsApp cannot send them. Two things have no signature and
 * use the name: plain text (valid UTF-8 without NUL bytes, named `*.txt`) and the Office 97–2003
 * formats (a CFB container named `*.doc`, `*.xls` or `*.ppt`).
 */
export async function sniff(bytes: Buffer, name: string | null): Promise<{ mimeType: string } | { found: string }> {
  if (!bytes.length) return { found: 'an empty file' };
  const detected = await fileTypeFromBuffer(bytes);
  const ext = extensionOf(name);
  if (!detected) return ext === 'txt' && isPlainText(bytes) ? { mimeType: 'text/plain' } : { found: describeUnknown(bytes) };
  if (detected.mime === 'application/x-cfb') {
    const office = ext ? CFB_BY_EXTENSION[ext] : undefined;
    return office ? { mimeType: office } : { found: 'an Office 97–2003 (CFB) file not named .doc, .xls or .ppt' };
  }
  if (detected.mime === 'audio/ogg') return { found: 'Ogg audio that is not Opus (WhatsApp plays Ogg only with the Opus codec)' };
  const mimeType = META_NAME[detected.mime] ?? detected.mime;
  return kindOf(mimeType) ? { mimeType } : { found: mimeType };
}

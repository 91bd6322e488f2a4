import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Db } from '../../db/store.js';
import type { Transaction } from '../../db/transaction.js';
import type { Clock } from '../../lib/clock.js';
import { errors } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { OutboundRefusedError, OutboundTooLargeError, type OutboundHttp } from '../../providers/http/outbound.js';
import type { FileStorage } from '../../providers/storage/port.js';
import type { MediaKind } from '../../providers/whatsapp/port.js';
import type { FileRow, FilesRepo } from './files.repo.js';
import type { LinkSigner } from './links.js';
import { ACCEPTED, EXTENSION, KIND_LIMIT, kindOf, sniff } from './media-types.js';

/** How long a link handed to Meta for a send stays valid: a queued send may wait for its turn, and retries. */
export const SEND_LINK_TTL_MS = 24 * 3_600_000;

/** A file fetched and checked, not stored yet. */
export interface CheckedFile {
  bytes: Buffer;
  mimeType: string;
  kind: MediaKind;
  fileName: string | null;
}

/** A stored file as the rest of Wasl sees it. */
export interface StoredFile {
  id: string;
  workspaceId: string;
  mimeType: string;
  kind: MediaKind | null;
  sizeBytes: number;
  sha256: string;
  /** The display name (sanitised), or one made from the kind and type. */
  fileName: string;
  createdAt: Date;
}

/** What a send needs of a file: its id, a link Meta can fetch without a token, and what it is. */
export interface FileForSend {
  fileId: string;
  link: string;
  mimeType: string;
  sizeBytes: number;
  kind: MediaKind;
}

/**
 * A name for display only: the last path segment, without control characters, at most 200
 * characters; null when nothing is left. Never used as a path.
 */
export function displayName(name: string | null | undefined): string | null {
  if (!name) return null;
  const last = name.split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  const clean = last.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '').replace(/\s+/g, ' ').trim();
  return clean ? [...clean].slice(0, 200).join('') : null;
}

/** The last segment of a URL's path, decoded (a name hint for plain text and Office 97–2003 files). */
function nameInUrl(url: string): string | null {
  try {
    const segment = new URL(url).pathname.split('/').pop() ?? '';
    return decodeURIComponent(segment) || null;
  } catch {
    return null;
  }
}

/** "an image", "a video" … */
const aKind = (kind: MediaKind) => (/^[aeiou]/.test(kind) ? `an ${kind}` : `a ${kind}`);

/**
 * Files sent and received on WhatsApp (issue 9 "Media"): fetched through the SSRF-guarded client
 * and checked on their bytes (type and Meta's size for the kind), kept in the file storage with a
 * `files` row, and served to the workspace (`GET /v1/files/{id}`) or through signed links.
 */
export function createMediaService(deps: {
  storage: FileStorage;
  repo: FilesRepo;
  http: Pick<OutboundHttp, 'get'>;
  links: LinkSigner;
  transaction: Transaction;
  clock: Clock;
  publicUrl: string;
  /** MEDIA_MAX_BYTES: the cap under Meta's limits. */
  maxBytes: number;
  /** MEDIA_LINK_TTL_SECONDS, in ms: webhook links. */
  webhookLinkTtlMs: number;
}) {
  const { storage, repo, clock } = deps;
  const limitOf = (kind: MediaKind) => Math.min(KIND_LIMIT[kind], deps.maxBytes);

  function toStored(row: FileRow): StoredFile {
    const kind = kindOf(row.mime_type);
    return {
      id: row.id,
      workspaceId: row.workspace_id,
      mimeType: row.mime_type,
      kind,
      sizeBytes: row.size_bytes,
      sha256: row.sha256,
      fileName: row.file_name ?? `${kind ?? 'file'}-${row.id.slice(-12)}.${EXTENSION[row.mime_type] ?? 'bin'}`,
      createdAt: row.created_at,
    };
  }

  /** Refuses what WhatsApp would: a type it does not send, another kind than asked, more bytes than the kind allows. */
  async function check(bytes: Buffer, options: { kind?: MediaKind; name: string | null; member: string }): Promise<CheckedFile> {
    const { member } = options;
    const sniffed = await sniff(bytes, options.name);
    if ('found' in sniffed) {
      const wanted = options.kind ? `${aKind(options.kind)} (${ACCEPTED[options.kind].join(', ')})` : 'an image, video, audio, document or sticker WhatsApp sends';
      throw errors.fileTypeUnsupported(member, `the file is ${sniffed.found}, not ${wanted}. The type is read from the bytes, not the name or Content-Type.`);
    }
    // An MP4 of sound alone is often labelled as video: sent as audio, it is audio/mp4.
    const mimeType = options.kind === 'audio' && sniffed.mimeType === 'video/mp4' ? 'audio/mp4' : sniffed.mimeType;
    const kind = options.kind ?? kindOf(mimeType)!;
    if (!ACCEPTED[kind].includes(mimeType)) {
      throw errors.fileTypeUnsupported(member, `the file is ${mimeType}; ${aKind(kind)} must be one of ${ACCEPTED[kind].join(', ')}.`);
    }
    const limit = limitOf(kind);
    if (bytes.length > limit) throw errors.fileTooLarge(member, limit, aKind(kind), bytes.length);
    return { bytes, mimeType, kind, fileName: displayName(options.name) };
  }

  /** A file's bytes from a URL someone gave, checked: the SSRF guard, no redirects, cut off past the kind's limit. */
  async function fetchChecked(url: string, options: { kind?: MediaKind; filename?: string | null; member: string }): Promise<CheckedFile> {
    const { member } = options;
    const limit = options.kind ? limitOf(options.kind) : deps.maxBytes;
    let res;
    try {
      res = await deps.http.get(url, { maxBodyBytes: limit, label: member, headers: { accept: '*/*' } });
    } catch (err) {
      if (err instanceof OutboundRefusedError) throw errors.fileUrlRefused(member, err.message);
      if (err instanceof OutboundTooLargeError) throw errors.fileTooLarge(member, limit, options.kind ? aKind(options.kind) : 'any file');
      throw errors.fileUnreachable(member, (err as Error).message);
    }
    if (res.status >= 300 && res.status < 400) throw errors.fileUnreachable(member, `it answered HTTP ${res.status} (a redirect, which Wasl does not follow: give the final URL).`);
    if (res.status !== 200) throw errors.fileUnreachable(member, `it answered HTTP ${res.status}.`);
    return check(res.body ?? Buffer.alloc(0), { ...(options.kind && { kind: options.kind }), name: options.filename ?? nameInUrl(url), member });
  }

  /** Keeps a file's bytes and its row, in the caller's transaction (the database storage writes there too). */
  async function save(trx: Db, workspaceId: string, file: { bytes: Buffer; mimeType: string; fileName?: string | null }, source: string): Promise<StoredFile> {
    const key = await storage.put(file.bytes, { mimeType: file.mimeType }, { trx });
    const row = await repo.insert(
      {
        id: newId(),
        workspace_id: workspaceId,
        storage_key: key,
        mime_type: file.mimeType,
        size_bytes: file.bytes.length,
        sha256: createHash('sha256').update(file.bytes).digest('hex'),
        file_name: displayName(file.fileName),
        source,
        created_at: clock.now(),
      },
      trx,
    );
    return toStored(row);
  }

  async function opened(row: FileRow | undefined, id: string): Promise<{ file: StoredFile; body: Readable }> {
    const object = row && (await storage.get(row.storage_key));
    if (!row || !object) throw errors.notFound('File', id);
    return { file: toStored(row), body: object.body };
  }

  /** The link a send hands Meta: no token, valid 24 hours. */
  const sendLink = (fileId: string) => deps.links.sign(fileId, SEND_LINK_TTL_MS);

  return {
    check,
    fetchChecked,
    save,
    sendLink,
    /** Loads the link-signing key (start-up; see links.ts). */
    ready: () => deps.links.ready(),
    /** The most bytes a file of `kind` may have: Meta's limit, or MEDIA_MAX_BYTES when lower. */
    limitOf,

    /**
     * A file for a send (sendFile, a template's media header): fetched, checked, stored, and a
     * link Meta can fetch for 24 hours. Call it before your transaction (it does network I/O); to
     * store the file in your own transaction instead, use `fetchChecked`, then `save` and `sendLink`.
     */
    async fetchForSend(workspaceId: string, url: string, options: { kind?: MediaKind; filename?: string | null; member: string; source?: string }): Promise<FileForSend> {
      const file = await fetchChecked(url, options);
      const stored = await deps.transaction((trx) => save(trx, workspaceId, file, options.source ?? 'send'));
      return { fileId: stored.id, link: await sendLink(stored.id), mimeType: file.mimeType, sizeBytes: stored.sizeBytes, kind: file.kind };
    },

    /** The short-lived link a webhook payload carries as `mediaUrl` (MEDIA_LINK_TTL_SECONDS). */
    webhookLink: (fileId: string) => deps.links.sign(fileId, deps.webhookLinkTtlMs),
    /** The workspace's own URL of a file (the timeline's `attachment`): needs the workspace's token. */
    fileUrl: (fileId: string) => `${deps.publicUrl}/v1/files/${fileId}`,

    /** `GET /v1/files/{id}`: a file of this workspace (any other → 404) and its bytes. */
    async open(workspaceId: string, id: string) {
      const row = await repo.find(id);
      return opened(row?.workspace_id === workspaceId ? row : undefined, id);
    },

    /** `GET /files/{id}?expires&signature`: the link's signature first (403), then the file (404). */
    async openSigned(id: string, expires: number, signature: string) {
      const verdict = await deps.links.verify(id, expires, signature);
      if (verdict === 'invalid') throw errors.fileLinkInvalid();
      if (verdict === 'expired') throw errors.fileLinkExpired();
      return opened(await repo.find(id), id);
    },
  };
}
export type MediaService = ReturnType<typeof createMediaService>;

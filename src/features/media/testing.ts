import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo, Socket } from 'node:net';
import { after } from 'node:test';
import { crc32 } from 'node:zlib';

/**
 * For tests only (imported by *.test.ts): the smallest byte strings each type is recognised by,
 * and a file server on 127.0.0.1 — where a sendFile's `fileUrl` points.
 */

/** A 1×1 transparent PNG (what the sandbox's media ids download as). */
export const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');
export const JPEG = Buffer.concat([Buffer.from('ffd8ffe000104a46494600010100000100010000', 'hex'), Buffer.alloc(100, 7), Buffer.from('ffd9', 'hex')]);

function isoBox(brand: string, compatible: string[], size = 96): Buffer {
  const body = Buffer.concat([Buffer.from(brand), Buffer.alloc(4), ...compatible.map((c) => Buffer.from(c))]);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + body.length);
  head.write('ftyp', 4);
  return Buffer.concat([head, body, Buffer.alloc(Math.max(0, size - 8 - body.length))]);
}
export const MP4 = isoBox('isom', ['isom', 'avc1']);
export const M4A = isoBox('M4A ', ['M4A ', 'isom']);
export const MOV = isoBox('qt  ', ['qt  ']);
export const MP3 = Buffer.concat([Buffer.from('fffb9064', 'hex'), Buffer.alloc(500)]);
export const AMR = Buffer.concat([Buffer.from('#!AMR\n'), Buffer.alloc(50)]);

function oggPage(payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from('OggS'), Buffer.from([0, 2]), Buffer.alloc(20), Buffer.from([1, payload.length]), payload]);
}
export const OPUS = oggPage(Buffer.concat([Buffer.from('OpusHead'), Buffer.alloc(11)]));
export const VORBIS = oggPage(Buffer.concat([Buffer.from([1]), Buffer.from('vorbis'), Buffer.alloc(23)]));

export function webp(size = 48): Buffer {
  const bytes = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBPVP8 '), Buffer.alloc(Math.max(0, size - 16))]);
  bytes.writeUInt32LE(bytes.length - 8, 4);
  return bytes;
}
export const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
/** An Office 97–2003 (CFB) header: Word, Excel or PowerPoint by the name only. */
export const CFB = Buffer.concat([Buffer.from('d0cf11e0a1b11ae1', 'hex'), Buffer.alloc(600)]);
export const HTML = Buffer.from('<!DOCTYPE html><html><head><title>404</title></head><body>Not found</body></html>');

/** A ZIP of stored entries (an Office Open XML document when it has the right [Content_Types].xml). */
export function storedZip(entries: Record<string, string>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of Object.entries(entries)) {
    const data = Buffer.from(text);
    const fileName = Buffer.from(name);
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt32LE(crc32(data), 14);
    header.writeUInt32LE(data.length, 18);
    header.writeUInt32LE(data.length, 22);
    header.writeUInt16LE(fileName.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc32(data), 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(fileName.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(header, fileName, data);
    centrals.push(central, fileName);
    offset += header.length + fileName.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(entries).length, 8);
  end.writeUInt16LE(Object.keys(entries).length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
export const DOCX = storedZip({
  '[Content_Types].xml': '<?xml version="1.0"?><Types><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
  'word/document.xml': '<w:document/>',
});

export interface ServedFile {
  status?: number;
  type?: string;
  body: Buffer;
  headers?: Record<string, string>;
  /** Wait this long before answering (time-outs). */
  delayMs?: number;
}

/** A file server on 127.0.0.1: `serve(path, file)` then `url(path)`; records what it was asked. Closed when the test file ends. */
export async function startFileServer() {
  const files = new Map<string, ServedFile>();
  const requests: { path: string; headers: IncomingHttpHeaders }[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    requests.push({ path, headers: req.headers });
    const file = files.get(path);
    const answer = () => {
      if (!file) return void res.writeHead(404, { 'content-type': 'text/html' }).end(HTML);
      res.writeHead(file.status ?? 200, { 'content-type': file.type ?? 'application/octet-stream', ...file.headers }).end(file.body);
    };
    if (file?.delayMs) setTimeout(answer, file.delayMs);
    else answer();
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  after(() => {
    sockets.forEach((s) => s.destroy());
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return {
    port,
    requests,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    serve(path: string, file: ServedFile | Buffer) {
      files.set(path, Buffer.isBuffer(file) ? { body: file } : file);
      return `http://127.0.0.1:${port}${path}`;
    },
  };
}

/** A data directory of its own for a test harness (local file storage), removed when the file ends. */
export function tempDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wasl-files-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

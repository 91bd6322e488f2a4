import assert from 'node:assert/strict';
import { test } from 'node:test';
import { displayName } from './media.service.js';
import { kindOf, sniff } from './media-types.js';
import { AMR, CFB, DOCX, HTML, JPEG, M4A, MOV, MP3, MP4, OPUS, PDF, PNG, VORBIS, webp } from './testing.js';

test('sniff: the type comes from the bytes, named as Meta names it, whatever the file is called', async () => {
  const cases: [Buffer, string | null, string][] = [
    [JPEG, 'photo.png', 'image/jpeg'],
    [PNG, null, 'image/png'],
    [webp(), 'x.jpg', 'image/webp'],
    [MP4, 'clip', 'video/mp4'],
    [M4A, null, 'audio/mp4'],
    [MP3, null, 'audio/mpeg'],
    [AMR, null, 'audio/amr'],
    [OPUS, 'voice.ogg', 'audio/ogg'],
    [PDF, 'invoice.txt', 'application/pdf'],
    [DOCX, 'report.zip', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
    [CFB, 'old.DOC', 'application/msword'],
    [CFB, 'sheet.xls', 'application/vnd.ms-excel'],
    [Buffer.from('مرحبا\nplain text'), 'notes.txt', 'text/plain'],
  ];
  for (const [bytes, name, mimeType] of cases) assert.deepEqual(await sniff(bytes, name), { mimeType }, `${name}: ${mimeType}`);
});

test('sniff: what WhatsApp cannot send says what the bytes are', async () => {
  const cases: [Buffer, string | null, RegExp][] = [
    [HTML, 'photo.jpg', /HTML page/],
    [Buffer.from('just text'), 'notes.md', /plain text \(accepted only as a document named \*\.txt\)/],
    [Buffer.from([0x00, 0x01, 0x02, 0x03]), 'a.txt', /no known type/],
    [Buffer.from([0xc3, 0x28, 0x41]), 'bad-utf8.txt', /no known type/],
    [VORBIS, 'a.ogg', /not Opus/],
    [MOV, 'a.mp4', /video\/quicktime/],
    [CFB, 'setup.msi', /Office 97–2003/],
    [Buffer.alloc(0), 'a.pdf', /empty/],
  ];
  for (const [bytes, name, found] of cases) {
    const got = await sniff(bytes, name);
    assert.ok('found' in got, `${name}: ${JSON.stringify(got)}`);
    assert.match(got.found, found);
  }
});

test('kindOf: webp is a sticker; the rest by Meta\'s lists', () => {
  assert.deepEqual(['image/jpeg', 'image/webp', 'video/3gpp', 'audio/ogg', 'text/plain', 'image/gif'].map(kindOf), ['image', 'sticker', 'video', 'audio', 'document', null]);
});

test('displayName: the last path segment, without control or direction characters, at most 200 characters', () => {
  assert.equal(displayName('../../etc/passwd'), 'passwd');
  assert.equal(displayName('C:\\Users\\a\\Invoice 001.pdf'), 'Invoice 001.pdf');
  assert.equal(displayName('bad\u0000na\u202eme\n.pdf'), 'badname.pdf');
  assert.equal(displayName('   '), null);
  assert.equal(displayName(null), null);
  assert.equal([...displayName('ف'.repeat(300))!].length, 200);
});

import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { AppError } from '../../lib/errors.js';
import { ProviderError } from '../errors.js';
import { createEspeakProcess, probeEspeak } from './espeak-process.js';
import { createEspeakWasm } from './espeak-wasm.js';
import { createTts, detectLanguage, speakableText, TTS_MAX_CHARS, type Tts, type TtsAudio, type TtsLanguage, type TtsVoice } from './index.js';

const EN = 'Hello, please press one to confirm.';
const AR = 'مرحباً، للتأكيد اضغط واحد.';

/** The test's own RIFF reading (not the code under test's): sizes must be exact, PCM mono 16-bit. */
function readWav(wav: Buffer) {
  assert.equal(wav.toString('latin1', 0, 4), 'RIFF');
  assert.equal(wav.readUInt32LE(4), wav.length - 8, 'RIFF size is the real one (not a streamed placeholder)');
  assert.equal(wav.toString('latin1', 8, 12), 'WAVE');
  let at = 12;
  let sampleRate = 0;
  while (at + 8 <= wav.length) {
    const [id, size] = [wav.toString('latin1', at, at + 4), wav.readUInt32LE(at + 4)];
    if (id === 'fmt ') {
      assert.deepEqual([wav.readUInt16LE(at + 8), wav.readUInt16LE(at + 10), wav.readUInt16LE(at + 22)], [1, 1, 16], 'PCM, mono, 16-bit');
      sampleRate = wav.readUInt32LE(at + 12);
    }
    if (id === 'data') {
      assert.equal(at + 8 + size, wav.length, 'the data chunk ends the file');
      const pcm = new Int16Array(wav.buffer.slice(wav.byteOffset + at + 8, wav.byteOffset + wav.length));
      return { sampleRate, pcm, durationMs: (pcm.length / sampleRate) * 1000 };
    }
    at += 8 + size + (size & 1);
  }
  assert.fail('no data chunk');
}

/** Median pitch (Hz) of the voiced 40-ms frames, by normalised autocorrelation over 60–400 Hz. */
function medianPitchHz(pcm: Int16Array, rate: number): number {
  const n = Math.round(rate * 0.04);
  const pitches: number[] = [];
  for (let s = 0; s + 2 * n < pcm.length; s += n) {
    let energy = 0;
    for (let i = 0; i < n; i++) energy += pcm[s + i]! ** 2;
    if (energy / n < 1e5) continue;
    let [best, bestLag] = [0, 0];
    for (let lag = Math.floor(rate / 400); lag <= Math.floor(rate / 60); lag++) {
      let [c, e2] = [0, 0];
      for (let i = 0; i < n; i++) [c, e2] = [c + pcm[s + i]! * pcm[s + i + lag]!, e2 + pcm[s + i + lag]! ** 2];
      const r = c / Math.sqrt(energy * e2);
      if (r > best) [best, bestLag] = [r, lag];
    }
    if (best > 0.6) pitches.push(rate / bestLag);
  }
  pitches.sort((a, b) => a - b);
  return pitches[Math.floor(pitches.length / 2)] ?? 0;
}

const isCode = (code: string, retry?: string) => (err: unknown) => {
  assert.ok(err instanceof ProviderError || err instanceof AppError, String(err));
  assert.equal(err.code, code, err.message);
  if (retry) assert.equal((err as ProviderError).retry, retry);
  return true;
};

test('language by script: more Arabic letters than Latin → ar; text is cleaned and limited', () => {
  assert.equal(detectLanguage(AR), 'ar');
  assert.equal(detectLanguage('مرحبا John، رمزك ١٢٣'), 'ar');
  assert.equal(detectLanguage(EN), 'en');
  assert.equal(detectLanguage('Dear أحمد, your code is 1234'), 'en');
  assert.equal(detectLanguage('1234'), 'en');
  assert.equal(speakableText('  a\u0000b\n\tc [[x]] '), 'a b c [ [x]]');
  assert.equal(speakableText('ب'.repeat(TTS_MAX_CHARS)).length, TTS_MAX_CHARS);
  assert.throws(() => speakableText('ب'.repeat(TTS_MAX_CHARS + 1)), isCode('Wasl:Tts:TextTooLong'));
  // Characters are code points: a letter with its tashkeel mark counts two.
  assert.throws(() => speakableText('بَ'.repeat(1001)), isCode('Wasl:Tts:TextTooLong'));
});

const program = process.env.ESPEAK_NG_PATH || 'espeak-ng';
const programVersion = probeEspeak(program);
const engines: [string, () => Tts, string | false][] = [
  ['wasm', () => createTts({ prefer: 'wasm' }), false],
  ['process', () => createTts({ prefer: 'process', espeakPath: program }), programVersion ? false : `${program} does not run on this machine (\`which espeak-ng\` finds nothing, or it fails to start): the process adapter is tested where Debian's espeak-ng is installed or ESPEAK_NG_PATH names it`],
];

for (const [name, make, skip] of engines) {
  describe(`${name} engine`, { skip }, () => {
    const tts = make();
    after(() => tts.close());
    // Each render once (renders are what makes this file slow); the tests compare distinct renders only.
    const renders = new Map<string, Promise<TtsAudio>>();
    const render = (text: string, voice: TtsVoice, language?: TtsLanguage) => {
      const key = `${text}|${voice}|${language}`;
      if (!renders.has(key)) renders.set(key, tts.render(text, voice, language));
      return renders.get(key)!;
    };

    test('English and Arabic render to a valid WAV of speech length; the language comes from the script', async () => {
      assert.equal(tts.engine, `espeak-ng/${name}`);
      // Everything the tests below compare, asked for at once (the process engine renders them in parallel).
      await Promise.all([EN, AR].flatMap((text) => [render(text, 'Female'), render(text, 'Male'), render(text, 'Male', detectLanguage(text)), render(text, 'Male', 'ar')]));
      for (const text of [EN, AR]) {
        const audio = await render(text, 'Female');
        const { sampleRate, durationMs } = readWav(audio.wav);
        assert.equal(audio.sampleRate, sampleRate);
        assert.ok(durationMs > 300 && durationMs < 8000, `${durationMs} ms for "${text}"`);
      }
      assert.ok(!(await render(EN, 'Male', 'ar')).wav.equals((await render(EN, 'Male')).wav), 'an explicit language wins');
    });

    test('Male and Female are different voices (bytes and pitch); the same input gives the same bytes', async () => {
      for (const [text, language] of [[EN, 'en'], [AR, 'ar']] as const) {
        const [male, female] = [await render(text, 'Male'), await render(text, 'Female')];
        assert.ok(!male.wav.equals(female.wav));
        // A second, separate render (the language given rather than detected): the same bytes.
        assert.ok(male.wav.equals((await render(text, 'Male', language)).wav), `deterministic, and "${text}" is detected as ${language}`);
        const [m, f] = [readWav(male.wav), readWav(female.wav)];
        const [mHz, fHz] = [medianPitchHz(m.pcm, m.sampleRate), medianPitchHz(f.pcm, f.sampleRate)];
        assert.ok(mHz > 70 && mHz < 150 && fHz > 1.4 * mHz, `median pitch male ${mHz} Hz, female ${fHz} Hz`);
      }
    });

    test('text that looks like options is spoken, not obeyed; control characters do no harm', async () => {
      const audio = await render('-v xx --help -w /tmp/owned.wav one\u0000two', 'Male');
      assert.ok(readWav(audio.wav).durationMs > 2000, 'all of it is spoken: a NUL does not cut the text');
    });

    test('empty, silent and overlong text is refused (400 naming ttsText) before any rendering', async () => {
      for (const text of ['', '   \n', '...!؟']) await assert.rejects(tts.render(text, 'Female'), isCode('Wasl:Tts:TextEmpty'));
      await assert.rejects(tts.render('a'.repeat(TTS_MAX_CHARS + 1), 'Female'), (err) => {
        isCode('Wasl:Tts:TextTooLong')(err);
        assert.equal((err as AppError).statusCode, 400);
        assert.deepEqual((err as AppError).extra.validationErrors?.[0]?.members, ['ttsText']);
        return true;
      });
    });
  });
}

describe('the process adapter', () => {
  test('a program that is not there: auto uses WASM unless the program was named; a run fails for good', async () => {
    const auto = createTts();
    assert.equal(auto.engine, probeEspeak('espeak-ng') ? 'espeak-ng/process' : 'espeak-ng/wasm');
    await auto.close();
    const missing = '/nonexistent/espeak-ng';
    for (const prefer of ['auto', 'process'] as const) {
      await assert.rejects(createTts({ espeakPath: missing, prefer }).render(EN, 'Male'), (err) => isCode('no_program', 'never')(err) && (err as Error).message.includes(missing));
    }
    await assert.rejects(createEspeakProcess({ path: missing }).synthesize(EN, 'en-us'), isCode('spawn_failed', 'never'));
  });

  test('an unknown voice and the time-out fail with their codes', { skip: !programVersion && 'no espeak-ng here (see above)' }, async () => {
    const runner = createEspeakProcess({ path: program });
    await assert.rejects(runner.synthesize(EN, 'xx-nope'), isCode('exit', 'never'));
    await assert.rejects(createEspeakProcess({ path: program, timeoutMs: 1 }).synthesize(EN, 'en-us'), isCode('timeout', 'later'));
    await runner.close();
  });
});

describe('the WASM adapter', () => {
  const runner = createEspeakWasm({ threads: 2 });
  after(() => runner.close());

  test('renders on worker threads: the event loop stays free during a render; parallel renders agree', async (t) => {
    await runner.synthesize('warm up', 'en-us'); // thread start and compile are not what is measured
    let [last, worstGap] = [performance.now(), 0];
    const probe = setInterval(() => {
      worstGap = Math.max(worstGap, performance.now() - last);
      last = performance.now();
    }, 5);
    const started = performance.now();
    const [a, b, c] = await Promise.all([runner.synthesize(AR.repeat(6), 'ar+m3'), runner.synthesize(EN, 'en-us+f4'), runner.synthesize(AR.repeat(6), 'ar+m3')]);
    const took = performance.now() - started;
    clearInterval(probe);
    assert.ok(a.equals(c) && !a.equals(b));
    t.diagnostic(`3 renders on 2 threads: ${took.toFixed(0)} ms; the event loop's longest gap: ${worstGap.toFixed(0)} ms`);
    assert.ok(worstGap < Math.max(100, took / 3), `the event loop stalled ${worstGap.toFixed(0)} ms during ${took.toFixed(0)} ms of rendering`);
  });

  test('an unknown voice fails for good; a render past the time-out fails and its thread is replaced; close ends work in flight', async () => {
    await assert.rejects(runner.synthesize(EN, 'xx-nope'), (err) => isCode('exit', 'never')(err) && /voice does not exist/.test((err as Error).message));
    const slow = createEspeakWasm({ threads: 1, timeoutMs: 1 });
    await Promise.all([1, 2].map(() => assert.rejects(slow.synthesize(EN, 'en-us'), isCode('timeout', 'later'))));
    const inFlight = assert.rejects(slow.synthesize(EN, 'en-us'), isCode('closed', 'later'));
    await slow.close();
    await inFlight;
    await assert.rejects(slow.synthesize(EN, 'en-us'), isCode('closed'));
  });
});

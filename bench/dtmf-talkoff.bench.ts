import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { pcm16Of } from '../src/lib/wav.js';
import { createAudioConverter } from '../src/providers/audio/convert.js';
import { createDtmfDetector } from '../src/providers/telephony/sip/media/dtmf-detect.js';
import { dtmfSequence, speechLike } from '../src/providers/telephony/sip/media/dtmf-generate.js';
import { g711Decode, g711Encode } from '../src/providers/telephony/sip/media/g711.js';
import { createTts, type TtsVoice } from '../src/providers/tts/index.js';

/**
 * Talk-off of the in-band DTMF detector (SIP adapter, issue 10): keys it finds in speech that has
 * none — the callee's audio carries our prompt's echo. Speech is Wasl's own prompts: TTS
 * (espeak-ng, Arabic and English, both voices) converted to 8 kHz by the audio converter, as
 * the voice feature plays them, then a G.711 round trip at three levels (echo at -10 dB, as
 * rendered, +10 dB clipped); then the synthetic speech-like signal of the unit tests, longer.
 * Also the detector's cost per 20-ms frame. `node --import tsx bench/dtmf-talkoff.bench.ts [--synthetic-seconds=300]`
 */

const { values: args } = parseArgs({ options: { 'synthetic-seconds': { type: 'string', default: '300' }, engine: { type: 'string', default: 'auto' } } });

const PROMPTS: [string, 'ar' | 'en'][] = [
  ['Welcome to the appointment confirmation service. Press one to confirm, two to cancel, or nine to speak with an agent.', 'en'],
  ['Your payment of four hundred and twenty dollars is due on the fifteenth of March. Please hold while we connect you.', 'en'],
  ['Sorry, that was not a valid choice. Please try again. Thank you for calling, goodbye.', 'en'],
  ['Hello! This is a reminder from the dental clinic: your visit is tomorrow at half past three in the afternoon.', 'en'],
  ['مَرْحَبًا بِكُمْ فِي خِدْمَةِ تَأْكِيدِ المَوَاعِيدِ. اِضْغَطْ وَاحِد لِلتَّأْكِيد، أَوْ اِثْنَيْن لِلْإِلْغَاء.', 'ar'],
  ['شكرا لاتصالكم. نرجو الانتظار حتى يتم تحويل مكالمتكم إلى أحد ممثلي خدمة العملاء.', 'ar'],
  ['عَذْرًا، هَذَا اخْتِيَارٌ غَيْرُ صَحِيح. حَاوِلْ مَرَّةً أُخْرَى.', 'ar'],
  ['موعدكم غدا الساعة الثالثة والنصف مساء في العيادة. نتمنى لكم يوما سعيدا.', 'ar'],
];

const keysIn = (pcm: Int16Array) => {
  const detector = createDtmfDetector();
  const keys: string[] = [];
  for (let i = 0; i < pcm.length; i += 160) keys.push(...detector.push(pcm.subarray(i, i + 160)));
  return keys.join('');
};
const gain = (pcm: Int16Array, db: number) => Int16Array.from(pcm, (v) => Math.max(-32768, Math.min(32767, Math.round(v * 10 ** (db / 20)))));
const line = (pcm: Int16Array) => g711Decode('PCMU', g711Encode('PCMU', pcm));

const tts = createTts({ prefer: args.engine as 'auto' | 'process' | 'wasm' });
const converter = createAudioConverter();
const rows = ['| source | audio (s) | level | keys found |', '|---|---|---|---|'];
const speech: Int16Array[] = [];
try {
  for (const [text, language] of PROMPTS) {
    for (const voice of ['Male', 'Female'] as TtsVoice[]) {
      const { wav } = await tts.render(text, voice, language);
      speech.push(pcm16Of((await converter.toTelephonyWav(wav)).wav));
    }
  }
} finally {
  await tts.close();
}
const seconds = speech.reduce((n, p) => n + p.length, 0) / 8000;
for (const db of [-10, 0, 10]) {
  const found = speech.map((p) => keysIn(line(gain(p, db)))).join('');
  rows.push(`| TTS prompts (${tts.engine}), ${PROMPTS.length} texts × 2 voices | ${seconds.toFixed(0)} | ${db > 0 ? '+' : ''}${db} dB | ${found.length}${found ? ` (${found})` : ''} |`);
}
const synthetic = line(speechLike(Number(args['synthetic-seconds']), 1234));
const found = keysIn(synthetic);
rows.push(`| synthetic vowels (speechLike) | ${synthetic.length / 8000} | as made | ${found.length}${found ? ` (${found})` : ''} |`);

const tones = line(dtmfSequence('0123456789*#ABCD'.repeat(8)));
const detector = createDtmfDetector();
for (let i = 0; i < tones.length; i += 160) detector.push(tones.subarray(i, i + 160)); // warm up
const began = performance.now();
let frames = 0;
for (let round = 0; round < 5; round++) for (let i = 0; i < synthetic.length; i += 160, frames++) detector.push(synthetic.subarray(i, i + 160));
const perFrameUs = ((performance.now() - began) * 1000) / frames;
console.log(rows.join('\n'));
console.log(`\ndetector: ${perFrameUs.toFixed(1)} µs per 20-ms frame (${((perFrameUs / 20000) * 100).toFixed(2)} % of a core per call)`);

/**
 * The settings config.ts parses under its `[audio]` marker, added to `Config` by declaration
 * merging (as providers/tts/config.ts does) so the shared interface needs no edit:
 * AUDIO_MAX_BYTES (largest upload, default 10 MB), AUDIO_MAX_SECONDS (longest audio, default 600)
 * and FFMPEG_PATH (a system ffmpeg; default the binary of `@ffmpeg-installer/ffmpeg`).
 */
declare module '../../config.js' {
  interface Config {
    audioMaxBytes: number;
    audioMaxSeconds: number;
    ffmpegPath: string | null;
  }
}
export {};

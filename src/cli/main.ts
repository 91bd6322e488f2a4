import { runCli } from './run.js';

/**
 * `wasl` entry point (bin/wasl.js and `npm run wasl`). The CLI is its own process, so it reads
 * process.env here rather than through src/config.ts, which describes the server.
 */
try {
  process.exitCode = await runCli(process.argv.slice(2), {
    env: process.env,
    io: { stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text) },
  });
} catch (err) {
  process.stderr.write(`wasl: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
}

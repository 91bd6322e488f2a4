import { parseArgs } from 'node:util';
import { createAdminClient } from './client.js';
import type { Values } from './command.js';
import { commands } from './commands.js';
import { isCliError, usageError } from './errors.js';
import { formatJson, formatTable } from './format.js';
import { commandUsage, DEFAULT_URL, globalUsage, groupUsage, usageFor } from './usage.js';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

export interface CliDeps {
  env: Record<string, string | undefined>;
  io: CliIo;
  fetch?: typeof fetch;
}

const isHelp = (arg: string | undefined) => arg === '--help' || arg === '-h' || arg === 'help';

/** Runs one invocation and returns its exit code: 0 done, 1 the call failed, 2 wrong usage. */
export async function runCli(argv: readonly string[], deps: CliDeps): Promise<number> {
  try {
    return await dispatch(argv, deps);
  } catch (err) {
    if (!isCliError(err)) throw err;
    deps.io.stderr(`wasl: ${err.message}\n`);
    if (err.exitCode === 2) deps.io.stderr(`\n${usageFor(err.usageOf)}`);
    return err.exitCode;
  }
}

async function dispatch(argv: readonly string[], { env, io, fetch }: CliDeps): Promise<number> {
  const [group, verb, ...rest] = argv;
  if (group === undefined) throw usageError('a command is required.');
  if (isHelp(group)) return io.stdout(globalUsage()), 0;
  const own = commands.filter((c) => c.group === group);
  if (!own.length) throw usageError(`unknown command "${group}".`);
  if (isHelp(verb)) return io.stdout(groupUsage(group)), 0;
  if (verb === undefined) throw usageError(`"${group}" needs one of: ${own.map((c) => c.verb).join(', ')}.`, group);
  const command = own.find((c) => c.verb === verb);
  if (!command) throw usageError(`unknown command "${group} ${verb}".`, group);
  const key = `${group} ${verb}`;

  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...rest],
      options: { ...command.options, table: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    }) as { values: Values; positionals: string[] };
  } catch (err) {
    // node's hint about "--" for positionals that start with a dash only confuses here.
    throw usageError((err as Error).message.split('. To specify a positional')[0] ?? String(err), key);
  }
  const { values, positionals } = parsed;
  if (values.help) return io.stdout(commandUsage(command)), 0;

  const expected = command.positional ? 1 : 0;
  if (positionals.length !== expected) {
    throw usageError(
      expected ? `${key} needs exactly one ${command.positional}.` : `${key} takes no arguments, got "${positionals.join(' ')}".`,
      key,
    );
  }
  const missing = Object.keys(command.options).filter((n) => command.options[n]?.required && values[n] === undefined);
  if (missing.length) throw usageError(`${key} needs ${missing.map((n) => `--${n}`).join(', ')}.`, key);

  const token = env.WASL_ADMIN_TOKEN?.trim();
  if (!token) throw usageError("WASL_ADMIN_TOKEN is not set: export the admin token the server printed at its first start.", key);
  const api = createAdminClient({ baseUrl: baseUrlOf(env.WASL_URL), token, ...(fetch ? { fetch } : {}) });

  const result = await command.run(api, { id: positionals[0] ?? '', values });
  io.stdout(values.table ? (command.table?.(result) ?? formatTable(result, command.columns)) : formatJson(result));
  return 0;
}

/** WASL_URL may carry a path prefix (a proxy); a trailing slash is dropped so paths join cleanly. */
function baseUrlOf(raw: string | undefined): string {
  const text = raw?.trim() || DEFAULT_URL;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw usageError(`WASL_URL "${text}" is not a URL; expected e.g. ${DEFAULT_URL}.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usageError(`WASL_URL "${text}" must be an http:// or https:// URL.`);
  return url.href.replace(/\/+$/, '');
}

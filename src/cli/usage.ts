import type { Command } from './command.js';
import { commands } from './commands.js';

export const DEFAULT_URL = 'http://localhost:8080';

const COMMON = [
  ['--table', 'print a plain aligned table instead of JSON'],
  ['--help, -h', 'show this help'],
] as const;

const optionLines = (rows: readonly (readonly [string, string])[]) => {
  const width = Math.max(...rows.map(([f]) => f.length));
  return rows.map(([f, help]) => `  ${f.padEnd(width)}  ${help}`);
};
const ENVIRONMENT = [
  'Environment:',
  `  WASL_URL          base URL of the Wasl server (default ${DEFAULT_URL})`,
  '  WASL_ADMIN_TOKEN  bearer token of the admin API (required; printed at first start)',
];

const flag = (name: string, c: Command) => {
  const o = c.options[name];
  return o?.type === 'string' ? `--${name} ${o.value ?? 'VALUE'}` : `--${name}`;
};

/** Required options inline; up to two optional ones inline too, more become "[options]". */
export function synopsis(c: Command): string {
  const names = Object.keys(c.options);
  const required = names.filter((n) => c.options[n]?.required).map((n) => flag(n, c));
  const optional = names.filter((n) => !c.options[n]?.required);
  const rest = optional.length > 2 ? ['[options]'] : optional.map((n) => `[${flag(n, c)}]`);
  return ['wasl', c.group, c.verb, ...(c.positional ? [c.positional] : []), ...required, ...rest].join(' ');
}

export function commandUsage(c: Command): string {
  const rows = Object.keys(c.options).map((n) => [flag(n, c), `${c.options[n]?.help ?? ''}${c.options[n]?.required ? ' (required)' : ''}`] as const);
  return [
    `Usage: ${synopsis(c)}`,
    '',
    c.summary,
    '',
    'Options:',
    ...optionLines([...rows, ...COMMON]),
    '',
    ...ENVIRONMENT,
    '',
  ].join('\n');
}

export function groupUsage(group: string): string {
  const own = commands.filter((c) => c.group === group);
  return [`Usage: wasl ${group} <${own.map((c) => c.verb).join('|')}> …`, '', ...own.map((c) => `  ${synopsis(c)}\n      ${c.summary}`), '', `Run "wasl ${group} <verb> --help" for its options.`, ''].join('\n');
}

export function globalUsage(): string {
  return [
    'Usage: wasl <command> [options]',
    '',
    'Operator commands for a running Wasl server, through its admin API.',
    '',
    'Commands:',
    ...commands.map((c) => `  ${synopsis(c)}`),
    '',
    'Every command prints JSON; with --table, a plain table.',
    'Options of every command:',
    ...optionLines(COMMON),
    '',
    ...ENVIRONMENT,
    '',
    'Run "wasl <command> --help" for a command\'s options.',
    '',
  ].join('\n');
}

/** The usage a CliError asks for: "group verb", a group, or (empty) the global one. */
export function usageFor(key: string | undefined): string {
  const command = commands.find((c) => `${c.group} ${c.verb}` === key);
  if (command) return commandUsage(command);
  if (key && commands.some((c) => c.group === key)) return groupUsage(key);
  return globalUsage();
}

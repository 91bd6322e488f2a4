/**
 * The CLI's one error: exit code 2 means the invocation was wrong (usage follows on stderr),
 * exit code 1 means the call was made and failed (API error, server unreachable).
 */
export interface CliError extends Error {
  exitCode: 1 | 2;
  /** For exit code 2: which usage to print — a "group verb" key, a group name, or the global one. */
  usageOf?: string;
}

export const cliError = (exitCode: 1 | 2, message: string, usageOf?: string): CliError =>
  Object.assign(new Error(message), { name: 'CliError', exitCode, usageOf });

export const usageError = (message: string, usageOf?: string) => cliError(2, message, usageOf);

export const isCliError = (err: unknown): err is CliError =>
  err instanceof Error && err.name === 'CliError' && 'exitCode' in err;

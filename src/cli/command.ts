/** One `mcp-audit` subcommand: a one-line summary for the help text, and its entry point (resolves to the exit code). */
export interface Command {
  summary: string;
  run(argv: string[]): Promise<number>;
}

/** Thrown for bad usage: main prints the message and the command's help hint, exit code 2. */
export class UsageError extends Error {}

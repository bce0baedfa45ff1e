/** One `mcp-audit` subcommand: a one-line summary for the help text, its usage line(s), and its entry point (resolves to the exit code). */
export interface Command {
  summary: string;
  /** Printed under every usage error: the `Usage: …` paragraph of its help. */
  usage: string;
  /** Its stdout carries a protocol (the proxy's JSON-RPC): a closed stdout must not end the process before its work is done. */
  ownsStdout?: boolean;
  run(argv: string[]): Promise<number>;
}

/** The exit statuses, the same in every command (docs/cli.md). */
export const EXIT = {
  ok: 0,
  /** The command ran and the answer is no: verify found a problem, a proof does not hold, a record is not provable. */
  finding: 1,
  /** It could not run: bad usage, no trail where it looked, a key it cannot read. */
  cannotRun: 2,
} as const;

/** Thrown for bad usage: main prints the message, the command's usage line and the help hint; exit 2. */
export class UsageError extends Error {}

/** The command line is right but what it names is not there or not readable (no trail, a key file): main prints the message; exit 2. */
export class CannotRunError extends Error {}

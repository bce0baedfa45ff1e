/** One `mcp-audit` subcommand: a one-line summary for the help text, and its entry point (resolves to the exit code). */
export interface Command {
  summary: string;
  /** Its stdout carries a protocol (the proxy's JSON-RPC): a closed stdout must not end the process before its work is done. */
  ownsStdout?: boolean;
  run(argv: string[]): Promise<number>;
}

/** Thrown for bad usage: main prints the message and the command's help hint, exit code 2. */
export class UsageError extends Error {}

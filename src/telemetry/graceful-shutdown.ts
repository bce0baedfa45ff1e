/**
 * Runs `shutdown` once when the process is told to stop — SIGINT, SIGTERM, or
 * the end of stdin (a stdio client closing the pipe) — then exits. Without
 * handlers Node exits on these signals without running pending async work,
 * which for an audit trail means lost records.
 */
export function shutdownGracefully(shutdown: () => Promise<void>, options: { watchStdin?: boolean } = {}): void {
  let started = false;
  const run = (reason: string): void => {
    if (started) return;
    started = true;
    process.stderr.write(`shutting down (${reason})\n`);
    shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`shutdown failed: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => run('SIGINT'));
  process.once('SIGTERM', () => run('SIGTERM'));
  if (options.watchStdin) {
    process.stdin.once('end', () => run('end of stdin'));
    process.stdin.once('close', () => run('stdin closed'));
  }
}

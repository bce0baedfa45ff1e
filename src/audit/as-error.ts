/** What was thrown, as an Error: callbacks and records carry an Error whatever a dependency threw. */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * The HTTP layer puts the peer's socket address in this request header,
 * overwriting whatever a client sent under the same name, so that the
 * instrumentation can read it from the SDK's `extra.requestInfo`, which
 * carries the request's headers but not its socket.
 */
export const CLIENT_ADDRESS_HEADER = 'x-mcp-audit-client-address';

/** The address the HTTP layer put in the headers, or null. */
export function clientAddressFromHeaders(headers: unknown): string | null {
  if (!headers || typeof headers !== 'object') return null;
  const raw = (headers as Record<string, unknown>)[CLIENT_ADDRESS_HEADER];
  const value = Array.isArray(raw) ? raw[0] : raw;
  return typeof value === 'string' && value !== '' ? value : null;
}

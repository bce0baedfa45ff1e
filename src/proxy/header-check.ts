import type { IncomingHttpHeaders } from 'node:http';
import { isRequest, paramsObject, type JsonRpcMessage } from '../mcp/json-rpc.js';

/** The 2026-07-28 Streamable HTTP code for headers that disagree with the body (SEP-2243), answered with HTTP 400. */
export const HEADER_MISMATCH = -32020;

/** The body field each method's `Mcp-Name` header mirrors. */
const NAME_SOURCE: Record<string, string> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
  'tasks/get': 'taskId',
  'tasks/update': 'taskId',
  'tasks/cancel': 'taskId',
};

const SENTINEL_PREFIX = '=?base64?';
const SENTINEL_SUFFIX = '?=';

/** A header value with the Base64 sentinel decoded (names that are not plain ASCII travel so); undefined if it does not decode. */
function decoded(value: string): string | undefined {
  if (!value.startsWith(SENTINEL_PREFIX) || !value.endsWith(SENTINEL_SUFFIX)) return value;
  const base64 = value.slice(SENTINEL_PREFIX.length, -SENTINEL_SUFFIX.length);
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(base64)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(base64, 'base64'));
  } catch {
    return undefined;
  }
}

/**
 * Why the `Mcp-Method` or `Mcp-Name` header of a POST disagrees with the
 * request in its body, or null if they agree (or are absent: whether they
 * must be there is the upstream's rule to apply). Gateways route and
 * authorise on these headers, so a request whose headers say one tool and
 * whose body calls another must not reach the server.
 */
export function headerMismatch(headers: IncomingHttpHeaders, message: JsonRpcMessage): string | null {
  if (!isRequest(message)) return null;
  const method = headers['mcp-method'];
  if (typeof method === 'string' && method !== message.method) {
    return `the Mcp-Method header (${JSON.stringify(method)}) does not match the body's method (${JSON.stringify(message.method)})`;
  }
  const name = headers['mcp-name'];
  const field = NAME_SOURCE[message.method];
  if (typeof name !== 'string' || field === undefined) return null;
  const value = paramsObject(message)[field];
  const said = decoded(name);
  if (said === undefined) return 'the Mcp-Name header carries a Base64 sentinel that does not decode';
  if (typeof value === 'string' && said === value) return null;
  return `the Mcp-Name header (${JSON.stringify(said)}) does not match the body's ${field} (${JSON.stringify(value ?? null)})`;
}

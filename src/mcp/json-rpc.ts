/**
 * The JSON-RPC 2.0 shapes an MCP connection carries, told apart the way the
 * spec does: a request has a method and an id, a notification a method and
 * no id, a response an id and a result or an error.
 */
export type JsonRpcId = string | number | null;

/** JSON-RPC's internal error: what a caller gets when its record could not be written, or its request was abandoned. */
export const INTERNAL_ERROR = -32603;

export interface JsonRpcRequest {
  jsonrpc: '2.0';
  id: JsonRpcId;
  method: string;
  params?: unknown;
}

export interface JsonRpcNotification {
  jsonrpc: '2.0';
  method: string;
  params?: unknown;
}

export interface JsonRpcResponse {
  jsonrpc: '2.0';
  id: JsonRpcId;
  result?: unknown;
  error?: { code?: unknown; message?: unknown; data?: unknown };
}

export type JsonRpcMessage = JsonRpcRequest | JsonRpcNotification | JsonRpcResponse;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isJsonRpcMessage(value: unknown): value is JsonRpcMessage {
  return isObject(value) && value['jsonrpc'] === '2.0' && (typeof value['method'] === 'string' || 'id' in value);
}

/** One message, or a batch (protocol 2025-03-26) of at least one message. */
export function isJsonRpcPayload(value: unknown): value is JsonRpcMessage | JsonRpcMessage[] {
  return Array.isArray(value) ? value.length > 0 && value.every(isJsonRpcMessage) : isJsonRpcMessage(value);
}

export function isRequest(message: JsonRpcMessage): message is JsonRpcRequest {
  return typeof (message as JsonRpcRequest).method === 'string' && 'id' in message;
}

export function isNotification(message: JsonRpcMessage): message is JsonRpcNotification {
  return typeof (message as JsonRpcNotification).method === 'string' && !('id' in message);
}

export function isResponse(message: JsonRpcMessage): message is JsonRpcResponse {
  return !('method' in message) && 'id' in message && ('result' in message || 'error' in message);
}

/**
 * The key of a request id in a table of pending requests: its exact JSON
 * form, so that `1` and `"1"` are two different requests, as JSON-RPC says.
 */
export function idKey(id: JsonRpcId): string {
  return typeof id === 'string' ? `"${id}"` : String(id);
}

/** The params object of a request, or an empty one when the client sent none, null, a string or an array. */
export function paramsObject(message: { params?: unknown }): Record<string, unknown> {
  return isObject(message.params) ? message.params : {};
}

/** An error response to `id`, as the client will read it. */
export function errorResponse(id: JsonRpcId, code: number, message: string): JsonRpcResponse {
  return { jsonrpc: '2.0', id, error: { code, message } };
}

import { JSONRPCMessageSchema, JSONRPCNotificationSchema, JSONRPCRequestSchema, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { JsonRpcId } from './json-rpc.js';
import type { RecordLoss } from './refusal-answer.js';

export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;
export const INVALID_PARAMS = -32602;

/** A message the SDK would drop without a word, and what to tell its sender instead. */
export interface RejectedMessage {
  code: number;
  /** The error message the sender gets and the record keeps. */
  message: string;
  /** The id to answer with: the request's own when it is a string or an integer, else null. */
  id: JsonRpcId;
  /** The id as sent, whatever its type, to name the request in its record; null if it sent none. */
  sentId: unknown;
  /** The method named, if it names one. */
  method: string | null;
  /** The params, when they are an object; else empty. */
  params: Record<string, unknown>;
  /** False for a notification (a method and no id): JSON-RPC answers no notification, not even to refuse it. */
  answered: boolean;
}

/**
 * Where a screening transport reports what it refuses; it answers the sender
 * once the returned promise resolves, saying whether the record was lost
 * (see refusalAnswer).
 */
export type RejectionListener = (rejected: RejectedMessage, carrier: RejectionCarrier) => Promise<RecordLoss>;

/** What the transport knows of the sender: the HTTP request's principal and headers, the session. */
export interface RejectionCarrier {
  sessionId?: string | undefined;
  authInfo?: { clientId?: unknown; extra?: Record<string, unknown> } | undefined;
  requestInfo?: { headers?: unknown } | undefined;
}

/** A transport that screens each incoming message, as the SDK's do, but reports what it refuses instead of dropping it. */
export interface ScreeningTransport {
  onrejected?: RejectionListener | undefined;
}

export type Screened = { accepted: JSONRPCMessage } | { rejected: RejectedMessage };

/** What MCP on stdio says to a batch: the SDK's transport drops it whole, as the 2025-06-18 protocol removed batching. */
export const NO_BATCHES = 'Invalid Request: a batch is not accepted here (JSON-RPC batching is not part of MCP since 2025-06-18)';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function usableId(id: unknown): JsonRpcId {
  return typeof id === 'string' || (typeof id === 'number' && Number.isSafeInteger(id)) ? id : null;
}

/**
 * A batch refused whole, `why` being the reason: each malformed message in
 * it is refused for its own problem, each well-formed request for `why`;
 * notifications and responses need no answer.
 */
export function refusedBatch(messages: readonly unknown[], why: string): RejectedMessage[] {
  return messages.flatMap((value) => {
    const screened = screenMessage(value);
    if ('rejected' in screened) return [screened.rejected];
    const message = screened.accepted;
    if (!('method' in message) || !('id' in message)) return [];
    const params = isObject(message.params) ? message.params : {};
    return [{ code: INVALID_REQUEST, message: why, id: message.id, sentId: message.id, method: message.method, params, answered: true }];
  });
}

/** What a batch with a malformed message in it says for each well-formed request beside it. */
export const BATCH_REFUSED = 'Invalid Request: refused with the malformed message(s) of its batch';

/**
 * What a message or batch holds that must be refused: each malformed
 * message, and, in a batch with one, every request beside it, refused with
 * it (as the SDK refuses such a POST whole). Null: nothing to refuse.
 */
export function refusedMessages(value: unknown): RejectedMessage[] | null {
  const messages = Array.isArray(value) ? value : [value];
  if (messages.length === 0 || messages.every((message) => 'accepted' in screenMessage(message))) return null;
  return refusedBatch(messages, BATCH_REFUSED);
}

/** A message that cannot be read as JSON (`why` says what it is instead): -32700, answered with id null. */
export function unreadableMessage(why = 'the message is not valid JSON'): RejectedMessage {
  return { code: PARSE_ERROR, message: `Parse error: ${why}`, id: null, sentId: null, method: null, params: {}, answered: true };
}

/** One line of a stdio stream: JSON, then as `screenMessage`, or a batch, refused whole; a line that is not JSON is a parse error. */
export function screenLine(text: string): Screened | { batch: RejectedMessage[] } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { rejected: unreadableMessage() };
  }
  return Array.isArray(value) && value.length > 0 ? { batch: refusedBatch(value, NO_BATCHES) } : screenMessage(value);
}

/**
 * Checks one parsed message with the SDK's own schema, the one its
 * transports apply before dropping what fails it (stdio: `onerror` and
 * silence; HTTP: a -32700 with no id). What fails is described the way
 * JSON-RPC does: -32600 when it is no valid request at all (no method, a
 * wrong `jsonrpc`, an id neither string nor integer, a member the spec does
 * not define), -32602 when only its params are wrong.
 */
export function screenMessage(value: unknown): Screened {
  const parsed = JSONRPCMessageSchema.safeParse(value);
  if (parsed.success) return { accepted: parsed.data };
  const fields = isObject(value) ? value : {};
  const method = typeof fields['method'] === 'string' ? fields['method'] : null;
  const sentId = 'id' in fields ? fields['id'] : null;
  const reject = (code: number, message: string): Screened => ({
    rejected: {
      // A response (no method) with a bad shape is answered with id null: its id is one of the server's own requests.
      code,
      message,
      id: method === null ? null : usableId(sentId),
      sentId,
      method,
      params: isObject(fields['params']) ? fields['params'] : {},
      // A method without an id is a notification; anything else that is not even a message is answered, with id null.
      answered: method === null || 'id' in fields,
    },
  });
  if (!isObject(value)) return reject(INVALID_REQUEST, 'Invalid Request: a JSON-RPC message must be an object');
  if (fields['jsonrpc'] !== '2.0') return reject(INVALID_REQUEST, 'Invalid Request: "jsonrpc" must be "2.0"');
  if (method === null) return reject(INVALID_REQUEST, 'Invalid Request: neither a request with a string "method" nor a response');
  if ('id' in fields && usableId(sentId) === null) return reject(INVALID_REQUEST, 'Invalid Request: "id" must be a string or an integer');
  if ('params' in fields && !isObject(fields['params'])) return reject(INVALID_PARAMS, 'Invalid params: "params" must be an object');
  // Its shape is known now: the schema of that shape alone names the problem (the union's error lists every shape's).
  const shape = 'id' in fields ? JSONRPCRequestSchema : JSONRPCNotificationSchema;
  const issue = shape.safeParse(value).error?.issues[0];
  const where = issue && issue.path.length > 0 ? `"${issue.path.join('.')}": ` : '';
  const what = issue ? `${where}${issue.message}` : 'not a JSON-RPC message';
  const inParams = issue?.path[0] === 'params';
  return reject(inParams ? INVALID_PARAMS : INVALID_REQUEST, `${inParams ? 'Invalid params' : 'Invalid Request'}: ${what}`);
}

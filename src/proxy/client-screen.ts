import type { IncomingHttpHeaders } from 'node:http';
import type { JsonRpcMessage } from '../mcp/json-rpc.js';
import { INVALID_REQUEST, refusedMessages, unreadableMessage, type RejectedMessage } from '../mcp/message-screen.js';

/** A message from the client: passed on to the server, or refused by the proxy (recorded, answered, never passed on). */
export type ScreenedClientMessage = { accepted: JsonRpcMessage | JsonRpcMessage[] } | { refused: RejectedMessage[]; batch: boolean };

// Fatal: bytes that are not UTF-8 are refused rather than read as U+FFFD, which a server could read otherwise.
// The BOM is kept, so that JSON.parse refuses it: a server that skips it would run what the proxy did not read.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** JSON-RPC 2.0 answers an empty batch with one Invalid Request, id null. */
const EMPTY_BATCH: RejectedMessage = {
  code: INVALID_REQUEST,
  message: 'Invalid Request: an empty batch',
  id: null,
  sentId: null,
  method: null,
  params: {},
  answered: true,
};

/**
 * What the proxy does with one message (a stdio line, a POST body) from the
 * client. It passes on only what it reads exactly as the server will: UTF-8
 * JSON that the MCP SDK's own schema accepts as a JSON-RPC message, or a
 * batch of them (2025-03-26). Anything else would reach a lenient server
 * (NaN, a BOM, no `jsonrpc`, an array id, one bad member in a batch) as a
 * call the auditor never saw; it is refused as the embedded server refuses
 * it (docs/malformed-messages.md).
 */
export function screenClientMessage(bytes: Uint8Array): ScreenedClientMessage {
  let value: unknown;
  try {
    value = JSON.parse(strictUtf8.decode(bytes));
  } catch (error) {
    const why = error instanceof TypeError ? 'the message is not valid UTF-8' : 'the message is not valid JSON';
    return { refused: [unreadableMessage(why)], batch: false };
  }
  if (Array.isArray(value) && value.length === 0) return { refused: [EMPTY_BATCH], batch: false };
  const refused = refusedMessages(value);
  if (refused) return { refused, batch: Array.isArray(value) && value.length > 0 };
  // The message as parsed, not as the schema rebuilt it: the auditor sees what the server will.
  return { accepted: value as JsonRpcMessage | JsonRpcMessage[] };
}

/**
 * A POST body, as `screenClientMessage`, with the HTTP status of its
 * refusal: 415 for a body the proxy would have to decode first (a
 * Content-Encoding, a charset other than UTF-8), which the upstream may
 * decode and run; 400 for a malformed message.
 */
export function screenPostBody(headers: IncomingHttpHeaders, body: Buffer): ScreenedClientMessage & { status: 400 | 415 } {
  const encoding = headers['content-encoding']?.trim().toLowerCase();
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(headers['content-type'] ?? '')?.[1];
  const undecoded =
    encoding !== undefined && encoding !== '' && encoding !== 'identity'
      ? 'the body has a Content-Encoding, which the proxy does not decode: send it as identity'
      : charset !== undefined && !/^utf-?8$/i.test(charset)
        ? 'the body has a charset other than UTF-8, the only one the proxy reads'
        : null;
  if (undecoded !== null) return { refused: [unreadableMessage(undecoded)], batch: false, status: 415 };
  return { ...screenClientMessage(body), status: 400 };
}

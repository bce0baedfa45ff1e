import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  refusedBatch,
  screenMessage,
  type RejectedMessage,
  type RejectionCarrier,
  type RejectionListener,
  type ScreeningTransport,
} from '../mcp/message-screen.js';
import { refusalAnswer } from '../mcp/refusal-answer.js';

const BATCH_REFUSED = 'Invalid Request: refused with the malformed message(s) of its batch';

/**
 * What a POST body holds that the SDK would refuse as a whole (a -32700
 * with no id, and no record): each malformed message, and, in a batch with
 * one, every request beside it, refused with it. Null: nothing to refuse.
 */
export function refusedMessages(body: unknown): RejectedMessage[] | null {
  const messages = Array.isArray(body) ? body : [body];
  if (messages.length === 0 || messages.every((message) => 'accepted' in screenMessage(message))) return null;
  return refusedBatch(messages, BATCH_REFUSED);
}

/**
 * The SDK's Streamable HTTP transport, except that a POST holding a message
 * it would refuse without a record is refused here: each audited request in
 * it is reported to `onrejected` (the audit writes its failed record there)
 * and, once that is written, the POST is answered 400 with a JSON-RPC error
 * for each request (the request's own id when it has a usable one).
 */
export class ScreenedStreamableHTTPServerTransport extends StreamableHTTPServerTransport implements ScreeningTransport {
  onrejected?: RejectionListener | undefined;

  override async handleRequest(req: IncomingMessage & { auth?: AuthInfo }, res: ServerResponse, parsedBody?: unknown): Promise<void> {
    const refused = req.method === 'POST' && parsedBody !== undefined ? refusedMessages(parsedBody) : null;
    if (!refused) return super.handleRequest(req, res, parsedBody);
    const carrier: RejectionCarrier = { sessionId: this.sessionId, authInfo: req.auth, requestInfo: { headers: req.headers } };
    const losses = await Promise.all(refused.map((rejected) => this.onrejected?.(rejected, carrier)));
    const answers = refused.flatMap((rejected, index) => (rejected.answered ? [refusalAnswer(rejected, losses[index])] : []));
    // Only notifications, which JSON-RPC never answers: HTTP still needs a status, and the first problem says what it was.
    const body = answers.length === 0 ? refusalAnswer({ ...refused[0]!, id: null }, losses[0]) : Array.isArray(parsedBody) ? answers : answers[0];
    res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }
}

import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { refusedMessages, type RejectionCarrier, type RejectionListener, type ScreeningTransport } from '../mcp/message-screen.js';
import { refusalBody } from '../mcp/refusal-answer.js';

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
    const body = refusalBody(refused, losses, Array.isArray(parsedBody));
    res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }
}

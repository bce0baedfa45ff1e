import type { ServerResponse } from 'node:http';
import { errorResponse, type JsonRpcId, type JsonRpcMessage, type JsonRpcResponse } from '../mcp/json-rpc.js';
import type { MessageAuditor, Replacement } from '../mcp/message-auditor.js';
import type { UpstreamFailure } from './upstream.js';

// What relaying an answer needs, whether it comes as one body (relay-response.ts) or as SSE events (relay-sse.ts):
// the exchange, and how to fail it. A leaf, so that those two need not import each other.

/** Server-defined JSON-RPC code of an answer the proxy gives because the upstream could not. */
export const UPSTREAM_ERROR = -32603;

/** One HTTP exchange passing through the proxy: whose auditor sees it, and which requests its body carried. */
export interface Exchange {
  auditor: MessageAuditor;
  /** The requests this POST carried (none for GET or DELETE); answered in its response, or failed with it. */
  requestIds: JsonRpcId[];
  /** A batch is answered with a batch. */
  batch: boolean;
  /**
   * A session whose streams a client may resume (2025 era): a stream that
   * ends without the answer, or a client that leaves, is not the end of the
   * call. Without a session (2026-07-28, or a stateless server) it is.
   */
  resumable: boolean;
  res: ServerResponse;
  /** The client closed the connection before the answer was sent. */
  clientGone: () => boolean;
  /** Told the id (its JSON form) of each response replaced by an error because its record could not be written, before that error is sent. */
  withheld: (id: string) => void;
}

/** Tells `exchange.withheld` of each response of `payload` that `replacement` replaces. */
export function noteWithheld(exchange: Exchange, payload: JsonRpcMessage | JsonRpcMessage[], replacement: Replacement): void {
  if (replacement === undefined || replacement === null) return;
  const originals = Array.isArray(payload) ? payload : [payload];
  const given = Array.isArray(replacement) ? replacement : [replacement];
  given.forEach((message, index) => {
    if (message !== originals[index] && 'id' in message) exchange.withheld(JSON.stringify(message.id));
  });
}

/**
 * The upstream gave no usable answer: every request of the exchange still
 * pending is recorded as failed, then answered with an error (502 or 504
 * while nothing is sent yet, SSE events on a stream already open).
 */
export async function failExchange(exchange: Exchange, status: UpstreamFailure['status'], reason: string): Promise<void> {
  // The proxy itself cut the upstream off when the client left: cancelled, or left to a resumed stream.
  if (exchange.clientGone()) return;
  const errors = await exchange.auditor.abandonRequests(exchange.requestIds, reason, 'upstream_failed');
  if (exchange.clientGone()) return;
  answerWithErrors(exchange, status, errors, reason);
}

/** Ends the exchange's response with `errors`: as SSE events on a stream already open, else in a body with `status`. */
export function answerWithErrors(exchange: Pick<Exchange, 'res' | 'batch'>, status: number, errors: JsonRpcResponse[], reason: string): void {
  const { res } = exchange;
  if (res.headersSent) {
    for (const error of errors) res.write(`event: message\ndata: ${JSON.stringify(error)}\n\n`);
    return void res.end();
  }
  const body: JsonRpcResponse | JsonRpcResponse[] = exchange.batch ? errors : (errors[0] ?? errorResponse(null, UPSTREAM_ERROR, reason));
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorResponse, isJsonRpcPayload, type JsonRpcId, type JsonRpcResponse } from '../mcp/json-rpc.js';
import type { MessageAuditor, Replacement } from '../mcp/message-auditor.js';
import type { JsonRpcMessage } from '../mcp/json-rpc.js';
import { relaySse } from './relay-sse.js';
import { responseHeaders, type UpstreamFailure } from './upstream.js';

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
  if (replacement === undefined) return;
  const originals = Array.isArray(payload) ? payload : [payload];
  const given = Array.isArray(replacement) ? replacement : [replacement];
  given.forEach((message, index) => {
    if (message !== originals[index] && 'id' in message) exchange.withheld(JSON.stringify(message.id));
  });
}

/** Passes the upstream's answer to an exchange on to the client, each response only once its record is written. */
export async function relayResponse(upstream: IncomingMessage, exchange: Exchange): Promise<void> {
  const type = upstream.headers['content-type'] ?? '';
  if (type.includes('text/event-stream')) return relaySse(upstream, exchange);
  let body: Buffer;
  try {
    body = await readAll(upstream);
  } catch {
    return failExchange(exchange, 502, 'the upstream closed the connection in the middle of its answer');
  }
  const status = upstream.statusCode ?? 502;
  const payload = type.includes('application/json') ? parseJson(body) : undefined;
  if (!isJsonRpcPayload(payload)) {
    if (status < 300 && exchange.requestIds.length > 0)
      return failExchange(exchange, 502, `the upstream answered HTTP ${status} with something that is not JSON-RPC`);
    await unanswered(exchange, `the upstream answered HTTP ${status} without a response`);
    if (exchange.clientGone()) return;
    return void exchange.res.writeHead(status, { ...responseHeaders(upstream.headers), 'content-length': body.length }).end(body);
  }
  // Recorded even if the client has gone: the server did answer.
  const replacement = await exchange.auditor.fromServer(payload);
  noteWithheld(exchange, payload, replacement);
  await unanswered(exchange, `the upstream answered HTTP ${status} without a response to this request`);
  if (exchange.clientGone()) return;
  const sent = replacement === undefined ? body : Buffer.from(JSON.stringify(replacement));
  exchange.res.writeHead(status, { ...responseHeaders(upstream.headers), 'content-length': sent.length }).end(sent);
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

/** Records the requests of the exchange that the upstream's complete answer left unanswered; the client sees that answer as it is. */
export async function unanswered(exchange: Exchange, reason: string): Promise<void> {
  if (exchange.requestIds.length > 0) await exchange.auditor.abandonRequests(exchange.requestIds, reason, 'upstream_failed');
}

export function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
    stream.once('aborted', () => reject(new Error('aborted')));
  });
}

export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

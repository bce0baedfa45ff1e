import type { IncomingMessage } from 'node:http';
import { isJsonRpcPayload } from '../mcp/json-rpc.js';
import { type Exchange, failExchange, noteWithheld, parseJson } from './exchange.js';
import { relaySse } from './relay-sse.js';
import { responseHeaders } from './upstream.js';

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
  if (replacement === null) return failExchange(exchange, 502, 'the upstream answered with responses to no request it was sent');
  noteWithheld(exchange, payload, replacement);
  await unanswered(exchange, `the upstream answered HTTP ${status} without a response to this request`);
  if (exchange.clientGone()) return;
  const sent = replacement === undefined ? body : Buffer.from(JSON.stringify(replacement));
  exchange.res.writeHead(status, { ...responseHeaders(upstream.headers), 'content-length': sent.length }).end(sent);
}

/** Records the requests of the exchange that the upstream's complete answer left unanswered; the client sees that answer as it is. */
async function unanswered(exchange: Exchange, reason: string): Promise<void> {
  if (exchange.requestIds.length > 0) await exchange.auditor.abandonRequests(exchange.requestIds, reason, 'upstream_failed');
}

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
    stream.once('aborted', () => reject(new Error('aborted')));
  });
}

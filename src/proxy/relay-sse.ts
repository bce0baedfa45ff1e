import type { IncomingMessage } from 'node:http';
import { isJsonRpcPayload } from '../mcp/json-rpc.js';
import { type Exchange, failExchange, noteWithheld, parseJson } from './exchange.js';
import { SseEventSplitter, sseEventText, type SseEvent } from './sse-events.js';
import { responseHeaders } from './upstream.js';

/**
 * Passes an SSE answer on event by event. Progress, log messages and the
 * server's own requests go through at once and unchanged; an event carrying
 * a response to an audited request is held until its record is written (the
 * events behind it wait, so the order stays). If the upstream's stream
 * breaks, the requests it left unanswered are recorded as failed and
 * answered with errors on the same stream.
 */
export function relaySse(upstream: IncomingMessage, exchange: Exchange): Promise<void> {
  const { res, auditor } = exchange;
  res.writeHead(upstream.statusCode ?? 200, responseHeaders(upstream.headers));
  res.flushHeaders();
  let queue: Promise<void> | null = null;

  const write = (text: string): void => {
    if (exchange.clientGone()) return;
    if (!res.write(text) && !upstream.isPaused()) {
      upstream.pause();
      res.once('drain', () => upstream.resume());
    }
  };
  const onEvent = (event: SseEvent): void => {
    const payload = event.data === null ? undefined : parseJson(Buffer.from(event.data));
    const hold = isJsonRpcPayload(payload) ? auditor.fromServer(payload) : undefined;
    if (!hold && !queue) {
      write(event.raw);
      return;
    }
    const previous = queue ?? Promise.resolve();
    const next: Promise<void> = Promise.all([previous, hold]).then(([, replacement]) => {
      if (isJsonRpcPayload(payload)) noteWithheld(exchange, payload, replacement);
      if (replacement !== null) write(replacement === undefined ? event.raw : sseEventText(event, replacement));
      if (queue === next) queue = null;
    });
    queue = next;
  };
  const splitter = new SseEventSplitter(onEvent);
  upstream.on('data', (chunk: Buffer) => splitter.push(chunk));

  return new Promise((resolve) => {
    let settled = false;
    const finish = async (broken: boolean): Promise<void> => {
      if (settled) return;
      settled = true;
      await queue;
      if (exchange.clientGone()) return resolve();
      if (broken) await failExchange(exchange, 502, 'the upstream closed the connection in the middle of its answer');
      // A session's client may resume the stream and get the answer then; without one, nothing more will come.
      else if (!exchange.resumable) await failExchange(exchange, 502, 'the upstream ended its stream without a response to this request');
      else res.end();
      resolve();
    };
    upstream.once('end', () => void finish(splitter.rest().trim() !== ''));
    upstream.once('error', () => void finish(true));
    upstream.once('aborted', () => void finish(true));
  });
}

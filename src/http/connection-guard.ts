import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { HttpLimits } from './http-limits.js';
import { REFUSED } from './json-rpc-responses.js';

/** What a connection past the cap is given to send its request and read its 503. */
const OVER_CAP_GRACE_MS = 2_000;
/** Seconds a refused client is asked to wait. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * An HTTP server that a slow or greedy client cannot hold: the request (head
 * and body) must arrive within `requestTimeoutMs` and the head within
 * `headersTimeoutMs`, else Node answers 408; idle keep-alive connections close
 * after `keepAliveTimeoutMs`. These bound only the receiving of a request,
 * so an SSE response stream may last as long as the session does.
 *
 * Past `maxConnections`, a new connection's request is answered 503 with
 * Retry-After and the connection closed (it gets 2 s to send it); past twice
 * that, Node drops new connections outright, so descriptors stay bounded.
 */
export function createGuardedHttpServer(limits: HttpLimits, handle: (req: IncomingMessage, res: ServerResponse) => void): Server {
  const overCap = new WeakSet<Socket>();
  const server = createServer(
    {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      // Node checks the two timeouts on this interval (30 s by default, too coarse for a 10 s header timeout).
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 4))),
    },
    (req, res) => {
      if (!overCap.has(req.socket)) return handle(req, res);
      const body = JSON.stringify({
        jsonrpc: '2.0',
        error: { code: REFUSED, message: 'Service unavailable: too many open connections (MCP_MAX_CONNECTIONS)' },
        id: null,
      });
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': String(RETRY_AFTER_SECONDS), connection: 'close' }).end(body);
    },
  );
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxConnections = limits.maxConnections * 2;
  let open = 0;
  server.on('connection', (socket: Socket) => {
    open += 1;
    socket.once('close', () => (open -= 1));
    if (open <= limits.maxConnections) return;
    overCap.add(socket);
    socket.setTimeout(OVER_CAP_GRACE_MS, () => socket.destroy());
  });
  return server;
}

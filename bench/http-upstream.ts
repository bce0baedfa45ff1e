#!/usr/bin/env node
// The upstream of section 8: the unaudited help desk (SERVER_VARIANTS.unaudited,
// the same server as section 7's `direct`) over the MCP SDK's Streamable HTTP
// transport, 2025-era sessions, one McpServer per session. Two endpoints on one
// port: /json answers in application/json, /sse in text/event-stream. Both the
// direct clients and the proxies talk to this one process, so the server's own
// cost is the same on both sides of every ratio. Prints "listening <port>".
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { SERVER_VARIANTS } from './server-variants.js';

const dataDir = process.env['BENCH_DATA_DIR'] ?? 'data';
const sessions = new Map<string, StreamableHTTPServerTransport>();

/** Wall-clock ms with sub-ms precision, comparable across processes on one machine. */
const wallMs = (): number => performance.timeOrigin + performance.now();

async function newSession(json: boolean): Promise<StreamableHTTPServerTransport> {
  const { server } = await SERVER_VARIANTS.unaudited({ logDir: dataDir, dataDir });
  // Events before the response: `events` progress notifications, each carrying the time it was sent, then the result after `holdMs`.
  server.registerTool('bench_stream', { inputSchema: { events: z.number(), holdMs: z.number() } }, async ({ events, holdMs }, extra) => {
    const token = extra._meta?.progressToken;
    for (let event = 1; event <= events; event++) {
      if (token !== undefined)
        await extra.sendNotification({
          method: 'notifications/progress',
          params: { progressToken: token, progress: event, total: events, message: String(wallMs()) },
        });
    }
    await sleep(holdMs);
    return { content: [{ type: 'text', text: `sent ${events} events` }] };
  });
  const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    enableJsonResponse: json,
    onsessioninitialized: (id) => void sessions.set(id, transport),
  });
  transport.onclose = () => void (transport.sessionId && sessions.delete(transport.sessionId));
  await server.connect(transport);
  return transport;
}

const http = createServer((req, res) => {
  void (async () => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/json' && path !== '/sse') return void res.writeHead(404).end();
    const id = req.headers['mcp-session-id'];
    const existing = typeof id === 'string' ? sessions.get(id) : undefined;
    if (typeof id === 'string' && !existing) return void res.writeHead(404).end();
    const transport = existing ?? (await newSession(path === '/json'));
    await transport.handleRequest(req, res);
  })().catch((error: unknown) => {
    process.stderr.write(`http-upstream: ${String(error)}\n`);
    if (!res.headersSent) res.writeHead(500);
    res.end();
  });
});
http.keepAliveTimeout = 60_000;
http.listen(0, '127.0.0.1', () => {
  const address = http.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.once('SIGTERM', () => http.close(() => process.exit(0)));

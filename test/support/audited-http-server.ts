import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import assert from 'node:assert/strict';
import { after } from 'node:test';
import { z } from 'zod';
import { instrumentMcpServer, startAuditTrail, StreamableHttpMcpServer, type BearerTokens, type HttpLimits } from '../../src/index.js';
import { runCli } from './cli.js';
import { makeTempDir } from './trail-files.js';

/**
 * A test file's audit trail and the audited HTTP servers it starts on
 * 127.0.0.1. When the file's tests are done, the servers close and the trail
 * must pass `mcp-audit verify`: whatever a test threw at the front, the chain
 * holds.
 */
export function auditedHttpServers(name: string) {
  const logDir = makeTempDir(name);
  const trail = startAuditTrail({ logDir, serviceName: name });
  const servers: StreamableHttpMcpServer[] = [];
  /** Every session's server, e.g. to make one push a notification. */
  const sessionServers: McpServer[] = [];
  after(async () => {
    await Promise.all(servers.map((server) => server.close()));
    await trail.shutdown();
    const verified = runCli(['verify', logDir]);
    assert.equal(verified.status, 0, verified.stdout + verified.stderr);
  });

  function createSession() {
    const server = new McpServer({ name, version: '0.0.1' });
    sessionServers.push(server);
    const instrumentation = instrumentMcpServer(server, trail);
    server.registerTool('echo', { inputSchema: { text: z.string() } }, ({ text }) => ({ content: [{ type: 'text', text }] }));
    return { server, instrumentation };
  }

  async function start(limits: Partial<HttpLimits>, tokens: BearerTokens | null = null) {
    const http = new StreamableHttpMcpServer({ createSession, trail, host: '127.0.0.1', port: 0, tokens, limits });
    servers.push(http);
    const { port, url } = await http.listen();
    return { http, port, url: new URL(url) };
  }

  return { logDir, trail, createSession, sessionServers, start };
}

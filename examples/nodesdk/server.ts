// An audited MCP server in a service that starts its own NodeSDK:
//   node --import ./telemetry.js server.js
// Every tool call is a span in the service's traces (the HTTP request its
// handler makes is a child of it) and one record in logs/audit_<date>.jsonl,
// written before the call is answered.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { get } from 'node:http';
import { z } from 'zod';
import { instrumentMcpServer, PipedStdioServerTransport, shutdownGracefully } from 'mcp-audit-trail';
import { audit, sdk } from './telemetry.js';

const server = new McpServer({ name: 'status-checker', version: '1.0.0' });
const instrumentation = instrumentMcpServer(server, audit);

function statusOf(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    }).on('error', reject);
  });
}

server.registerTool('http_status', { description: 'The HTTP status code of a URL', inputSchema: { url: z.string() } }, async ({ url }) => {
  const status = await statusOf(url);
  return { content: [{ type: 'text', text: String(status) }], structuredContent: { status } };
});

shutdownGracefully(
  async () => {
    await instrumentation.drain(5000);
    await server.close();
    await sdk.shutdown(); // exports what is left and closes the audit file
  },
  { watchStdin: true },
);
await server.connect(new PipedStdioServerTransport());

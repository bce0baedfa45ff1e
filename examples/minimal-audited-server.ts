// The smallest audited MCP server: one tool, every call to it (and every
// failed attempt) recorded in logs/audit_<date>.jsonl before it is answered.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { instrumentMcpServer, PipedStdioServerTransport, shutdownGracefully, startAuditTrail } from 'mcp-audit-trail';

const trail = startAuditTrail({ serviceName: 'calculator' }); // throws if the log directory is unwritable
const server = new McpServer({ name: 'calculator', version: '1.0.0' });
// Every answer waits for its record: the trail is what it waits on.
const audit = instrumentMcpServer(server, trail, {
  tools: { add: { summarizeResult: (result) => `sum is ${JSON.stringify(result.structuredContent)}` } },
});

server.registerTool('add', { description: 'Add two numbers', inputSchema: { a: z.number(), b: z.number() } }, ({ a, b }) => ({
  content: [{ type: 'text', text: String(a + b) }],
  structuredContent: { sum: a + b },
}));

shutdownGracefully(async () => {
  await audit.drain(5000);
  await server.close();
  await trail.shutdown();
}, { watchStdin: true });
await server.connect(new PipedStdioServerTransport()); // one 'drain' listener however many answers wait

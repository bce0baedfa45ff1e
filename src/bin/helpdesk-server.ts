#!/usr/bin/env node
// The audited IT help-desk MCP server on stdio. stdout carries JSON-RPC only;
// every diagnostic goes to stderr.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createHelpdeskContext } from '../helpdesk/context.js';
import { createAuditedHelpdeskServer } from '../helpdesk/server.js';
import { shutdownGracefully, startAuditTrail, type AuditTrail } from '../index.js';

const DRAIN_TIMEOUT_MS = 5000;

let trail: AuditTrail;
try {
  trail = startAuditTrail({ serviceName: 'it-helpdesk' });
} catch (error) {
  process.stderr.write(`it-helpdesk: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}

const { server, instrumentation } = createAuditedHelpdeskServer(createHelpdeskContext(), trail);
shutdownGracefully(
  async () => {
    await instrumentation.drain(DRAIN_TIMEOUT_MS);
    await server.close();
    await trail.shutdown();
  },
  { watchStdin: true },
);
await server.connect(new StdioServerTransport());
process.stderr.write(`it-helpdesk: serving on stdio, audit trail in ${trail.logDir}\n`);

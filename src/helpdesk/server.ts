import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { instrumentMcpServer, type AuditRecorder, type McpServerInstrumentation } from '../index.js';
import type { HelpdeskContext } from './context.js';
import { helpdeskAuditOptions, registerHelpdeskTools } from './tools.js';

export const HELPDESK_SERVER_INFO = { name: 'it-helpdesk', version: '0.1.0' };

/** The audited help-desk server, built on the package's public API only. */
export function createAuditedHelpdeskServer(
  context: HelpdeskContext,
  trail: AuditRecorder,
): { server: McpServer; instrumentation: McpServerInstrumentation } {
  const server = new McpServer(HELPDESK_SERVER_INFO);
  const instrumentation = instrumentMcpServer(server, trail, { tools: helpdeskAuditOptions });
  registerHelpdeskTools(server, context);
  return { server, instrumentation };
}

import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { ToolAuditOptions } from '../index.js';
import type { HelpdeskContext } from './context.js';
import { assertSafeQuery } from './query-guard.js';
import { TICKET_PRIORITIES } from './ticket-store.js';

const query = z.string().min(1).max(200).describe('Free text; typos are tolerated');
const ticketId = z
  .string()
  .regex(/^TCK-[0-9A-F]{8}$/, 'expected an id like TCK-1A2B3C4D')
  .describe('Ticket id, e.g. TCK-1A2B3C4D');

function reply(text: string, structuredContent: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text }], structuredContent };
}

/** Registers the help-desk tools; auditing is added separately, so the same tools run audited or not. */
export function registerHelpdeskTools(server: McpServer, context: HelpdeskContext): void {
  server.registerTool(
    'lookup_inventory',
    {
      title: 'Look up inventory',
      description: 'Fuzzy search of IT inventory by name, category, id, tag or location.',
      inputSchema: { query },
      annotations: { readOnlyHint: true },
    },
    ({ query }) => {
      assertSafeQuery(query);
      const items = context.inventory.search(query);
      const lines = items.map((item) => `- ${item.id} ${item.name} (${item.status}, qty ${item.quantity}, ${item.location})`);
      return reply([`Found ${items.length} items for "${query}"`, ...lines].join('\n'), { count: items.length, items });
    },
  );

  server.registerTool(
    'create_ticket',
    {
      title: 'Create ticket',
      description: 'Open a help-desk ticket. P1 is an outage, P4 a minor request.',
      inputSchema: {
        title: z.string().min(3).max(200),
        priority: z.enum(TICKET_PRIORITIES),
        description: z.string().max(5000).optional(),
        requester: z.string().max(200).optional(),
      },
    },
    async (input) => {
      const ticket = await context.tickets.create(input);
      return reply(`Created ticket ${ticket.id} (${ticket.priority}): ${ticket.title}`, { ticket });
    },
  );

  server.registerTool(
    'get_ticket',
    {
      title: 'Get ticket',
      description: 'Fetch a ticket by id.',
      inputSchema: { id: ticketId },
      annotations: { readOnlyHint: true },
    },
    async ({ id }) => {
      const ticket = await context.tickets.get(id);
      if (!ticket) throw new Error(`Ticket ${id} not found`);
      return reply(`${ticket.id} [${ticket.priority}, ${ticket.status}] ${ticket.title}`, { ticket });
    },
  );

  server.registerTool(
    'search_policies',
    {
      title: 'Search policies',
      description: 'Fuzzy search of the IT policy documents.',
      inputSchema: { query },
      annotations: { readOnlyHint: true },
    },
    ({ query }) => {
      assertSafeQuery(query);
      const policies = context.policies.search(query);
      const lines = policies.map((policy) => `- ${policy.id} ${policy.title}: ${policy.summary}`);
      return reply([`Found ${policies.length} policies for "${query}"`, ...lines].join('\n'), { count: policies.length, policies });
    },
  );
}

function countOf(result: CallToolResult): unknown {
  return (result.structuredContent as { count?: unknown } | undefined)?.count;
}

function ticketOf(result: CallToolResult): { id?: string; priority?: string; status?: string } {
  return ((result.structuredContent as { ticket?: object } | undefined)?.ticket ?? {}) as { id?: string };
}

/** The short result lines of the trail ("Found 3 items"). */
export const helpdeskAuditOptions: Record<string, ToolAuditOptions> = {
  lookup_inventory: { summarizeResult: (result) => `Found ${String(countOf(result))} items` },
  search_policies: { summarizeResult: (result) => `Found ${String(countOf(result))} policies` },
  create_ticket: {
    summarizeResult: (result) => {
      const ticket = ticketOf(result);
      return `Created ticket ${ticket.id} (${ticket.priority})`;
    },
  },
  get_ticket: {
    summarizeResult: (result) => {
      const ticket = ticketOf(result);
      return `Ticket ${ticket.id} is ${ticket.status}`;
    },
  },
};

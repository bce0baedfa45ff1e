// The story of the product in one run: spawn the audited help-desk server
// over stdio, call every tool the way an agent would (including the mistakes
// and the attack), then show the trail those calls left. Exits non-zero if
// the trail does not hold exactly what happened.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { auditFileNameFor, type AuditRecord } from '../index.js';

const CLIENT_INFO = { name: 'helpdesk-demo', version: '0.1.0' };
const serverPath = fileURLToPath(new URL('../bin/helpdesk-server.js', import.meta.url));
const logDir = resolve(process.env['AUDIT_LOG_DIR'] || 'logs');
const out = (line = ''): boolean => process.stdout.write(`${line}\n`);

interface Step {
  tool: string;
  args: Record<string, unknown>;
  expectError?: string;
}

function trailFile(): string {
  return join(logDir, auditFileNameFor(new Date().toISOString()));
}

function sizeOf(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

function text(result: CallToolResult): string {
  const first = result.content[0];
  return first && first.type === 'text' ? first.text.split('\n')[0]! : '';
}

async function main(): Promise<void> {
  const file = trailFile();
  const offset = sizeOf(file);
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [serverPath],
    env: { ...process.env, AUDIT_LOG_DIR: logDir } as Record<string, string>,
    stderr: 'pipe',
  });
  const client = new Client(CLIENT_INFO);
  await client.connect(transport);
  const { tools } = await client.listTools();
  out(`Connected to the audited help-desk server; tools: ${tools.map((tool) => tool.name).join(', ')}\n`);

  const steps: Step[] = [
    { tool: 'lookup_inventory', args: { query: 'monitor' } },
    { tool: 'lookup_inventory', args: { query: 'thinkpad lapotp' } },
    { tool: 'search_policies', args: { query: 'password' } },
    { tool: 'create_ticket', args: { title: 'Printer repair', priority: 'P3', description: 'Paper jam on the 2F printer', requester: 'kim' } },
    { tool: 'create_ticket', args: { title: 'Monitor flickers', priority: 'P9' }, expectError: 'Input validation error' },
    { tool: 'delete_all_tickets', args: {}, expectError: 'Tool delete_all_tickets not found' },
    { tool: 'lookup_inventory', args: { query: '../../etc/passwd' }, expectError: 'Invalid query' },
  ];
  let ticketId: string | undefined;
  for (const step of steps) {
    const result = await call(client, step);
    ticketId ??= (result.structuredContent as { ticket?: { id: string } } | undefined)?.ticket?.id;
  }
  if (!ticketId) throw new Error('create_ticket returned no ticket id');
  await call(client, { tool: 'get_ticket', args: { id: ticketId } });
  await client.close();

  // Each response was sent only after its record was written: the file is complete now.
  const records = readFileSync(file)
    .subarray(offset)
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as AuditRecord)
    .filter((record) => record.client?.name === CLIENT_INFO.name && record.action === 'tool_call');
  out(`\nAudit records written to ${file}:`);
  for (const record of records) out(JSON.stringify(record));
  printSummary(records);

  const expected = steps.length + 1;
  const failures = records.filter((record) => !record.success).length;
  if (records.length !== expected || failures !== 3) {
    throw new Error(`expected ${expected} records with 3 failures, found ${records.length} with ${failures}`);
  }
  out(`\nOK: ${records.length} calls, ${records.length} records, ${failures} failures recorded.`);
}

async function call(client: Client, step: Step): Promise<CallToolResult> {
  const result = (await client.callTool({ name: step.tool, arguments: step.args })) as CallToolResult;
  const outcome = result.isError ? 'error' : 'ok';
  out(`${step.tool} ${JSON.stringify(step.args)} -> ${outcome}: ${text(result)}`);
  if (Boolean(result.isError) !== Boolean(step.expectError) || (step.expectError && !text(result).includes(step.expectError))) {
    throw new Error(`${step.tool}: unexpected outcome ${outcome}: ${text(result)}`);
  }
  return result;
}

function printSummary(records: AuditRecord[]): void {
  const byTool = new Map<string, { calls: number; failures: number; totalMs: number }>();
  for (const record of records) {
    const entry = byTool.get(record.tool_name ?? '?') ?? { calls: 0, failures: 0, totalMs: 0 };
    entry.calls += 1;
    entry.failures += record.success ? 0 : 1;
    entry.totalMs += record.duration_ms;
    byTool.set(record.tool_name ?? '?', entry);
  }
  out('\nPer tool:');
  out(`${'tool'.padEnd(22)}${'calls'.padStart(6)}${'failed'.padStart(8)}${'mean ms'.padStart(10)}`);
  for (const [tool, entry] of byTool) {
    out(
      `${tool.padEnd(22)}${String(entry.calls).padStart(6)}${String(entry.failures).padStart(8)}${(entry.totalMs / entry.calls).toFixed(2).padStart(10)}`,
    );
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

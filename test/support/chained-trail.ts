import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AuditRecord } from '../../src/audit/record/audit-record.js';

/** A tool-call record as the exporter makes them, with `n` in its input to tell records apart. */
export function auditRecord(n: number, timestamp = new Date().toISOString(), overrides: Partial<AuditRecord> = {}): AuditRecord {
  return {
    timestamp,
    action: 'tool_call',
    tool_name: 'lookup_inventory',
    input_summary: { query: `q${n}` },
    result_summary: 'Found 1 item',
    success: true,
    error: null,
    duration_ms: 1.5,
    trace_id: 'ab'.repeat(16),
    span_id: 'cd'.repeat(8),
    request_id: String(n),
    session_id: null,
    client: null,
    transport: 'stdio',
    service: 'test-service',
    actor: 'tester',
    client_address: null,
    protocol_version: null,
    capture: null,
    redacted: false,
    truncated: false,
    redacted_fields: [],
    ...overrides,
  };
}

const cliMain = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** Runs the real `mcp-audit` CLI in a child process. */
export function runCli(args: string[], env: Record<string, string | undefined> = {}): { status: number | null; stdout: string; stderr: string } {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, AUDIT_HMAC_KEY: undefined, ...env };
  for (const key of Object.keys(childEnv)) if (childEnv[key] === undefined) delete childEnv[key];
  const result = spawnSync(process.execPath, [cliMain, ...args], { env: childEnv, encoding: 'utf8', timeout: 20_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

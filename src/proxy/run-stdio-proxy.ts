import { basename, extname } from 'node:path';
import { getDefaultRedactor } from '../audit/redaction/redactor.js';
import { osUserName } from '../mcp/actor.js';
import { MessageAuditor } from '../mcp/message-auditor.js';
import { serviceResource, startAuditTrail, type AuditTrail } from '../telemetry/audit-trail.js';
import { observabilityFromEnv } from '../telemetry/observability-from-env.js';
import { StdioProxy } from './stdio-proxy.js';

export interface StdioProxyOptions {
  command: string;
  args: readonly string[];
  graceMs: number;
  serviceName?: string | undefined;
  logDir?: string | undefined;
}

/** Launchers whose arguments, not themselves, name the server. */
const LAUNCHERS = new Set([
  'node',
  'nodejs',
  'python',
  'python3',
  'npx',
  'uvx',
  'uv',
  'pipx',
  'deno',
  'bun',
  'bunx',
  'java',
  'ruby',
  'php',
  'go',
  'dotnet',
  'sh',
  'bash',
]);
/** Path parts that say nothing about which server it is. */
const GENERIC = new Set(['index', 'main', 'server', 'cli', 'app', 'dist', 'build', 'lib', 'src', 'bin', 'run', 'exec', 'stdio', 'tool', '__main__']);

/**
 * The default `service`: the most specific part of the script or package a
 * launcher runs (`python3 /srv/weather/server.py` is `weather`, `node
 * …/server-everything/dist/index.js stdio` is `server-everything`), else the
 * command's base name.
 */
export function serviceNameFor(command: string, args: readonly string[]): string {
  const stem = (part: string): string => basename(part, extname(part));
  const named = stem(command);
  if (!LAUNCHERS.has(named.replace(/[\d.]+$/, ''))) return named;
  for (const arg of args) {
    if (arg.startsWith('-')) continue;
    const parts = arg
      .split(/[\\/]/)
      .map(stem)
      .filter((part) => part !== '' && !GENERIC.has(part));
    const specific = parts.at(-1);
    if (specific) return specific;
  }
  return named;
}

const log = (line: string): void => void process.stderr.write(`mcp-audit proxy: ${line}\n`);

/**
 * `mcp-audit proxy -- <command>`: the audit trail (and forwarding, from the
 * OTEL_* environment) set up before the server starts, so that an
 * unwritable log directory stops the proxy before any call; then the proxy
 * on this process's stdio, until the server is gone.
 */
export async function runStdioProxy(options: StdioProxyOptions): Promise<number> {
  const serviceName = options.serviceName ?? serviceNameFor(options.command, options.args);
  let trail: AuditTrail;
  try {
    const observability = await observabilityFromEnv(serviceResource(serviceName));
    trail = startAuditTrail({ serviceName, spanProcessors: observability.spanProcessors, ...(options.logDir ? { logDir: options.logDir } : {}) });
    for (const line of observability.describe()) log(line);
  } catch (error) {
    log(error instanceof Error ? error.message : String(error));
    return 1;
  }
  const auditor = new MessageAuditor({
    tracer: trail.tracer,
    awaitRecord: (span) => trail.awaitRecord(span),
    connection: { transport: 'stdio', networkTransport: 'pipe', actor: osUserName() },
    dropUnmatchedResponses: true,
  });
  const redactor = getDefaultRedactor();
  const proxy = new StdioProxy({
    command: options.command,
    args: options.args,
    auditor,
    input: process.stdin,
    output: process.stdout,
    log,
    redact: (text) => redactor.redactText(text),
    graceMs: options.graceMs,
  });
  process.on('SIGINT', () => proxy.stop('SIGINT'));
  process.on('SIGTERM', () => proxy.stop('SIGTERM'));
  const status = await proxy.run();
  await trail.shutdown();
  return status;
}

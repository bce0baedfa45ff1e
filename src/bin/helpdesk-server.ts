#!/usr/bin/env node
// The audited IT help-desk MCP server: on stdio by default (stdout carries
// JSON-RPC only; every diagnostic goes to stderr), or over Streamable HTTP
// with MCP_TRANSPORT=http (PORT, HOST). Forwarding and metrics follow the
// standard OTEL_* variables and PROMETHEUS_PORT.
import { createHelpdeskContext } from '../helpdesk/context.js';
import { createAuditedHelpdeskServer } from '../helpdesk/server.js';
import { isLoopbackHost } from '../http/http-limits.js';
import {
  observabilityFromEnv,
  PipedStdioServerTransport,
  serviceResource,
  shutdownGracefully,
  startAuditTrail,
  StreamableHttpMcpServer,
  type AuditTrail,
} from '../index.js';

const DRAIN_TIMEOUT_MS = 5000;
const SERVICE_NAME = 'it-helpdesk';
const log = (line: string): boolean => process.stderr.write(`${SERVICE_NAME}: ${line}\n`);

function fail(error: unknown): never {
  log(error instanceof Error ? error.message : String(error));
  process.exit(1);
}

const transportName = process.env['MCP_TRANSPORT']?.trim() || 'stdio';
if (transportName !== 'stdio' && transportName !== 'http') fail(`MCP_TRANSPORT=${transportName}: expected stdio or http`);

let trail: AuditTrail;
let outputs: string[];
try {
  const observability = await observabilityFromEnv(serviceResource(SERVICE_NAME));
  outputs = observability.describe();
  trail = startAuditTrail({ serviceName: SERVICE_NAME, spanProcessors: observability.spanProcessors });
} catch (error) {
  fail(error);
}

const context = createHelpdeskContext();
if (transportName === 'http') {
  let http: StreamableHttpMcpServer;
  try {
    http = new StreamableHttpMcpServer({ createSession: () => createAuditedHelpdeskServer(context, trail), trail });
  } catch (error) {
    fail(error);
  }
  shutdownGracefully(async () => {
    await http.drain(DRAIN_TIMEOUT_MS);
    await http.close();
    await trail.shutdown();
  });
  const { url, host } = await http.listen().catch(fail);
  log(`serving on ${url}${http.authEnabled ? ' (bearer auth on)' : ''}, audit trail in ${trail.logDir}`);
  if (!http.authEnabled && !isLoopbackHost(host))
    log(`warning: no bearer auth on ${host} (MCP_ALLOW_UNAUTHENTICATED_REMOTE=true): whatever is in front of this server must authenticate`);
} else {
  const { server, instrumentation } = createAuditedHelpdeskServer(context, trail);
  shutdownGracefully(
    async () => {
      await instrumentation.drain(DRAIN_TIMEOUT_MS);
      await server.close();
      await trail.shutdown();
    },
    { watchStdin: true },
  );
  await server.connect(new PipedStdioServerTransport());
  log(`serving on stdio, audit trail in ${trail.logDir}`);
}
for (const line of outputs) log(line);

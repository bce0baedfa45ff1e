import { BearerTokens } from '../http/bearer-tokens.js';
import { checkExposure, httpLimitsFromEnv } from '../http/http-limits.js';
import { MessageAuditor } from '../mcp/message-auditor.js';
import { ToolSchemas } from '../mcp/tool-schemas.js';
import { serviceResource, startAuditTrail, type AuditTrail } from '../telemetry/audit-trail.js';
import { observabilityFromEnv } from '../telemetry/observability-from-env.js';
import { HttpProxy } from './http-proxy.js';
import { maxSessionsPerPrincipal } from './session-admission.js';
import { Upstream } from './upstream.js';

type Env = Record<string, string | undefined>;

export interface HttpProxyOptions {
  upstream: string;
  /** Falls back to HOST, then 127.0.0.1. */
  host?: string | undefined;
  /** Falls back to PORT, then 3000. */
  port?: number | undefined;
  /** How long the upstream may take to start answering (504 past it); none by default. */
  timeoutMs?: number | undefined;
  serviceName?: string | undefined;
  logDir?: string | undefined;
}

const LOOPBACK_HOSTNAMES = ['localhost', '127.0.0.1', '[::1]'];
const log = (line: string): void => void process.stderr.write(`mcp-audit proxy: ${line}\n`);

/**
 * `mcp-audit proxy --upstream URL`: the audit trail set up first (an
 * unwritable log directory stops the proxy before it listens), then the
 * HTTP front until SIGINT or SIGTERM, when every session is ended and every
 * record written. Configured as the embedded HTTP server is (HOST, PORT,
 * MCP_AUTH_TOKENS, MCP_ALLOWED_HOSTS, MCP_* limits).
 */
export async function runHttpProxy(options: HttpProxyOptions, env: Env = process.env): Promise<number> {
  let trail: AuditTrail;
  let proxy: HttpProxy;
  try {
    const url = new URL(options.upstream);
    const upstream = new Upstream(url, options.timeoutMs ?? null);
    const host = options.host ?? (env['HOST']?.trim() || '127.0.0.1');
    const port = options.port ?? Number(env['PORT']?.trim() || 3000);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT=${env['PORT']} is not a port number`);
    const tokens = BearerTokens.fromEnv(env);
    checkExposure(host, tokens !== null, undefined, env);
    const listed = env['MCP_ALLOWED_HOSTS']
      ?.split(',')
      .map((name) => name.trim())
      .filter(Boolean);
    const limits = httpLimitsFromEnv({}, env);
    const perPrincipal = maxSessionsPerPrincipal(limits.maxSessions, env);
    const serviceName = options.serviceName ?? url.hostname;
    const observability = await observabilityFromEnv(serviceResource(serviceName));
    trail = startAuditTrail({ serviceName, spanProcessors: observability.spanProcessors, ...(options.logDir ? { logDir: options.logDir } : {}) });
    for (const line of observability.describe()) log(line);
    const schemas = new ToolSchemas();
    const newAuditor = (sessionId: string | null): MessageAuditor =>
      new MessageAuditor({
        tracer: trail.tracer,
        awaitRecord: (span) => trail.awaitRecord(span),
        schemas,
        connection: { transport: 'streamable-http', networkTransport: 'tcp', actor: null, sessionId },
        dropUnmatchedResponses: true,
      });
    const allowedHosts = listed && listed.length > 0 ? listed : LOOPBACK_HOSTNAMES;
    proxy = new HttpProxy({ upstream, newAuditor, trail, host, port, allowedHosts, tokens, limits, maxSessionsPerPrincipal: perPrincipal });
    const { url: front } = await proxy.listen();
    log(`listening on ${front}, forwarding to ${url.href}${tokens ? ' (bearer tokens required)' : ''}`);
  } catch (error) {
    log(error instanceof Error ? error.message : String(error));
    return 1;
  }
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  await proxy.close(`the proxy shut down (${signal}) before the upstream answered`);
  await trail.shutdown();
  return 0;
}

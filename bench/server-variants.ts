import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { z } from 'zod';
import type { PeerLogging } from './peers/peer-loggers.js';

/**
 * The servers the benchmarks compare: the same help-desk tools, with and
 * without the audit layer. Each runs alone in its own process (spawned on
 * stdio, or a forked in-memory worker), so that one variant's global OTel
 * state (context manager, async hooks) never taxes another's baseline, and
 * each loads only the modules it needs (the unaudited one loads no OTel at
 * all, which is what startup time and idle memory must compare against).
 *
 * A feature that changes the cost of a call is measured by adding one entry
 * here (e.g. `'audited+fsync'`) and naming it in a scenario table.
 */
export const SERVER_VARIANTS = {
  unaudited: async (options: VariantOptions): Promise<BenchServer> => {
    const server = await helpdeskServer(options);
    return { server, shutdown: () => server.close() };
  },
  audited: (options: VariantOptions): Promise<BenchServer> => auditedServer(options, []),
  /** Trail plus forwarding the way a user would add it: OTLP/HTTP behind a BatchSpanProcessor with its defaults. */
  'audited+otlp': async (options: VariantOptions): Promise<BenchServer> => {
    if (!options.otlpUrl) throw new Error('audited+otlp needs an OTLP receiver URL');
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    const { BatchSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
    return auditedServer(options, [new BatchSpanProcessor(new OTLPTraceExporter({ url: options.otlpUrl }))]);
  },
  /** The trail with each fsync mode (each variant runs in a process of its own, so setting its env here is local). */
  'audited+fsync=batch': (options: VariantOptions): Promise<BenchServer> => {
    process.env['AUDIT_FSYNC'] = 'batch';
    return auditedServer(options, []);
  },
  'audited+fsync=always': (options: VariantOptions): Promise<BenchServer> => {
    process.env['AUDIT_FSYNC'] = 'always';
    return auditedServer(options, []);
  },
  /** The trail with signed checkpoints (issue 13): a fresh Ed25519 key beside the log directory, the default cadence. */
  'audited+signed': async (options: VariantOptions): Promise<BenchServer> => {
    const { generateKeyPairSync } = await import('node:crypto');
    const { writeFileSync } = await import('node:fs');
    const keyFile = `${options.logDir}-signing.key`;
    writeFileSync(keyFile, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    process.env['AUDIT_SIGNING_KEY_FILE'] = keyFile;
    return auditedServer(options, []);
  },
  /** Issue 16's peers, what a user would pick instead: the same tools, each handler logging its own record. */
  'peer:pino': async (options: VariantOptions): Promise<BenchServer> =>
    peerServer(options, (await import('./peers/peer-loggers.js')).pinoLogging(options.logDir)),
  'peer:otel-span': async (options: VariantOptions): Promise<BenchServer> =>
    peerServer(options, (await import('./peers/peer-loggers.js')).otelSpanLogging(options.logDir)),
  'peer:seed-appendFile': async (options: VariantOptions): Promise<BenchServer> =>
    peerServer(options, Promise.resolve((await import('./peers/peer-loggers.js')).seedAppendFileLogging(options.logDir))),
} satisfies Record<string, (options: VariantOptions) => Promise<BenchServer>>;

export type VariantName = keyof typeof SERVER_VARIANTS;

export interface VariantOptions {
  logDir: string;
  dataDir: string;
  otlpUrl?: string | undefined;
}

export interface BenchServer {
  server: McpServer;
  shutdown(): Promise<void>;
}

export function isVariantName(name: string | undefined): name is VariantName {
  return name !== undefined && Object.hasOwn(SERVER_VARIANTS, name);
}

/** The MCP server every variant serves: the help-desk tools plus `bench_echo`, a tool that does nothing. */
async function helpdeskServer(options: VariantOptions, build?: (server: McpServer) => void): Promise<McpServer> {
  const { McpServer } = await import('@modelcontextprotocol/sdk/server/mcp.js');
  const { createHelpdeskContext } = await import('../src/helpdesk/context.js');
  const { registerHelpdeskTools } = await import('../src/helpdesk/tools.js');
  const server = new McpServer({ name: 'it-helpdesk', version: '0.1.0' });
  build?.(server);
  registerHelpdeskTools(server, createHelpdeskContext(options.dataDir));
  // A help-desk search costs the tool itself ~0.5 ms; a tool that does nothing shows the audit layer's cost undiluted.
  server.registerTool('bench_echo', { inputSchema: { query: z.string() } }, ({ query }) => ({ content: [{ type: 'text', text: query }] }));
  return server;
}

/** The unaudited server with a peer logger wrapped around every tool handler. */
async function peerServer(options: VariantOptions, starting: Promise<PeerLogging>): Promise<BenchServer> {
  const { logInHandlers } = await import('./peers/peer-handlers.js');
  const logging = await starting;
  const server = await helpdeskServer(options, (bare) => logInHandlers(bare, logging.log));
  return {
    server,
    async shutdown() {
      await server.close();
      await logging.close();
    },
  };
}

/** Audited exactly as src/helpdesk/server.ts does it. */
async function auditedServer(options: VariantOptions, spanProcessors: SpanProcessor[]): Promise<BenchServer> {
  const { instrumentMcpServer, startAuditTrail } = await import('../src/index.js');
  const { helpdeskAuditOptions } = await import('../src/helpdesk/tools.js');
  const trail = startAuditTrail({ serviceName: 'it-helpdesk-bench', logDir: options.logDir, spanProcessors });
  let instrumentation: ReturnType<typeof instrumentMcpServer> | undefined;
  const server = await helpdeskServer(options, (bare) => {
    instrumentation = instrumentMcpServer(bare, trail, { tools: helpdeskAuditOptions });
  });
  return {
    server,
    async shutdown() {
      await instrumentation!.drain(5000);
      await server.close();
      await trail.shutdown();
    },
  };
}

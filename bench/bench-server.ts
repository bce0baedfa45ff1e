#!/usr/bin/env node
// One benchmark server variant on stdio: `node bench-server.js <variant>`,
// with BENCH_LOG_DIR, BENCH_DATA_DIR and (for forwarding) BENCH_OTLP_URL.
// Built and shut down exactly like src/bin/helpdesk-server.ts.
import { PipedStdioServerTransport } from '../src/mcp/stdio-server-transport.js';
import { shutdownGracefully } from '../src/telemetry/graceful-shutdown.js';
import { isVariantName, SERVER_VARIANTS } from './server-variants.js';

const variant = process.argv[2];
if (!isVariantName(variant)) {
  process.stderr.write(`bench-server: unknown variant ${variant}; one of ${Object.keys(SERVER_VARIANTS).join(', ')}\n`);
  process.exit(2);
}
const { server, shutdown } = await SERVER_VARIANTS[variant]({
  logDir: process.env['BENCH_LOG_DIR'] ?? 'logs',
  dataDir: process.env['BENCH_DATA_DIR'] ?? 'data',
  otlpUrl: process.env['BENCH_OTLP_URL'],
});
shutdownGracefully(shutdown, { watchStdin: true });
await server.connect(new PipedStdioServerTransport());

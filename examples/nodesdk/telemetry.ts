// The OpenTelemetry setup a Node service already has, with the audit trail
// added: its span processor goes first. Loaded before the application with
// `node --import ./telemetry.js server.js`, so that the loader hook is in
// place before any module the instrumentations patch is imported. The sampler
// (here from OTEL_TRACES_SAMPLER) decides what is exported; every MCP
// operation is recorded anyway. README.md shows this file from its first import.
import { register } from 'node:module';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { auditTrailForNodeSdk } from 'mcp-audit-trail';

register('@opentelemetry/instrumentation/hook.mjs', import.meta.url); // ES modules are patched only through this hook
export const audit = auditTrailForNodeSdk({ serviceName: 'status-checker' }); // throws if the log directory is unwritable
export const sdk = new NodeSDK({
  serviceName: 'status-checker',
  spanProcessors: [audit.spanProcessor, audit.redacting(new BatchSpanProcessor(new OTLPTraceExporter()))],
  instrumentations: [new HttpInstrumentation()], // or getNodeAutoInstrumentations()
});
sdk.start();

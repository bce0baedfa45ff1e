import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PeerLogger, PeerRecord } from './peer-handlers.js';

/**
 * The loggers a user would put in the tool handlers instead of this library
 * (issue 16's peers). Each writes one JSON line per call to a file in the log
 * directory and is loaded only by its own variant, so no peer's modules tax another.
 */
export interface PeerLogging {
  log: PeerLogger;
  close(): Promise<void>;
}

/** pino in the handler, with a synchronous file destination: the line is written (write(2)) before the handler returns. */
export async function pinoLogging(logDir: string): Promise<PeerLogging> {
  const { pino } = await import('pino');
  const destination = pino.destination({ dest: join(logDir, 'pino.jsonl'), sync: true });
  const logger = pino({ base: null }, destination);
  return {
    log: (record) => logger.info(record),
    close: async () => destination.flushSync(),
  };
}

/**
 * One OpenTelemetry span per handler, ended as the handler returns, exported
 * by a SimpleSpanProcessor to a stream exporter (JSON lines to a file
 * stream): the span is handed to the stream before the response, the way the
 * SDK's ConsoleSpanExporter does it, but to a file since stdout is JSON-RPC's.
 */
export async function otelSpanLogging(logDir: string): Promise<PeerLogging> {
  const { BasicTracerProvider, SimpleSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
  const { FileStreamSpanExporter } = await import('./file-stream-span-exporter.js');
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new FileStreamSpanExporter(join(logDir, 'spans.jsonl')))] });
  const tracer = provider.getTracer('bench-peer');
  return {
    log(record: PeerRecord) {
      const span = tracer.startSpan(`tools/call ${record.tool_name}`, {
        attributes: {
          'mcp.tool.name': record.tool_name,
          'mcp.tool.input': JSON.stringify(record.input_summary),
          'mcp.tool.result': record.result_summary ?? '',
          'mcp.tool.success': record.success,
          'mcp.tool.duration_ms': record.duration_ms,
        },
      });
      if (record.error) span.recordException(record.error);
      span.end();
    },
    close: () => provider.shutdown(),
  };
}

/** The seed's way: `appendFile` of one line under a mutex (a promise chain), awaited before the response. */
export function seedAppendFileLogging(logDir: string): PeerLogging {
  const file = join(logDir, `audit_${new Date().toISOString().slice(0, 10)}.jsonl`);
  let tail: Promise<void> = Promise.resolve();
  return {
    log(record) {
      const written = tail.then(() => appendFile(file, `${JSON.stringify(record)}\n`));
      tail = written.catch(() => undefined);
      return written;
    },
    close: () => tail,
  };
}

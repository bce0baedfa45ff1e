import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { createWriteStream, type WriteStream } from 'node:fs';

/** A stream exporter: each span as one JSON line on a file's WriteStream (the ConsoleSpanExporter's fields). */
export class FileStreamSpanExporter implements SpanExporter {
  private readonly stream: WriteStream;

  constructor(file: string) {
    this.stream = createWriteStream(file, { flags: 'a' });
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    for (const span of spans) {
      const context = span.spanContext();
      this.stream.write(
        `${JSON.stringify({
          traceId: context.traceId,
          id: context.spanId,
          name: span.name,
          timestamp: span.startTime,
          duration: span.duration,
          attributes: span.attributes,
          status: span.status,
          events: span.events,
        })}\n`,
      );
    }
    done({ code: ExportResultCode.SUCCESS });
  }

  shutdown(): Promise<void> {
    return new Promise((resolve) => this.stream.end(resolve));
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

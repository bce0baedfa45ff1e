import { globalErrorHandler } from '@opentelemetry/core';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';

/**
 * `processor`, with a shutdown that never rejects: its failure goes to
 * OpenTelemetry's error handler (stderr). The provider's shutdown settles at
 * the first processor that rejects; the others' queued spans would then be
 * cut off by the caller's exit instead of being sent.
 */
export function settledOnShutdown(processor: SpanProcessor): SpanProcessor {
  return {
    onStart: (span, parentContext) => processor.onStart(span, parentContext),
    onEnd: (span) => processor.onEnd(span),
    forceFlush: () => processor.forceFlush(),
    shutdown: () => processor.shutdown().catch((error: unknown) => globalErrorHandler(error as Error)),
  };
}

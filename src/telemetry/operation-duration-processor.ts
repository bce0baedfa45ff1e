import type { Attributes, Context, Histogram, Meter } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_JSONRPC_REQUEST_ID,
  ATTR_MCP_METHOD_NAME,
  ATTR_MCP_PROTOCOL_VERSION,
  ATTR_NETWORK_TRANSPORT,
  METRIC_MCP_SERVER_OPERATION_DURATION,
} from '@opentelemetry/semantic-conventions/incubating';

/** The bucket boundaries the MCP semantic conventions advise for operation durations, in seconds. */
export const OPERATION_DURATION_BUCKETS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];

/** The span attributes the conventions allow on the metric: low-cardinality ones only. */
export const METRIC_ATTRIBUTES = [ATTR_MCP_METHOD_NAME, ATTR_GEN_AI_TOOL_NAME, ATTR_ERROR_TYPE, ATTR_NETWORK_TRANSPORT, ATTR_MCP_PROTOCOL_VERSION];

/**
 * Records `mcp.server.operation.duration` (histogram, seconds) from every
 * MCP request span as it ends, so the metric and the trace describe the same
 * calls; a failed call carries `error.type`, a successful one does not.
 * Spans without a JSON-RPC request id (session events) are not operations.
 */
export class OperationDurationProcessor implements SpanProcessor {
  private readonly duration: Histogram;

  constructor(
    meter: Meter,
    private readonly onShutdown: () => Promise<void> = async () => {},
    private readonly onFlush: () => Promise<void> = async () => {},
  ) {
    this.duration = meter.createHistogram(METRIC_MCP_SERVER_OPERATION_DURATION, {
      unit: 's',
      description: 'Duration of MCP requests on the server side.',
      advice: { explicitBucketBoundaries: OPERATION_DURATION_BUCKETS },
    });
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (span.attributes[ATTR_MCP_METHOD_NAME] === undefined || span.attributes[ATTR_JSONRPC_REQUEST_ID] === undefined) return;
    const attributes: Attributes = {};
    for (const name of METRIC_ATTRIBUTES) {
      const value = span.attributes[name];
      if (value !== undefined) attributes[name] = value;
    }
    const [seconds, nanos] = span.duration;
    this.duration.record(seconds + nanos / 1e9, attributes);
  }

  forceFlush(): Promise<void> {
    return this.onFlush();
  }

  shutdown(): Promise<void> {
    return this.onShutdown();
  }
}

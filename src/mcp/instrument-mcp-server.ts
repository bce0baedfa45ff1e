import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { context, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE, ATTR_GEN_AI_OPERATION_NAME, ATTR_GEN_AI_TOOL_CALL_ARGUMENTS, ATTR_GEN_AI_TOOL_NAME,
  ATTR_JSONRPC_REQUEST_ID, ATTR_MCP_METHOD_NAME, ATTR_MCP_PROTOCOL_VERSION, ATTR_MCP_SESSION_ID,
  ATTR_NETWORK_TRANSPORT, ATTR_RPC_RESPONSE_STATUS_CODE, GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
} from '@opentelemetry/semantic-conventions/incubating';
import { attachAuditDetails, type AuditDetails } from '../audit/audit-details.js';
import { TOOL_CALL_ACTION } from '../audit/audit-record.js';
import { DEFAULT_SUMMARY_LIMITS, summarizeArguments, summarizeValue, type SummaryLimits } from '../audit/summarize.js';
import { declaredInputFields, describeTransport, interceptRequestHandler, type RawRequest, type RawRequestExtra, type RawRequestHandler } from './sdk-internals.js';
import { describeResult, isCallToolResult, thrownErrorMessage, toolErrorMessage } from './tool-call-result.js';

export interface ToolAuditOptions {
  /** Replaces the default summary (declared fields); its output is still redacted and truncated. */
  summarizeInput?: (args: Record<string, unknown>) => Record<string, unknown>;
  /** A short description such as "Found 3 items"; called for successful results only. */
  summarizeResult?: (result: CallToolResult) => string | null;
}

export interface McpAuditOptions {
  /** Defaults to the global tracer provider's `mcp-audit-trail` tracer. */
  tracer?: Tracer;
  /** The response to a call waits for this; if it rejects, the client gets an error instead of an unaudited result. */
  awaitRecord?: (span: Span) => Promise<void>;
  tools?: Record<string, ToolAuditOptions>;
  /** Opt-in: put the (redacted) argument summary in `gen_ai.tool.call.arguments` on the span. */
  captureArgumentsInSpan?: boolean;
  summaryLimits?: SummaryLimits;
}

export interface McpServerInstrumentation {
  readonly inFlight: number;
  /** Waits for calls in progress; those still running after `timeoutMs` are recorded as failed. */
  drain(timeoutMs: number): Promise<void>;
}

/**
 * Makes every tools/call request to `server` produce exactly one SERVER span
 * following the OTel MCP conventions, with audit details attached for the
 * audit exporter — unknown tools, invalid arguments, thrown errors and
 * `isError` results included.
 */
export function instrumentMcpServer(server: McpServer, options: McpAuditOptions = {}): McpServerInstrumentation {
  const tracer = options.tracer ?? trace.getTracer('mcp-audit-trail');
  const limits = options.summaryLimits ?? DEFAULT_SUMMARY_LIMITS;
  const abandonByCall = new Map<Promise<unknown>, (reason: string) => void>();
  let protocolVersion: string | undefined;

  interceptRequestHandler(server, 'initialize', (handler) => async (request, extra) => {
    const result = await handler(request, extra);
    protocolVersion = (result as { protocolVersion?: string }).protocolVersion;
    return result;
  });

  function summarizeInput(toolName: string | null, args: unknown): Record<string, unknown> {
    const custom = toolName ? options.tools?.[toolName]?.summarizeInput : undefined;
    if (custom && args && typeof args === 'object') {
      try {
        return summarizeValue(custom(args as Record<string, unknown>), limits) as Record<string, unknown>;
      } catch {
        // A broken summariser must not fail the call or lose the record: fall back to the default.
      }
    }
    const fields = toolName ? declaredInputFields(server, toolName) : undefined;
    return summarizeArguments(args, fields ?? [], limits);
  }

  async function auditToolCall(handler: RawRequestHandler, request: RawRequest, extra: RawRequestExtra): Promise<unknown> {
    const params = request.params ?? {};
    const toolName = typeof params.name === 'string' ? params.name : null;
    const transport = describeTransport(server.server.transport);
    const requestId = String(extra.requestId);
    const attributes: Attributes = {
      [ATTR_MCP_METHOD_NAME]: 'tools/call',
      [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
      [ATTR_JSONRPC_REQUEST_ID]: requestId,
    };
    if (toolName) attributes[ATTR_GEN_AI_TOOL_NAME] = toolName;
    if (extra.sessionId) attributes[ATTR_MCP_SESSION_ID] = extra.sessionId;
    if (transport.networkTransport) attributes[ATTR_NETWORK_TRANSPORT] = transport.networkTransport;
    if (protocolVersion) attributes[ATTR_MCP_PROTOCOL_VERSION] = protocolVersion;

    // A traceparent in params._meta (MCP SEP-414) makes the caller's span our parent.
    const parent = propagation.extract(context.active(), params._meta ?? {});
    const span = tracer.startSpan(toolName ? `tools/call ${toolName}` : 'tools/call', { kind: SpanKind.SERVER, attributes }, parent);
    const client = server.server.getClientVersion();
    const details: AuditDetails = {
      action: TOOL_CALL_ACTION,
      toolName,
      inputSummary: {},
      resultSummary: null,
      error: null,
      requestId,
      sessionId: extra.sessionId ?? null,
      client: client ? { name: client.name, version: client.version } : null,
      transport: transport.name,
    };
    let ended = false;
    const finish = (error: { message: string; type: string; code?: number } | null): void => {
      if (ended) return;
      ended = true;
      if (error) {
        details.error = error.message;
        span.setAttribute(ATTR_ERROR_TYPE, error.type);
        if (error.code !== undefined) span.setAttribute(ATTR_RPC_RESPONSE_STATUS_CODE, String(error.code));
        span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
      }
      attachAuditDetails(span, details);
      span.end();
    };

    let outcome: { result: unknown } | { error: unknown };
    const call = (async () => {
      details.inputSummary = summarizeInput(toolName, params.arguments);
      if (options.captureArgumentsInSpan) span.setAttribute(ATTR_GEN_AI_TOOL_CALL_ARGUMENTS, JSON.stringify(details.inputSummary));
      return context.with(trace.setSpan(parent, span), () => handler(request, extra));
    })();
    abandonByCall.set(call, (reason) => finish({ message: reason, type: 'server_shutdown' }));
    try {
      const result = await call;
      outcome = { result };
      if (isCallToolResult(result) && result.isError) {
        finish({ message: toolErrorMessage(result), type: 'tool_error' });
      } else {
        if (isCallToolResult(result)) details.resultSummary = summarizeResult(toolName, result);
        finish(null);
      }
    } catch (error) {
      outcome = { error };
      // The same rule the SDK uses to pick the JSON-RPC error code it answers with.
      const thrownCode = (error as { code?: unknown } | null)?.code;
      const code = typeof thrownCode === 'number' && Number.isSafeInteger(thrownCode) ? thrownCode : ErrorCode.InternalError;
      finish({ message: thrownErrorMessage(error), type: String(code), code });
    } finally {
      abandonByCall.delete(call);
    }

    if (options.awaitRecord) {
      try {
        await options.awaitRecord(span);
      } catch (error) {
        throw new McpError(ErrorCode.InternalError, `Audit record could not be written (${thrownErrorMessage(error)}); the result of this call is withheld`);
      }
    }
    if ('error' in outcome) throw outcome.error;
    return outcome.result;
  }

  function summarizeResult(toolName: string | null, result: CallToolResult): string | null {
    const custom = toolName ? options.tools?.[toolName]?.summarizeResult : undefined;
    if (!custom) return describeResult(result);
    try {
      return custom(result);
    } catch (error) {
      return `[result summary failed: ${thrownErrorMessage(error)}]`;
    }
  }

  interceptRequestHandler(server, 'tools/call', (handler) => (request, extra) => auditToolCall(handler, request, extra));

  return {
    get inFlight() {
      return abandonByCall.size;
    },
    async drain(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
      await Promise.race([Promise.allSettled([...abandonByCall.keys()]), timedOut]);
      clearTimeout(timer);
      // The SDK sends a response a few microtasks after its handler settles: let those go out.
      await new Promise((resolve) => setImmediate(resolve));
      for (const abandon of abandonByCall.values()) abandon('server shut down before the call completed');
    },
  };
}

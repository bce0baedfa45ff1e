import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { context, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import {
  ATTR_CLIENT_ADDRESS, ATTR_ERROR_TYPE, ATTR_GEN_AI_OPERATION_NAME, ATTR_GEN_AI_PROMPT_NAME, ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
  ATTR_GEN_AI_TOOL_NAME, ATTR_JSONRPC_REQUEST_ID, ATTR_MCP_METHOD_NAME, ATTR_MCP_PROTOCOL_VERSION, ATTR_MCP_RESOURCE_URI,
  ATTR_MCP_SESSION_ID, ATTR_NETWORK_TRANSPORT, ATTR_RPC_RESPONSE_STATUS_CODE, GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
} from '@opentelemetry/semantic-conventions/incubating';
import { attachAuditDetails, type AuditDetails } from '../audit/audit-details.js';
import {
  PROMPT_GET_ACTION, RESOURCE_READ_ACTION, SESSION_END_ACTION, SESSION_START_ACTION, TOOL_CALL_ACTION, TOOLS_LIST_ACTION,
} from '../audit/audit-record.js';
import { captureArguments, capturePolicyFrom, toolCapturePolicy, type CaptureLevel, type CapturePolicy } from '../audit/capture-levels.js';
import { Redactor, type RedactionConfig } from '../audit/redactor.js';
import {
  DEFAULT_SUMMARY_LIMITS, newSummaryReport, redactAndTruncate, summarizeValue, type SummaryLimits, type SummaryReport,
} from '../audit/summarize.js';
import { actorOf, clientAddressOf } from './actor.js';
import {
  declaredInputFields, describeTransport, interceptRequestHandler, onConnectionClosed,
  type RawRequest, type RawRequestExtra, type RawRequestHandler,
} from './sdk-internals.js';
import { captureResult, isCallToolResult, MAX_ERROR_LENGTH, shortErrorMessage, thrownErrorMessage, toolErrorMessage } from './tool-call-result.js';

export interface ToolAuditOptions {
  /** Replaces the default summary (declared fields) at the `summary` level; its output is still redacted and truncated. */
  summarizeInput?: (args: Record<string, unknown>) => Record<string, unknown>;
  /** A short description such as "Found 3 items"; called for successful results at the `summary` level. */
  summarizeResult?: (result: CallToolResult) => string | null;
  /** Capture levels for this tool, overriding the global ones. */
  capture?: Partial<CapturePolicy>;
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
  /** Global capture levels; default AUDIT_CAPTURE_INPUT / AUDIT_CAPTURE_RESULT, else `summary`. */
  capture?: Partial<CapturePolicy>;
  /** Sensitive key names and optional e-mail redaction; value patterns are always on. */
  redaction?: RedactionConfig;
  /** Also record tools/list requests (discovery) as `tools_list` events. Default AUDIT_RECORD_TOOLS_LIST=true, else off. */
  recordToolsList?: boolean;
}

export interface McpServerInstrumentation {
  readonly inFlight: number;
  /** Waits for calls in progress; those still running after `timeoutMs` are recorded as failed. */
  drain(timeoutMs: number): Promise<void>;
}

/** Who is behind a request: the fields every record of the session shares. */
type Who = Pick<AuditDetails, 'sessionId' | 'client' | 'transport' | 'actor' | 'clientAddress' | 'protocolVersion'>;

/** What differs between the audited methods. */
interface RequestAudit {
  action: string;
  /** The span is named `<method> <target>` (OTel MCP conventions). */
  target: string | null;
  toolName: string | null;
  attributes: Attributes;
  capture: CapturePolicy | null;
  /** Runs before the handler; its output is the record's input_summary. */
  summarizeInput(): Record<string, unknown>;
  /** A handler that returned can still have failed (an `isError` tool result). */
  outcomeOf(result: unknown): { resultSummary: string | null } | { failure: string; type: string };
}

function countOf(result: unknown, field: string): number {
  const items = (result as Record<string, unknown> | null)?.[field];
  return Array.isArray(items) ? items.length : 0;
}

/**
 * Makes every tools/call request to `server` produce exactly one SERVER span
 * following the OTel MCP conventions, with audit details attached for the
 * audit exporter — unknown tools, invalid arguments, thrown errors and
 * `isError` results included. Session start and end, resource reads, prompt
 * gets and (if asked) tools/list become records of their own `action`.
 * Nothing a redactor recognises reaches the record, the span attributes or
 * the span status.
 */
export function instrumentMcpServer(server: McpServer, options: McpAuditOptions = {}): McpServerInstrumentation {
  const tracer = options.tracer ?? trace.getTracer('mcp-audit-trail');
  const limits = options.summaryLimits ?? DEFAULT_SUMMARY_LIMITS;
  const redactor = new Redactor(options.redaction);
  const globalCapture = capturePolicyFrom(options.capture);
  const toolCapture = new Map(Object.entries(options.tools ?? {}).map(([name, tool]) => [name, toolCapturePolicy(globalCapture, tool.capture, name)]));
  const recordToolsList = options.recordToolsList ?? process.env['AUDIT_RECORD_TOOLS_LIST'] === 'true';
  const abandonByCall = new Map<Promise<unknown>, (reason: string) => void>();
  const pendingEvents = new Set<Promise<void>>();
  let protocolVersion: string | undefined;
  let session: { who: Who; startedAt: number; requests: number } | null = null;

  const clean = (text: string, report: SummaryReport): string => redactAndTruncate(text, { redactor, limits, report });
  const cleanError = (message: string, report: SummaryReport): string =>
    redactAndTruncate(message, { redactor, report, limits: { ...limits, maxStringLength: MAX_ERROR_LENGTH } });

  function whoFor(extra: RawRequestExtra, report: SummaryReport): Who & { networked: boolean } {
    const transport = describeTransport(server.server.transport);
    const client = server.server.getClientVersion();
    return {
      sessionId: extra.sessionId ?? null,
      client: client ? { name: clean(client.name, report), version: clean(client.version, report) } : null,
      transport: transport.name,
      actor: actorOf(extra, transport.networkTransport === 'tcp'),
      clientAddress: clientAddressOf(extra),
      protocolVersion: protocolVersion ?? null,
      networked: transport.networkTransport === 'tcp',
    };
  }

  function commonAttributes(method: string, who: Who): Attributes {
    const attributes: Attributes = { [ATTR_MCP_METHOD_NAME]: method };
    if (who.sessionId) attributes[ATTR_MCP_SESSION_ID] = who.sessionId;
    const networkTransport = describeTransport(server.server.transport).networkTransport;
    if (networkTransport) attributes[ATTR_NETWORK_TRANSPORT] = networkTransport;
    if (who.protocolVersion) attributes[ATTR_MCP_PROTOCOL_VERSION] = who.protocolVersion;
    if (who.clientAddress) attributes[ATTR_CLIENT_ADDRESS] = who.clientAddress;
    return attributes;
  }

  /** One span and one record for one request, answered only once its record is written. */
  async function auditRequest(
    method: string,
    handler: RawRequestHandler,
    request: RawRequest,
    extra: RawRequestExtra,
    describe: (params: NonNullable<RawRequest['params']>, report: SummaryReport) => RequestAudit,
  ): Promise<unknown> {
    const params = request.params ?? {};
    const report = newSummaryReport();
    const audit = describe(params, report);
    const who = whoFor(extra, report);
    if (session) session.requests++;
    const requestId = String(extra.requestId);
    const attributes: Attributes = { ...commonAttributes(method, who), [ATTR_JSONRPC_REQUEST_ID]: requestId, ...audit.attributes };

    // A traceparent in params._meta (MCP SEP-414) makes the caller's span our parent.
    const parent = propagation.extract(context.active(), params._meta ?? {});
    const span = tracer.startSpan(audit.target ? `${method} ${audit.target}` : method, { kind: SpanKind.SERVER, attributes }, parent);
    const details: AuditDetails = {
      action: audit.action,
      toolName: audit.toolName,
      inputSummary: {},
      resultSummary: null,
      error: null,
      requestId,
      sessionId: who.sessionId,
      client: who.client,
      transport: who.transport,
      actor: who.actor,
      clientAddress: who.clientAddress,
      protocolVersion: who.protocolVersion,
      capture: audit.capture,
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
      details.redacted = report.redacted;
      details.truncated = report.truncated;
      attachAuditDetails(span, details);
      span.end();
    };

    let outcome: { result: unknown } | { error: unknown };
    const call = (async () => {
      details.inputSummary = audit.summarizeInput();
      if (options.captureArgumentsInSpan && audit.action === TOOL_CALL_ACTION) {
        span.setAttribute(ATTR_GEN_AI_TOOL_CALL_ARGUMENTS, JSON.stringify(details.inputSummary));
      }
      return context.with(trace.setSpan(parent, span), () => handler(request, extra));
    })();
    abandonByCall.set(call, (reason) => finish({ message: reason, type: 'server_shutdown' }));
    try {
      const result = await call;
      outcome = { result };
      const described = audit.outcomeOf(result);
      if ('failure' in described) {
        finish({ message: cleanError(described.failure, report), type: described.type });
      } else {
        details.resultSummary = described.resultSummary;
        finish(null);
      }
    } catch (error) {
      outcome = { error };
      // The same rule the SDK uses to pick the JSON-RPC error code it answers with.
      const thrownCode = (error as { code?: unknown } | null)?.code;
      const code = typeof thrownCode === 'number' && Number.isSafeInteger(thrownCode) ? thrownCode : ErrorCode.InternalError;
      finish({ message: cleanError(thrownErrorMessage(error), report), type: String(code), code });
    } finally {
      abandonByCall.delete(call);
    }

    if (options.awaitRecord) {
      try {
        await options.awaitRecord(span);
      } catch (error) {
        throw new McpError(ErrorCode.InternalError, `Audit record could not be written (${shortErrorMessage(error)}); the result of this call is withheld`);
      }
    }
    if ('error' in outcome) throw outcome.error;
    return outcome.result;
  }

  function summarizeToolInput(toolName: string | null, tool: ToolAuditOptions | undefined, level: CaptureLevel, args: unknown, report: SummaryReport) {
    if (level === 'summary' && tool?.summarizeInput && args && typeof args === 'object') {
      try {
        return summarizeValue(tool.summarizeInput(args as Record<string, unknown>), { limits, redactor, report }) as Record<string, unknown>;
      } catch {
        // A broken summariser must not fail the call or lose the record: fall back to the default.
      }
    }
    const fields = toolName ? declaredInputFields(server, toolName) : undefined;
    return captureArguments(level, args, fields ?? [], { limits, redactor, report });
  }

  function toolCallAudit(params: NonNullable<RawRequest['params']>, report: SummaryReport): RequestAudit {
    const name = typeof params.name === 'string' ? params.name : null;
    // A client can type anything as a tool name; what ends up in the trail is redacted like any input.
    const toolName = name === null ? null : clean(name, report);
    const tool = name !== null && options.tools && Object.hasOwn(options.tools, name) ? options.tools[name] : undefined;
    const capture = (name !== null && toolCapture.get(name)) || globalCapture;
    const attributes: Attributes = { [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL };
    if (toolName) attributes[ATTR_GEN_AI_TOOL_NAME] = toolName;
    return {
      action: TOOL_CALL_ACTION,
      target: toolName,
      toolName,
      attributes,
      capture,
      summarizeInput: () => summarizeToolInput(name, tool, capture.input, params.arguments, report),
      outcomeOf: (result) => {
        if (isCallToolResult(result) && result.isError) return { failure: toolErrorMessage(result), type: 'tool_error' };
        const summary = isCallToolResult(result) ? captureResult(capture.result, result, tool?.summarizeResult, { limits, redactor, report }) : null;
        return { resultSummary: summary };
      },
    };
  }

  function resourceReadAudit(params: NonNullable<RawRequest['params']>, report: SummaryReport): RequestAudit {
    // Resource URIs can carry credentials in their query string.
    const uri = typeof params['uri'] === 'string' ? clean(params['uri'], report) : null;
    return {
      action: RESOURCE_READ_ACTION,
      target: uri,
      toolName: null,
      attributes: uri ? { [ATTR_MCP_RESOURCE_URI]: uri } : {},
      capture: null,
      summarizeInput: () => (uri === null ? {} : { uri }),
      outcomeOf: (result) => ({ resultSummary: `${countOf(result, 'contents')} contents` }),
    };
  }

  function promptGetAudit(params: NonNullable<RawRequest['params']>, report: SummaryReport): RequestAudit {
    const name = typeof params.name === 'string' ? clean(params.name, report) : null;
    const args = params.arguments;
    const fields = args && typeof args === 'object' ? Object.keys(args) : [];
    return {
      action: PROMPT_GET_ACTION,
      target: name,
      toolName: null,
      attributes: name ? { [ATTR_GEN_AI_PROMPT_NAME]: name } : {},
      capture: { input: globalCapture.input, result: 'metadata' },
      summarizeInput: () => ({ prompt: name, ...captureArguments(globalCapture.input, args, fields, { limits, redactor, report }) }),
      outcomeOf: (result) => ({ resultSummary: `${countOf(result, 'messages')} messages` }),
    };
  }

  function toolsListAudit(): RequestAudit {
    return {
      action: TOOLS_LIST_ACTION,
      target: null,
      toolName: null,
      attributes: {},
      capture: null,
      summarizeInput: () => ({}),
      outcomeOf: (result) => ({ resultSummary: `${countOf(result, 'tools')} tools` }),
    };
  }

  /** A session event: one span, one record, no request to answer. */
  function recordSessionEvent(action: string, who: Who, fields: Pick<AuditDetails, 'inputSummary' | 'resultSummary'>): Promise<void> {
    const span = tracer.startSpan(action, { kind: SpanKind.SERVER, attributes: commonAttributes(action, who) });
    attachAuditDetails(span, { action, toolName: null, error: null, requestId: null, ...who, ...fields, redacted: false, truncated: false });
    span.end();
    const recorded = options.awaitRecord ? options.awaitRecord(span) : Promise.resolve();
    const tracked = recorded.catch(() => {}); // the exporter already reported an unwritten record on stderr
    pendingEvents.add(tracked);
    void tracked.then(() => pendingEvents.delete(tracked));
    return recorded;
  }

  interceptRequestHandler(server, 'initialize', (handler) => async (request, extra) => {
    const result = await handler(request, extra);
    protocolVersion = (result as { protocolVersion?: string }).protocolVersion;
    const report = newSummaryReport();
    const { networked: _networked, ...who } = whoFor(extra, report);
    session = { who, startedAt: Date.now(), requests: 0 };
    const params = request.params ?? {};
    const capabilities = params['capabilities'] && typeof params['capabilities'] === 'object' ? Object.keys(params['capabilities']) : [];
    const requested = typeof params['protocolVersion'] === 'string' ? clean(params['protocolVersion'], report) : null;
    try {
      await recordSessionEvent(SESSION_START_ACTION, who, {
        inputSummary: { requested_protocol_version: requested, client_capabilities: capabilities },
        resultSummary: `protocol ${protocolVersion}`,
      });
    } catch (error) {
      throw new McpError(ErrorCode.InternalError, `Audit record could not be written (${shortErrorMessage(error)}); the session is refused`);
    }
    return result;
  });

  onConnectionClosed(server, () => {
    if (!session) return;
    const { who, startedAt, requests } = session;
    session = null;
    const seconds = ((Date.now() - startedAt) / 1000).toFixed(3);
    void recordSessionEvent(SESSION_END_ACTION, who, { inputSummary: {}, resultSummary: `closed after ${seconds} s and ${requests} requests` }).catch(() => {});
  });

  interceptRequestHandler(server, 'tools/call', (handler) => (request, extra) => auditRequest('tools/call', handler, request, extra, toolCallAudit));
  interceptRequestHandler(server, 'resources/read', (handler) => (request, extra) => auditRequest('resources/read', handler, request, extra, resourceReadAudit));
  interceptRequestHandler(server, 'prompts/get', (handler) => (request, extra) => auditRequest('prompts/get', handler, request, extra, promptGetAudit));
  if (recordToolsList) {
    interceptRequestHandler(server, 'tools/list', (handler) => (request, extra) => auditRequest('tools/list', handler, request, extra, toolsListAudit));
  }

  return {
    get inFlight() {
      return abandonByCall.size;
    },
    async drain(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
      await Promise.race([Promise.allSettled([...abandonByCall.keys(), ...pendingEvents]), timedOut]);
      clearTimeout(timer);
      // The SDK sends a response a few microtasks after its handler settles: let those go out.
      await new Promise((resolve) => setImmediate(resolve));
      for (const abandon of abandonByCall.values()) abandon('server shut down before the call completed');
    },
  };
}

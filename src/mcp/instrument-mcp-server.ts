import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { context, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import {
  ATTR_CLIENT_ADDRESS, ATTR_ERROR_TYPE, ATTR_GEN_AI_TOOL_CALL_ARGUMENTS, ATTR_JSONRPC_REQUEST_ID, ATTR_MCP_METHOD_NAME,
  ATTR_MCP_PROTOCOL_VERSION, ATTR_MCP_SESSION_ID, ATTR_NETWORK_TRANSPORT, ATTR_RPC_RESPONSE_STATUS_CODE,
} from '@opentelemetry/semantic-conventions/incubating';
import { attachAuditDetails, type AuditDetails } from '../audit/audit-details.js';
import { SESSION_END_ACTION, SESSION_START_ACTION, TOOL_CALL_ACTION } from '../audit/audit-record.js';
import { capturePolicyFrom, type CapturePolicy } from '../audit/capture-levels.js';
import { Redactor, type RedactionConfig } from '../audit/redactor.js';
import { DEFAULT_SUMMARY_LIMITS, newSummaryReport, redactAndTruncate, type SummaryLimits, type SummaryReport } from '../audit/summarize.js';
import { actorOf, clientAddressOf } from './actor.js';
import { RequestAudits, type RequestAudit, type RequestParams } from './request-audits.js';
import {
  describeTransport, interceptRequestHandler, onConnectionClosed, type RawRequest, type RawRequestExtra, type RawRequestHandler,
} from './sdk-internals.js';
import { MAX_ERROR_LENGTH, shortErrorMessage, thrownErrorMessage } from './tool-call-result.js';

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
type Who = Pick<AuditDetails, 'sessionId' | 'client' | 'transport' | 'actor' | 'clientAddress' | 'protocolVersion'> & {
  /** Kept with the session: after the transport closes, the server no longer knows it. */
  networkTransport: 'pipe' | 'tcp' | undefined;
};

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
  const audits = new RequestAudits(server, options.tools ?? {}, capturePolicyFrom(options.capture), limits, redactor);
  const recordToolsList = options.recordToolsList ?? process.env['AUDIT_RECORD_TOOLS_LIST'] === 'true';
  const abandonByCall = new Map<Promise<unknown>, (reason: string) => void>();
  const pendingEvents = new Set<Promise<void>>();
  let protocolVersion: string | undefined;
  let session: { who: Who; report: SummaryReport; startedAt: number; requests: number } | null = null;

  const clean = (text: string, report: SummaryReport): string => audits.clean(text, report);
  const cleanError = (message: string, report: SummaryReport): string =>
    redactAndTruncate(message, { redactor, report, limits: { ...limits, maxStringLength: MAX_ERROR_LENGTH } });

  // The client's info is the same for every call of a session: clean it once.
  let cleanedClient: { raw: unknown; client: Who['client']; report: SummaryReport } = { raw: undefined, client: null, report: newSummaryReport() };
  function clientInfo(report: SummaryReport): Who['client'] {
    const raw = server.server.getClientVersion();
    if (raw !== cleanedClient.raw) {
      const clientReport = newSummaryReport();
      const client = raw ? { name: clean(raw.name, clientReport), version: clean(raw.version, clientReport) } : null;
      cleanedClient = { raw, client, report: clientReport };
    }
    if (cleanedClient.report.redacted) report.redacted = true;
    if (cleanedClient.report.truncated) report.truncated = true;
    return cleanedClient.client;
  }

  function whoFor(extra: RawRequestExtra, report: SummaryReport): Who {
    const transport = describeTransport(server.server.transport);
    return {
      sessionId: extra.sessionId ?? null,
      client: clientInfo(report),
      transport: transport.name,
      networkTransport: transport.networkTransport,
      actor: actorOf(extra, transport.networkTransport === 'tcp'),
      clientAddress: clientAddressOf(extra),
      protocolVersion: protocolVersion ?? null,
    };
  }

  function commonAttributes(method: string, who: Who): Attributes {
    const attributes: Attributes = { [ATTR_MCP_METHOD_NAME]: method };
    if (who.sessionId) attributes[ATTR_MCP_SESSION_ID] = who.sessionId;
    if (who.networkTransport) attributes[ATTR_NETWORK_TRANSPORT] = who.networkTransport;
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
    describe: (params: RequestParams, report: SummaryReport) => RequestAudit,
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

  /** A session event: one span, one record, no request to answer. */
  function recordSessionEvent(action: string, who: Who, fields: Pick<AuditDetails, 'inputSummary' | 'resultSummary'>, report: SummaryReport): Promise<void> {
    const span = tracer.startSpan(action, { kind: SpanKind.SERVER, attributes: commonAttributes(action, who) });
    const { networkTransport: _networkTransport, ...whoRecorded } = who;
    attachAuditDetails(span, { action, toolName: null, error: null, requestId: null, ...whoRecorded, ...fields, ...report });
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
    const who = whoFor(extra, report);
    session = { who, report, startedAt: Date.now(), requests: 0 };
    const params = request.params ?? {};
    const capabilities = params['capabilities'] && typeof params['capabilities'] === 'object' ? Object.keys(params['capabilities']) : [];
    const requested = typeof params['protocolVersion'] === 'string' ? clean(params['protocolVersion'], report) : null;
    try {
      await recordSessionEvent(SESSION_START_ACTION, who, {
        inputSummary: { requested_protocol_version: requested, client_capabilities: capabilities },
        resultSummary: `protocol ${protocolVersion}`,
      }, report);
    } catch (error) {
      throw new McpError(ErrorCode.InternalError, `Audit record could not be written (${shortErrorMessage(error)}); the session is refused`);
    }
    return result;
  });

  onConnectionClosed(server, () => {
    if (!session) return;
    const { who, report, startedAt, requests } = session;
    session = null;
    const seconds = ((Date.now() - startedAt) / 1000).toFixed(3);
    void recordSessionEvent(SESSION_END_ACTION, who, { inputSummary: {}, resultSummary: `closed after ${seconds} s and ${requests} requests` }, report).catch(() => {});
  });

  const audited: Array<[string, (params: RequestParams, report: SummaryReport) => RequestAudit]> = [
    ['tools/call', audits.toolCall],
    ['resources/read', audits.resourceRead],
    ['prompts/get', audits.promptGet],
  ];
  if (recordToolsList) audited.push(['tools/list', audits.toolsList]);
  for (const [method, describe] of audited) {
    interceptRequestHandler(server, method, (handler) => (request, extra) => auditRequest(method, handler, request, extra, describe));
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

import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Span, Tracer } from '@opentelemetry/api';
import { capturePolicyFrom, type CapturePolicy } from '../audit/record/capture-levels.js';
import { Redactor, type RedactionConfig } from '../audit/redaction/redactor.js';
import { DEFAULT_SUMMARY_LIMITS, type SummaryLimits, type SummaryReport } from '../audit/record/summarize.js';
import { CallerIdentity } from './caller-identity.js';
import { HandlerAuditor } from './handler-auditor.js';
import { MethodAudits } from './method-audits.js';
import type { ScreeningTransport } from './message-screen.js';
import { RejectedRequests } from './rejected-requests.js';
import { declaredInputFields, interceptRequestHandler, onTransportConnected } from './sdk-internals.js';
import { SessionEvents } from './session-events.js';
import type { ToolAuditOptions } from './tool-audit-options.js';
import { finishedWithin } from '../telemetry/bounded-wait.js';

/**
 * Where the spans go and how to wait for their records: what both
 * startAuditTrail and auditTrailForNodeSdk return.
 */
export interface AuditRecorder {
  readonly tracer: Tracer;
  /** Resolves once the span's record is written; rejects with the reason it could not be. */
  awaitRecord(span: Span): Promise<void>;
}

export interface McpAuditOptions {
  /**
   * The opt-out of the guarantee: `true` lets a response go out before its
   * record is written, and a record that cannot be written no longer turns the
   * response into an error. Default false.
   */
  respondBeforeRecord?: boolean;
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
  /** The last initialize was refused because its session_start record could not be written: the session does not exist. */
  readonly sessionRefused: boolean;
  /** Waits for calls in progress; those still running after `timeoutMs` are recorded as failed. */
  drain(timeoutMs: number): Promise<void>;
}

/**
 * Makes every tools/call request to `server` produce exactly one SERVER span
 * following the OTel MCP conventions, with audit details attached for the
 * audit exporter — unknown tools, invalid arguments, thrown errors and
 * `isError` results included. Session start and end, resource reads, prompt
 * gets and (if asked) tools/list become records of their own `action`.
 * Nothing a redactor recognises reaches the record, the span attributes or
 * the span status. No response goes out before its record is written unless
 * `respondBeforeRecord` says so: `recorder` is required for that reason.
 */
export function instrumentMcpServer(server: McpServer, recorder: AuditRecorder, options: McpAuditOptions = {}): McpServerInstrumentation {
  const { tracer } = recorder;
  const awaitRecord = options.respondBeforeRecord ? undefined : (span: Span) => recorder.awaitRecord(span);
  const limits = options.summaryLimits ?? DEFAULT_SUMMARY_LIMITS;
  const redactor = new Redactor(options.redaction);
  const audits = new MethodAudits(
    (name) => declaredInputFields(server, name),
    options.tools ?? {},
    capturePolicyFrom(options.capture),
    limits,
    redactor,
  );
  const recordToolsList = options.recordToolsList ?? process.env['AUDIT_RECORD_TOOLS_LIST'] === 'true';
  const clean = (text: string, report: SummaryReport): string => audits.clean(text, report);
  const identity = new CallerIdentity(server, clean);
  const sessions = new SessionEvents(server, tracer, identity, clean, awaitRecord);
  sessions.install();
  const auditor = new HandlerAuditor({
    tracer,
    identity,
    sessions,
    redactor,
    limits,
    awaitRecord,
    captureArgumentsInSpan: options.captureArgumentsInSpan ?? false,
  });

  const methods = audits.auditedMethods(recordToolsList);
  const rejections = new RejectedRequests({
    tracer,
    identity,
    sessions,
    clean,
    methods,
    redactor,
    limits,
    awaitRecord,
    captureArgumentsInSpan: options.captureArgumentsInSpan ?? false,
  });
  // Messages the SDK would drop before any handler: a screening transport (ours, stdio and HTTP) reports them here instead.
  onTransportConnected(
    server,
    (transport) => ((transport as ScreeningTransport).onrejected = (rejected, carrier) => rejections.record(rejected, carrier)),
  );

  for (const [method, describe] of methods) {
    interceptRequestHandler(server, method, (handler) => (request, extra) => auditor.audit(method, handler, request, extra, describe));
  }

  return {
    get inFlight() {
      return auditor.inFlight;
    },
    get sessionRefused() {
      return sessions.refused;
    },
    async drain(timeoutMs) {
      await finishedWithin(
        Promise.allSettled([...auditor.callsInProgress(), ...sessions.pendingRecords(), ...rejections.pendingRecords()]),
        timeoutMs,
      );
      // The SDK sends a response a few microtasks after its handler settles: let those go out.
      await new Promise((resolve) => setImmediate(resolve));
      auditor.abandonAll('server shut down before the call completed');
    },
  };
}

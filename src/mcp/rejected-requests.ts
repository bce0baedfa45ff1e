import type { Span, Tracer } from '@opentelemetry/api';
import { PROTOCOL_VIOLATION_ACTION } from '../audit/record/audit-record.js';
import { newSummaryReport, type SummaryReport } from '../audit/record/summarize.js';
import { AuditedRequest, type AuditedRequestConfig } from './audited-request.js';
import type { CallerIdentity } from './caller-identity.js';
import type { RejectedMessage, RejectionCarrier } from './message-screen.js';
import type { DescribeRequest, RequestParams } from './method-audits.js';
import type { SessionEvents } from './session-events.js';
import type { RecordLoss } from './refusal-answer.js';
import { sessionEventSpan } from './session-record.js';

export interface RejectedRequestsConfig extends AuditedRequestConfig {
  identity: CallerIdentity;
  sessions: SessionEvents;
  /** The audited methods, each with its description. */
  methods: ReadonlyMap<string, DescribeRequest>;
  clean: (text: string, report: SummaryReport) => string;
  awaitRecord: ((span: Span) => Promise<void>) | undefined;
  tracer: Tracer;
}

/**
 * The records of the messages a screening transport refused before the SDK
 * could see them: an audited request (a tools/call whose params are null, a
 * string, an array...) gets the failed record of its action, built like any
 * other; anything else (a line that is not JSON, a message of no known
 * shape) a `protocol_violation` event.
 */
export class RejectedRequests {
  private readonly pending = new Set<Promise<RecordLoss>>();

  constructor(private readonly config: RejectedRequestsConfig) {}

  /** Writes the record of `rejected`; resolves once it is written, or to why it could not be (the exporter also says so on stderr); never rejects. */
  record(rejected: RejectedMessage, carrier: RejectionCarrier): Promise<RecordLoss> {
    const { identity, clean, methods, tracer, awaitRecord } = this.config;
    const report = newSummaryReport();
    const sentId = rejected.sentId;
    const requestId = sentId === null ? null : clean(typeof sentId === 'string' ? sentId : JSON.stringify(sentId), report);
    const who = identity.whoFor({ requestId: requestId ?? 'null', ...carrier }, report);
    // A notification is never answered, so it is no audited request even when it names an audited method.
    const describe = rejected.method !== null && rejected.answered ? methods.get(rejected.method) : undefined;
    let span: Span;
    if (describe && rejected.method !== null) {
      span = this.failedRequest(rejected, rejected.method, describe, requestId ?? 'null', who, report);
    } else {
      const inputSummary = rejected.method === null ? {} : { method: clean(rejected.method, report) };
      span = sessionEventSpan(tracer, PROTOCOL_VIOLATION_ACTION, who, { inputSummary, resultSummary: null, requestId }, report, rejected.message);
    }
    const written = (awaitRecord ? awaitRecord(span) : Promise.resolve()).then(
      (): RecordLoss => undefined,
      (error: unknown): RecordLoss => ({ error }),
    );
    this.pending.add(written);
    void written.then(() => this.pending.delete(written));
    return written;
  }

  /** Records not yet written. */
  pendingRecords(): Promise<RecordLoss>[] {
    return [...this.pending];
  }

  private failedRequest(
    rejected: RejectedMessage,
    method: string,
    describe: DescribeRequest,
    requestId: string,
    who: ReturnType<CallerIdentity['whoFor']>,
    report: SummaryReport,
  ): Span {
    this.config.sessions.countRequest();
    const params = rejected.params as RequestParams;
    const audited = new AuditedRequest(this.config, method, requestId, who, describe(params, report), report, params._meta);
    try {
      audited.summarizeInput();
    } catch {
      // A tool's own summariser threw on input it never expected: the record keeps an empty input_summary.
    }
    audited.failed({ message: rejected.message, type: String(rejected.code), code: rejected.code });
    return audited.span;
  }
}

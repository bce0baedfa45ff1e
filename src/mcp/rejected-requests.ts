import type { Span, Tracer } from '@opentelemetry/api';
import type { SummaryReport } from '../audit/record/summarize.js';
import type { AuditedRequestConfig } from './audited-request.js';
import type { CallerIdentity } from './caller-identity.js';
import type { RejectedMessage, RejectionCarrier } from './message-screen.js';
import type { DescribeRequest } from './method-audits.js';
import type { SessionEvents } from './session-events.js';
import type { RecordLoss } from './refusal-answer.js';
import { refusalSpan } from './refusal-record.js';

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
 * could see them (see refusal-record.ts), and which of them are not yet written.
 */
export class RejectedRequests {
  private readonly pending = new Set<Promise<RecordLoss>>();

  constructor(private readonly config: RejectedRequestsConfig) {}

  /** Writes the record of `rejected`; resolves once it is written, or to why it could not be (the exporter also says so on stderr); never rejects. */
  record(rejected: RejectedMessage, carrier: RejectionCarrier): Promise<RecordLoss> {
    const { identity, sessions, clean, methods, awaitRecord } = this.config;
    const span = refusalSpan(rejected, methods, this.config, clean, {
      whoFor: (requestId, report) => identity.whoFor({ requestId: requestId ?? 'null', ...carrier }, report),
      countRequest: () => sessions.countRequest(),
    });
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
}

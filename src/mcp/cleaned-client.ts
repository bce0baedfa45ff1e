import type { AuditClientInfo } from '../audit/record/audit-record.js';
import { newSummaryReport, type SummaryReport } from '../audit/record/summarize.js';

/**
 * The client's name and version as records may hold them (redacted,
 * truncated), cleaned once for as long as the client sends the same ones:
 * every call of a session, or every request of a stateless client, carries them.
 */
export class CleanedClient {
  private cleaned: { key: string | undefined; client: AuditClientInfo | null; report: SummaryReport } = {
    key: undefined,
    client: null,
    report: newSummaryReport(),
  };

  constructor(private readonly clean: (text: string, report: SummaryReport) => string) {}

  /** The cleaned client for `raw`; what cleaning it did is reported in `report`. */
  of(raw: { name: string; version: string } | null | undefined, report: SummaryReport): AuditClientInfo | null {
    const key = raw ? `${raw.name}\u0000${raw.version}` : '';
    if (key !== this.cleaned.key) {
      const clientReport = newSummaryReport();
      const client = raw ? { name: this.clean(raw.name, clientReport), version: this.clean(raw.version, clientReport) } : null;
      this.cleaned = { key, client, report: clientReport };
    }
    if (this.cleaned.report.redacted) report.redacted = true;
    if (this.cleaned.report.truncated) report.truncated = true;
    return this.cleaned.client;
  }
}

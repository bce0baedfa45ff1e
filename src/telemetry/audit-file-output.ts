import { AuditSpanProcessor } from '../audit/audit-span-processor.js';
import { JsonlAuditExporter } from '../audit/jsonl-audit-exporter.js';
import { getDefaultRedactor, Redactor, type RedactionConfig } from '../audit/redaction/redactor.js';
import { onProcessExit, onSighup } from './shared-process-listener.js';
import { installStderrDiagLogger } from './stderr-diag-logger.js';

export interface AuditFileOutputConfig {
  logDir?: string;
  redaction?: RedactionConfig;
  /** Reopen the day file on SIGHUP (after logrotate renamed it). Default true. */
  reopenOnSighup?: boolean;
}

/** The audit processor writing the trail, and what both ways of starting a trail hang on the process. */
export interface AuditFileOutput {
  redactor: Redactor;
  exporter: JsonlAuditExporter;
  processor: AuditSpanProcessor;
  /** Takes the exit flush and the SIGHUP reopen off the process again (at shutdown). */
  detach(): void;
}

/**
 * The part of an audit trail that is the same with or without the user's
 * own NodeSDK: the redactor, the JSONL exporter behind an audit span
 * processor, a synchronous flush when the process exits, and a reopen on
 * SIGHUP. Throws, naming the directory, if the log directory cannot be
 * written, before a server built on it accepts a single call.
 */
export function openAuditFileOutput(config: AuditFileOutputConfig): AuditFileOutput {
  installStderrDiagLogger();
  const redactor = config.redaction ? new Redactor(config.redaction) : getDefaultRedactor();
  const exporter = new JsonlAuditExporter({ redactor, ...(config.logDir === undefined ? {} : { logDir: config.logDir }) });
  exporter.checkWritable();
  // Anything still pending when the process exits is written synchronously.
  const flushOnExit = (): void => void exporter.forceFlush();
  onProcessExit.add(flushOnExit);
  const reopenOnSighup = (): void => exporter.reopen();
  if (config.reopenOnSighup ?? true) onSighup.add(reopenOnSighup);
  return {
    redactor,
    exporter,
    processor: new AuditSpanProcessor(exporter),
    detach() {
      onProcessExit.delete(flushOnExit);
      onSighup.delete(reopenOnSighup);
    },
  };
}

import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { diagLogLevelFromString } from '@opentelemetry/core';

/**
 * The SDK's global error handler logs an exception as its properties in
 * JSON, stack and all (a failed metric export is a dozen lines): below
 * DEBUG its message is enough, on one line.
 */
function shortMessage(message: string): string {
  let text = message;
  if (message.startsWith('{"')) {
    try {
      const flattened = JSON.parse(message) as { message?: unknown; code?: unknown };
      // An export error's code is the collector's HTTP status: kept.
      if (typeof flattened.message === 'string')
        text = flattened.code === undefined ? flattened.message : `${flattened.message} (code ${String(flattened.code)})`;
    } catch {
      // Not the handler's JSON after all: printed as it is.
    }
  }
  return text.replace(/\s*\n\s*/g, ' ');
}

function writeToStderr(level: string, short: boolean): (message: string, ...args: unknown[]) => void {
  // Typed as a string, but callers pass what they have: the Prometheus exporter logs its Error itself.
  return (message: unknown, ...args) => {
    const text = typeof message === 'string' ? message : String(message);
    const extra = args.map((arg) => (arg instanceof Error ? arg.message : typeof arg === 'string' ? arg : JSON.stringify(arg)));
    process.stderr.write(`otel ${level}: ${[short ? shortMessage(text) : text, ...extra].join(' ')}\n`);
  };
}

/**
 * OpenTelemetry's own DiagConsoleLogger prints info and debug to stdout,
 * which on the stdio transport is the JSON-RPC channel. This one writes
 * every level to stderr, at OTEL_LOG_LEVEL (default WARN).
 */
export function installStderrDiagLogger(): void {
  const level = diagLogLevelFromString(process.env['OTEL_LOG_LEVEL']) ?? DiagLogLevel.WARN;
  const short = level < DiagLogLevel.DEBUG;
  const logger: DiagLogger = {
    error: writeToStderr('error', short),
    warn: writeToStderr('warn', short),
    info: writeToStderr('info', short),
    debug: writeToStderr('debug', short),
    verbose: writeToStderr('verbose', short),
  };
  diag.setLogger(logger, { logLevel: level, suppressOverrideMessage: true });
}

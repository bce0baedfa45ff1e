import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { diagLogLevelFromString } from '@opentelemetry/core';

function writeToStderr(level: string): (message: string, ...args: unknown[]) => void {
  return (message, ...args) => {
    const extra = args.map((arg) => (arg instanceof Error ? arg.message : typeof arg === 'string' ? arg : JSON.stringify(arg)));
    process.stderr.write(`otel ${level}: ${[message, ...extra].join(' ')}\n`);
  };
}

/**
 * OpenTelemetry's own DiagConsoleLogger prints info and debug to stdout,
 * which on the stdio transport is the JSON-RPC channel. This one writes
 * every level to stderr, at OTEL_LOG_LEVEL (default WARN).
 */
export function installStderrDiagLogger(): void {
  const logger: DiagLogger = {
    error: writeToStderr('error'),
    warn: writeToStderr('warn'),
    info: writeToStderr('info'),
    debug: writeToStderr('debug'),
    verbose: writeToStderr('verbose'),
  };
  const level = diagLogLevelFromString(process.env['OTEL_LOG_LEVEL']) ?? DiagLogLevel.WARN;
  diag.setLogger(logger, { logLevel: level, suppressOverrideMessage: true });
}

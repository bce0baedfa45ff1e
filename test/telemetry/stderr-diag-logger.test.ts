import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

// In a child process of its own: the diag logger and the SDK's error handler are process-wide.
function errorHandlerOutput(logLevel: string | undefined): string {
  const script = `
    const { globalErrorHandler } = await import('@opentelemetry/core');
    const { installStderrDiagLogger } = await import(${JSON.stringify(new URL('../../src/telemetry/stderr-diag-logger.js', import.meta.url).href)});
    installStderrDiagLogger();
    globalErrorHandler(new Error('PeriodicExportingMetricReader: metrics export failed (error Error: Request timed out)'));
    globalErrorHandler('a plain string');
    globalErrorHandler(new Error('first line\\n  second line'));
    globalErrorHandler(Object.assign(new Error('Service Unavailable'), { code: 503, data: 'collector overloaded' })); // as OTLPExporterError
  `;
  const env = { ...process.env };
  delete env['OTEL_LOG_LEVEL'];
  if (logLevel) env['OTEL_LOG_LEVEL'] = logLevel;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  assert.equal(child.stdout, '', 'nothing on stdout: on stdio it is the JSON-RPC channel');
  return child.stderr;
}

test("an exception the SDK's error handler logs is one line on stderr with its message, not its JSON with the stack", () => {
  assert.equal(
    errorHandlerOutput(undefined),
    'otel error: PeriodicExportingMetricReader: metrics export failed (error Error: Request timed out)\notel error: a plain string\notel error: first line second line\notel error: Service Unavailable (code 503)\n',
  );
});

test('at OTEL_LOG_LEVEL=debug the whole exception is kept, stack included', () => {
  const output = errorHandlerOutput('debug');
  assert.match(output, /^otel error: \{"stack":"Error: PeriodicExportingMetricReader/m);
  assert.match(output, /"message":"PeriodicExportingMetricReader: metrics export failed/);
});

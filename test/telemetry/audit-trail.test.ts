import { ExportResultCode } from '@opentelemetry/core';
import { BatchSpanProcessor, InMemorySpanExporter, SimpleSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startAuditTrail } from '../../src/index.js';
import { makeTempDir, readTrail } from '../support/trail-files.js';

test('recordEvent writes one record for a non-tool event, failed when it carries an error', async () => {
  const logDir = makeTempDir('trail');
  const spans = new InMemorySpanExporter();
  const trail = startAuditTrail({ logDir, serviceName: 'events', register: false, spanProcessors: [new SimpleSpanProcessor(spans)] });
  await trail.recordEvent({
    action: 'auth_failure',
    error: 'invalid bearer token',
    transport: 'streamable-http',
    attributes: { 'client.address': '127.0.0.1' },
  });
  assert.equal(spans.getFinishedSpans()[0]?.attributes['client.address'], '127.0.0.1');
  await trail.shutdown();
  const [record] = readTrail(logDir);
  assert.equal(record?.action, 'auth_failure');
  assert.equal(record?.success, false);
  assert.equal(record?.error, 'invalid bearer token');
  assert.equal(record?.tool_name, null);
  assert.equal(record?.service, 'events');
});

test('an unwritable log directory fails at start, naming the path', () => {
  const parent = makeTempDir('trail');
  writeFileSync(join(parent, 'file'), '');
  assert.throws(() => startAuditTrail({ logDir: join(parent, 'file', 'logs'), register: false }), /audit log directory .*file\/logs is not writable/);
});

test('OTEL_SERVICE_NAME overrides the configured default service name', async () => {
  const logDir = makeTempDir('trail');
  process.env['OTEL_SERVICE_NAME'] = 'from-env';
  try {
    const trail = startAuditTrail({ logDir, serviceName: 'from-code', register: false });
    await trail.recordEvent({ action: 'probe' });
    await trail.shutdown();
  } finally {
    delete process.env['OTEL_SERVICE_NAME'];
  }
  assert.equal(readTrail(logDir)[0]?.service, 'from-env');
});

test('many trails share one exit and one SIGHUP listener, removed with the last trail', async () => {
  const before = { exit: process.listenerCount('exit'), sighup: process.listenerCount('SIGHUP') };
  const trails = Array.from({ length: 12 }, () => startAuditTrail({ logDir: makeTempDir('trail'), register: false }));
  assert.ok(process.listenerCount('exit') <= before.exit + 1);
  assert.ok(process.listenerCount('SIGHUP') <= before.sighup + 1);
  for (const trail of trails) await trail.shutdown();
  assert.equal(process.listenerCount('exit'), before.exit);
  assert.equal(process.listenerCount('SIGHUP'), before.sighup);
});

test('a process with a dozen trails exits without a listener warning, and the exit flush writes every trail', () => {
  const parent = makeTempDir('trail');
  const dirs = Array.from({ length: 12 }, (_, index) => join(parent, `t${index}`));
  // Events recorded and not awaited just before process.exit(): only the exit listener can write them.
  const script = `
    const { startAuditTrail } = await import(${JSON.stringify(new URL('../../src/index.js', import.meta.url).href)});
    const dirs = ${JSON.stringify(dirs)};
    const trails = dirs.map((logDir) => startAuditTrail({ logDir, register: false }));
    await new Promise((resolve) => setImmediate(resolve)); // lets a listener warning reach stderr
    for (const trail of trails) void trail.recordEvent({ action: 'exit_probe' });
    process.exit(0);
  `;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(child.status, 0, child.stderr);
  assert.doesNotMatch(child.stderr, /MaxListenersExceededWarning/);
  for (const dir of dirs)
    assert.deepEqual(
      readTrail(dir).map((record) => record.action),
      ['exit_probe'],
    );
});

test("a processor whose shutdown fails does not cut the others' off: each is flushed and shut down, the failure said on stderr", async () => {
  const logDir = makeTempDir('trail');
  const failing: SpanProcessor = {
    onStart: () => {},
    onEnd: () => {},
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.reject(new Error('exporter gone')),
  };
  // Sends its queue at shutdown and takes a moment to close, after the failing one has failed.
  const exported: string[] = [];
  let closed = false;
  const exporter: SpanExporter = {
    export: (spans, done) => {
      exported.push(...spans.map((span) => span.name));
      done({ code: ExportResultCode.SUCCESS });
    },
    shutdown: () => new Promise((resolve) => setTimeout(resolve, 50)).then(() => void (closed = true)),
  };
  const trail = startAuditTrail({
    logDir,
    register: false,
    spanProcessors: [failing, new BatchSpanProcessor(exporter, { scheduledDelayMillis: 60_000 })],
  });
  await trail.recordEvent({ action: 'auth_failure', error: 'invalid bearer token' });
  const stderr = captureStderr();
  try {
    await trail.shutdown();
  } finally {
    stderr.restore();
  }
  assert.equal(readTrail(logDir).length, 1);
  assert.deepEqual(exported, ['auth_failure']);
  assert.equal(closed, true, 'the trail shut down only once every processor had');
  assert.match(stderr.text(), /exporter gone/);
});

function captureStderr(): { text(): string; restore(): void } {
  const write = process.stderr.write.bind(process.stderr);
  let text = '';
  process.stderr.write = ((chunk: string | Uint8Array) => {
    text += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  return { text: () => text, restore: () => void (process.stderr.write = write) };
}

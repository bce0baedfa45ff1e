import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
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

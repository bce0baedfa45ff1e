import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startAuditTrail } from '../../src/index.js';
import { makeTempDir, readTrail } from '../support/trail-files.js';

test('recordEvent writes one record for a non-tool event, failed when it carries an error', async () => {
  const logDir = makeTempDir('trail');
  const spans = new InMemorySpanExporter();
  const trail = startAuditTrail({ logDir, serviceName: 'events', register: false, spanProcessors: [new SimpleSpanProcessor(spans)] });
  await trail.recordEvent({ action: 'auth_failure', error: 'invalid bearer token', transport: 'streamable-http', attributes: { 'client.address': '127.0.0.1' } });
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

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { AuditSpanProcessor } from '../../src/audit/audit-span-processor.js';
import { auditFileNameFor } from '../../src/audit/record/audit-record.js';
import { JsonlAuditExporter } from '../../src/audit/jsonl-audit-exporter.js';
import { endAuditedSpan, toolCallDetails, tracerWith } from '../support/audited-spans.js';
import { fillDisk, FULL_DISK_ERROR } from '../support/full-disk.js';
import { makeTempDir, readTrail } from '../support/trail-files.js';

test('whenRecorded resolves only once the span’s line is in the file', async () => {
  const dir = makeTempDir('processor');
  const processor = new AuditSpanProcessor(new JsonlAuditExporter({ logDir: dir }));
  const span = endAuditedSpan(tracerWith(processor), toolCallDetails());
  await processor.whenRecorded(span);
  const file = readFileSync(join(dir, auditFileNameFor(new Date().toISOString())), 'utf8');
  assert.match(file, new RegExp(span.spanContext().spanId));
  await processor.shutdown();
});

test('whenRecorded rejects when the record cannot be written', async (t) => {
  const dir = makeTempDir('processor');
  t.after(fillDisk(0)); // every write fails, as on a full disk
  const processor = new AuditSpanProcessor(new JsonlAuditExporter({ logDir: dir, onUnwrittenRecords: () => {} }));
  const span = endAuditedSpan(tracerWith(processor), toolCallDetails());
  await assert.rejects(processor.whenRecorded(span), FULL_DISK_ERROR);
});

test('whenRecorded rejects for a span whose export failed at once (its exporter already shut down): no answer passes unrecorded', async () => {
  const exporter = new JsonlAuditExporter({ logDir: makeTempDir('processor'), onUnwrittenRecords: () => {} });
  const processor = new AuditSpanProcessor(exporter);
  await exporter.shutdown();
  // The export fails before whenRecorded is called: the result is already known when it is asked for.
  const span = endAuditedSpan(tracerWith(processor), toolCallDetails());
  await assert.rejects(processor.whenRecorded(span), /shut down/);
});

test('whenRecorded rejects for a span that carried no audit details', async () => {
  const processor = new AuditSpanProcessor(new JsonlAuditExporter({ logDir: makeTempDir('processor') }));
  const span = tracerWith(processor).startSpan('plain');
  span.end();
  await assert.rejects(processor.whenRecorded(span), /no audit record/);
});

test('shutdown drains every span ended before it, far beyond a batch queue size', async () => {
  const dir = makeTempDir('processor');
  const processor = new AuditSpanProcessor(new JsonlAuditExporter({ logDir: dir }));
  const tracer = tracerWith(processor);
  // BatchSpanProcessor's default queue holds 2048 and drops the rest.
  for (let i = 0; i < 5000; i++) endAuditedSpan(tracer, toolCallDetails({ requestId: String(i) }));
  await processor.shutdown();
  const ids = readTrail(dir).map((record) => record.request_id);
  assert.equal(ids.length, 5000);
  assert.equal(new Set(ids).size, 5000);
});

import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { JsonlAuditExporter } from '../../src/audit/jsonl-audit-exporter.js';
import { auditFileNameFor, type AuditRecord } from '../../src/audit/record/audit-record.js';
import { endAuditedSpan, toolCallDetails, tracerWith } from '../support/audited-spans.js';
import { fillDisk, FULL_DISK_ERROR } from '../support/full-disk.js';
import { makeTempDir, readTrail } from '../support/trail-files.js';

/** Real spans, captured as the SDK would hand them to an exporter. */
function endedSpans(count: number, failEvery = 0): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const tracer = tracerWith(new SimpleSpanProcessor(memory));
  for (let i = 0; i < count; i++) {
    const failed = failEvery > 0 && i % failEvery === 0;
    endAuditedSpan(tracer, toolCallDetails({ requestId: String(i) }), failed ? 'Invalid query' : undefined);
  }
  return memory.getFinishedSpans();
}

function exportAsync(exporter: JsonlAuditExporter, spans: ReadableSpan[]): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(spans, resolve));
}

test('each audited span becomes one record with the seed fields and types', async () => {
  const dir = makeTempDir('exporter');
  const exporter = new JsonlAuditExporter({ logDir: dir });
  const spans = endedSpans(2, 2);
  assert.equal((await exportAsync(exporter, spans)).code, ExportResultCode.SUCCESS);
  await exporter.shutdown();
  const [failed, ok] = readTrail(dir) as [AuditRecord, AuditRecord];
  assert.match(ok.timestamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  assert.equal(ok.action, 'tool_call');
  assert.equal(ok.tool_name, 'lookup_inventory');
  assert.deepEqual(ok.input_summary, { query: 'monitor' });
  assert.equal(ok.result_summary, 'Found 3 items');
  assert.equal(ok.success, true);
  assert.equal(ok.error, null);
  assert.equal(typeof ok.duration_ms, 'number');
  assert.equal(ok.trace_id, spans[1]!.spanContext().traceId);
  assert.equal(ok.span_id, spans[1]!.spanContext().spanId);
  assert.equal(ok.service, 'test-service');
  assert.deepEqual(ok.client, { name: 'test-client', version: '1.0.0' });
  assert.equal(failed.success, false);
  assert.equal(failed.error, 'Invalid query');
  assert.equal(auditFileNameFor(ok.timestamp), `audit_${new Date().toISOString().slice(0, 10)}.jsonl`);
});

test('concurrent exports neither interleave nor reorder lines', async () => {
  const dir = makeTempDir('exporter');
  const exporter = new JsonlAuditExporter({ logDir: dir });
  const spans = endedSpans(300);
  const results = await Promise.all(spans.map((span) => exportAsync(exporter, [span])));
  assert.ok(results.every((result) => result.code === ExportResultCode.SUCCESS));
  await exporter.shutdown();
  assert.deepEqual(
    readTrail(dir).map((record) => record.request_id),
    spans.map((_, i) => String(i)),
  );
});

test('spans without audit details are not records', async () => {
  const dir = makeTempDir('exporter');
  const memory = new InMemorySpanExporter();
  tracerWith(new SimpleSpanProcessor(memory)).startSpan('GET /health').end();
  const exporter = new JsonlAuditExporter({ logDir: dir });
  assert.equal((await exportAsync(exporter, memory.getFinishedSpans())).code, ExportResultCode.SUCCESS);
  await exporter.shutdown();
  assert.deepEqual(readTrail(dir), []);
});

test('a write failure reports FAILED and hands the records to onUnwrittenRecords', async (t) => {
  const dir = makeTempDir('exporter');
  const spans = endedSpans(1);
  t.after(fillDisk(0)); // every write fails, as on a full disk
  const unwritten: AuditRecord[] = [];
  const exporter = new JsonlAuditExporter({ logDir: dir, onUnwrittenRecords: (records) => unwritten.push(...records) });
  const result = await exportAsync(exporter, spans);
  assert.equal(result.code, ExportResultCode.FAILED);
  assert.match(String(result.error), FULL_DISK_ERROR);
  assert.equal(unwritten.length, 1);
  assert.equal(unwritten[0]!.span_id, spans[0]!.spanContext().spanId);
});

test('an export of several spans calls back once: SUCCESS after all are in the file, or FAILED once with all its records', async (t) => {
  const dir = makeTempDir('exporter');
  const exporter = new JsonlAuditExporter({ logDir: dir });
  const spans = endedSpans(5);
  const results: Array<{ code: ExportResultCode; inFile: number }> = [];
  await new Promise<void>((resolve) =>
    exporter.export(spans, (result) => resolve(void results.push({ code: result.code, inFile: readTrail(dir).length }))),
  );
  await new Promise((resolve) => setTimeout(resolve, 20)); // room for a wrong second call
  assert.deepEqual(results, [{ code: ExportResultCode.SUCCESS, inFile: 5 }]);
  await exporter.shutdown();

  const fullDir = makeTempDir('exporter');
  t.after(fillDisk(0));
  const unwritten: AuditRecord[][] = [];
  const failing = new JsonlAuditExporter({ logDir: fullDir, onUnwrittenRecords: (records) => unwritten.push(records) });
  const failures: ExportResult[] = [];
  await new Promise<void>((resolve) => failing.export(spans, (result) => resolve(void failures.push(result))));
  await new Promise((resolve) => setTimeout(resolve, 20)); // room for a wrong second call
  assert.equal(failures.length, 1);
  assert.equal(failures[0]!.code, ExportResultCode.FAILED);
  assert.match(String(failures[0]!.error), FULL_DISK_ERROR);
  assert.deepEqual(
    unwritten.map((records) => records.map((record) => record.span_id)),
    [spans.map((span) => span.spanContext().spanId)],
  );
  await failing.shutdown();
});

test('export after shutdown fails without throwing', async () => {
  const exporter = new JsonlAuditExporter({ logDir: makeTempDir('exporter') });
  await exporter.shutdown();
  const result = await exportAsync(exporter, endedSpans(1));
  assert.equal(result.code, ExportResultCode.FAILED);
});

test('logDir falls back to AUDIT_LOG_DIR', () => {
  const dir = makeTempDir('exporter');
  process.env['AUDIT_LOG_DIR'] = dir;
  try {
    assert.equal(new JsonlAuditExporter().logDir, dir);
  } finally {
    delete process.env['AUDIT_LOG_DIR'];
  }
});

test('checkWritable names the directory it cannot write', () => {
  const parent = makeTempDir('exporter');
  writeFileSync(join(parent, 'file'), '');
  const logDir = join(parent, 'file', 'logs');
  const exporter = new JsonlAuditExporter({ logDir });
  assert.throws(
    () => exporter.checkWritable(),
    (error: Error) => error.message.startsWith(`audit log directory ${logDir} is not writable: ENOTDIR`),
  );
});

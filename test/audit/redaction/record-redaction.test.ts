import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { AuditSpanProcessor } from '../../../src/audit/audit-span-processor.js';
import { JsonlAuditExporter } from '../../../src/audit/jsonl-audit-exporter.js';
import { Redactor } from '../../../src/audit/redaction/redactor.js';
import { endAuditedSpan, toolCallDetails, tracerWith } from '../../support/audited-spans.js';
import { runCli } from '../../support/cli.js';
import { SECRET_SAMPLES } from '../../support/secrets.js';
import { makeTempDir, readTrail } from '../../support/trail-files.js';

const sample = (kind: string) => SECRET_SAMPLES.find((candidate) => candidate.kind === kind)!;
const [jwt, github, slack, aws, conn, stripe, pem] = [
  'jwt',
  'github-token',
  'slack-token',
  'aws-secret-key',
  'connection-string',
  'stripe-key',
  'private-key',
].map(sample) as [
  ReturnType<typeof sample>,
  ReturnType<typeof sample>,
  ReturnType<typeof sample>,
  ReturnType<typeof sample>,
  ReturnType<typeof sample>,
  ReturnType<typeof sample>,
  ReturnType<typeof sample>,
];

/** Records written through the real audit path: a tracer, the audit processor, the exporter, a file. */
async function writeRecords(details: Array<Parameters<typeof toolCallDetails>[0] & { failWith?: string }>, redactor?: Redactor) {
  const logDir = makeTempDir('record-redaction');
  const processor = new AuditSpanProcessor(new JsonlAuditExporter({ logDir, ...(redactor ? { redactor } : {}) }));
  const tracer = tracerWith(processor);
  for (const { failWith, ...overrides } of details) await processor.whenRecorded(endAuditedSpan(tracer, toolCallDetails(overrides), failWith));
  await processor.shutdown();
  const raw = readdirSync(logDir)
    .filter((name) => name.endsWith('.jsonl'))
    .map((name) => readFileSync(join(logDir, name), 'utf8'))
    .join('');
  return { logDir, raw, records: readTrail(logDir) };
}

test('a secret in any client-typed field of a record is redacted, and redacted_fields names each field', async () => {
  const { raw, records, logDir } = await writeRecords([
    {
      requestId: github.value,
      sessionId: `sess-${jwt.value}`,
      client: { name: `agent ${slack.value}`, version: aws.value },
      toolName: conn.value,
      actor: `svc ${stripe.value}`,
      clientAddress: `10.0.0.1 ${github.value}`,
      protocolVersion: jwt.value,
      inputSummary: {
        requested_protocol_version: '2025-06-18',
        client_capabilities: ['roots', `x-${github.value}`],
        _meta: { [slack.value]: 'a key that is a token', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
        [stripe.value]: 1,
        [stripe.value.replace('9x8w7v', '1a2b3c')]: 2,
        note: 'nothing secret here',
      },
      resultSummary: `found ${pem.value}`,
      failWith: `tool said ${conn.value}`,
    },
  ]);
  for (const secret of [jwt, github, slack, aws, conn, stripe, pem]) assert.ok(!raw.includes(secret.tell), `${secret.kind} leaked: ${raw}`);
  const [record] = records;
  assert.ok(record);
  assert.equal(record.request_id, '[REDACTED:github-token]');
  assert.equal(record.client?.version, 'aws_secret_access_key=[REDACTED:aws-secret-key]');
  assert.equal(record.error, 'tool said postgres://app:[REDACTED:connection-string]@db.internal:5432/tickets');
  assert.deepEqual((record.input_summary['client_capabilities'] as string[])[0], 'roots');
  assert.equal(record.input_summary['note'], 'nothing secret here');
  // Two keys redacted to the same marker both stay.
  assert.equal(record.input_summary['[REDACTED:stripe-key]'], 1);
  assert.equal(record.input_summary['[REDACTED:stripe-key]#2'], 2);
  assert.equal(record.redacted, true);
  assert.deepEqual(
    new Set(record.redacted_fields),
    new Set([
      'request_id',
      'session_id',
      'client.name',
      'client.version',
      'tool_name',
      'actor',
      'client_address',
      'protocol_version',
      'input_summary.client_capabilities',
      'input_summary._meta',
      'input_summary',
      'result_summary',
      'error',
    ]),
  );
  // A redacted record is a record like any other: the chain holds.
  assert.equal(runCli(['verify', logDir]).status, 0);
});

test('nothing to redact: the record is as built, redacted false and redacted_fields empty', async () => {
  const clean = {
    requestId: '9fceb02d0ae598e95dc970b74767f19372d61af8',
    sessionId: '123e4567-e89b-12d3-a456-426614174000',
    inputSummary: {
      id: 'TCK-0A1B2C3D',
      digest: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      note: '[REDACTED] typed by the client',
    },
  };
  const { records } = await writeRecords([clean]);
  assert.equal(records[0]!.request_id, clean.requestId);
  assert.equal(records[0]!.session_id, clean.sessionId);
  assert.deepEqual(records[0]!.input_summary, clean.inputSummary);
  assert.equal(records[0]!.redacted, false);
  assert.deepEqual(records[0]!.redacted_fields, []);
});

test('what the instrumentation redacted itself is listed too, found by its markers', async () => {
  const { records } = await writeRecords([
    { inputSummary: { password: '[REDACTED]', query: 'monitor', nested: { deep: ['x', '[REDACTED:jwt]'] } }, redacted: true },
  ]);
  assert.deepEqual(records[0]!.redacted_fields, ['input_summary.password', 'input_summary.nested']);
  assert.equal(records[0]!.redacted, true);
});

test('an input of thousands of touched keys lists at most 32 names, then the field itself', async () => {
  const inputSummary = Object.fromEntries(Array.from({ length: 2000 }, (_, index) => [`k${index}`, `v ${github.value}`]));
  const { records } = await writeRecords([{ inputSummary }]);
  const fields = records[0]!.redacted_fields;
  assert.equal(fields.length, 33);
  assert.equal(fields.at(-1), 'input_summary');
  assert.ok(!JSON.stringify(records[0]).includes(github.tell));
});

test('the exporter redacts with the patterns it is given: e-mail addresses only when asked', async () => {
  const details = { requestId: 'kim@example.com' };
  assert.equal((await writeRecords([details])).records[0]!.request_id, 'kim@example.com');
  assert.equal((await writeRecords([details], new Redactor({ emails: true }))).records[0]!.request_id, '[REDACTED:email]');
});

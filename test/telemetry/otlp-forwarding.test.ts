import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { OPERATION_DURATION_BUCKETS } from '../../src/telemetry/operation-duration-processor.js';
import { closedPortUrl, OtlpReceiver, type ReceiverMode } from '../support/otlp-receiver.js';
import { spawnStdioServer } from '../support/spawned-server.js';
import { makeTempDir, readTrail } from '../support/trail-files.js';

const receivers: OtlpReceiver[] = [];
after(() => Promise.all(receivers.map((receiver) => receiver.close())));

async function receiver(mode: ReceiverMode = 'ok'): Promise<OtlpReceiver> {
  const started = await OtlpReceiver.start(mode);
  receivers.push(started);
  return started;
}

const CALLS = [
  { name: 'lookup_inventory', arguments: { query: 'monitor' } },
  { name: 'create_ticket', arguments: { title: 'Printer repair', priority: 'P9' } },
  { name: 'lookup_inventory', arguments: { query: '../../etc/passwd' } },
  { name: 'search_policies', arguments: { query: 'password' } },
];

/** Spawns the server with `env`, makes CALLS, closes it (stdin end → graceful shutdown, which flushes). */
async function runCalls(env: Record<string, string>) {
  const logDir = makeTempDir('forwarding-trail');
  const server = await spawnStdioServer({ AUDIT_LOG_DIR: logDir, OTEL_SERVICE_NAME: 'forwarding-test', ...env });
  for (const call of CALLS) await server.client.callTool(call);
  await server.close();
  return { records: readTrail(logDir), stderr: server.stderr() };
}

for (const protocol of ['http/protobuf', 'http/json'] as const) {
  test(`${protocol}: every tool span reaches the collector with the MCP conventions, one to one with the audit records`, async () => {
    const collector = await receiver();
    const { records, stderr } = await runCalls({
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.baseUrl,
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-key=demo%20key',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test',
    });
    assert.ok(collector.headers.length > 0 && collector.headers.every((headers) => headers['x-collector-key'] === 'demo key'));
    assert.match(stderr, new RegExp(`forwarding spans to ${collector.baseUrl}/v1/traces \\(${protocol.replace('/', '\\/')}\\)`));
    assert.ok(collector.contentTypes.every((type) => type.startsWith(protocol === 'http/json' ? 'application/json' : 'application/x-protobuf')));

    // Tool calls, plus the session's start and end events: every record has its span, and no span is extra.
    const toolCalls = records.filter((record) => record.action === 'tool_call');
    assert.equal(toolCalls.length, CALLS.length);
    assert.equal(collector.spans.length, records.length);
    const key = (traceId: string, spanId: string): string => `${traceId}/${spanId}`;
    assert.deepEqual(
      new Set(collector.spans.map((span) => key(span.traceId, span.spanId))),
      new Set(records.map((record) => key(record.trace_id, record.span_id))),
    );
    for (const record of toolCalls) {
      const span = collector.spans.find((candidate) => candidate.spanId === record.span_id)!;
      assert.equal(span.name, `tools/call ${record.tool_name}`);
      assert.equal(span.kind, 2, 'SERVER');
      assert.equal(span.attributes['mcp.method.name'], 'tools/call');
      assert.equal(span.attributes['gen_ai.tool.name'], record.tool_name);
      assert.equal(span.attributes['gen_ai.operation.name'], 'execute_tool');
      assert.equal(span.attributes['jsonrpc.request.id'], record.request_id);
      assert.equal(span.attributes['network.transport'], 'pipe');
      assert.equal(typeof span.attributes['mcp.protocol.version'], 'string');
      assert.equal(span.statusCode === 2, !record.success);
      assert.equal(span.attributes['error.type'], record.success ? undefined : 'tool_error');
      assert.equal(span.resource['service.name'], 'forwarding-test');
      assert.equal(span.resource['deployment.environment.name'], 'test');
      // Arguments stay out of forwarded spans unless opted in.
      assert.doesNotMatch(JSON.stringify(span.attributes), /passwd|monitor/);
    }
  });
}

interface MetricJson {
  name: string;
  unit: string;
  histogram?: {
    dataPoints: Array<{ count: number | string; explicitBounds: number[]; attributes: Array<{ key: string; value: { stringValue?: string } }> }>;
  };
}

// No protocol set is the default, http/protobuf, decoded by the receiver as a collector would.
for (const protocol of [undefined, 'http/json'] as const)
  test(`mcp.server.operation.duration goes out over OTLP (${protocol ?? 'default: http/protobuf'}): seconds, per tool, error.type on failures, the advised buckets`, async () => {
    const collector = await receiver();
    await runCalls({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.baseUrl, ...(protocol ? { OTEL_EXPORTER_OTLP_PROTOCOL: protocol } : {}) });
    const metricTypes = collector.paths.flatMap((path, i) => (path === '/v1/metrics' ? [collector.contentTypes[i]] : []));
    assert.ok(
      metricTypes.length > 0 && metricTypes.every((type) => type?.startsWith(protocol ? 'application/json' : 'application/x-protobuf')),
      metricTypes.join(),
    );
    // The periodic reader exports once more at shutdown: the last request holds every call.
    const last = collector.metricRequests.at(-1) as { resourceMetrics: Array<{ scopeMetrics: Array<{ metrics: MetricJson[] }> }> } | undefined;
    assert.ok(last, 'no metrics arrived');
    const metric = last.resourceMetrics
      .flatMap((resource) => resource.scopeMetrics)
      .flatMap((scope) => scope.metrics)
      .find((candidate) => candidate.name === 'mcp.server.operation.duration');
    assert.ok(metric?.histogram, 'no mcp.server.operation.duration histogram');
    assert.equal(metric.unit, 's');
    const points = metric.histogram.dataPoints.map((point) => ({
      count: Number(point.count),
      bounds: point.explicitBounds,
      attributes: Object.fromEntries(point.attributes.map((attribute) => [attribute.key, attribute.value.stringValue])),
    }));
    assert.equal(
      points.reduce((sum, point) => sum + point.count, 0),
      CALLS.length,
    );
    for (const point of points) {
      assert.deepEqual(point.bounds, OPERATION_DURATION_BUCKETS);
      assert.equal(point.attributes['mcp.method.name'], 'tools/call');
      assert.equal(point.attributes['network.transport'], 'pipe');
    }
    const failed = (tool: string): number =>
      points
        .filter((point) => point.attributes['gen_ai.tool.name'] === tool && point.attributes['error.type'] === 'tool_error')
        .reduce((sum, point) => sum + point.count, 0);
    assert.equal(failed('lookup_inventory'), 1);
    assert.equal(failed('create_ticket'), 1);
    assert.equal(failed('search_policies'), 0);
  });

test('OTEL_TRACES_EXPORTER=none and OTEL_SDK_DISABLED=true keep forwarding off and the audit trail on', async () => {
  const cases: Array<Record<string, string>> = [{ OTEL_TRACES_EXPORTER: 'none' }, { OTEL_SDK_DISABLED: 'true' }];
  for (const env of cases) {
    const collector = await receiver();
    const { records, stderr } = await runCalls({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.baseUrl, ...env });
    assert.equal(records.filter((record) => record.action === 'tool_call').length, CALLS.length);
    assert.ok(!collector.paths.includes('/v1/traces'), `traces were sent with ${JSON.stringify(env)}`);
    if (env['OTEL_SDK_DISABLED']) assert.deepEqual(collector.paths, []);
    assert.doesNotMatch(stderr, /forwarding spans to/);
  }
});

const faults: Array<{ name: string; mode: ReceiverMode | 'down' }> = [
  { name: 'down', mode: 'down' },
  { name: 'answering 500', mode: 'fail-500' },
  { name: 'too slow (the export times out)', mode: 'hang' },
];
for (const fault of faults) {
  test(`a collector ${fault.name}: every audit record is written and the lost spans are reported on stderr`, async () => {
    const endpoint = fault.mode === 'down' ? await closedPortUrl() : (await receiver(fault.mode)).baseUrl;
    const { records, stderr } = await runCalls({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${endpoint}/v1/traces`,
      OTEL_EXPORTER_OTLP_TIMEOUT: '300',
      OTEL_METRICS_EXPORTER: 'none',
    });
    const toolCalls = records.filter((record) => record.action === 'tool_call');
    assert.deepEqual(
      toolCalls.map((record) => record.tool_name),
      CALLS.map((call) => call.name),
    );
    // Every span is accounted for: one per record (the tool calls and the session's events).
    assert.match(
      stderr,
      new RegExp(`spans not forwarded since the last report \\(${records.length} in total; [^)]+\\); the audit trail is unaffected`),
    );
  });
}

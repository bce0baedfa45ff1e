import assert from 'node:assert/strict';
import { test } from 'node:test';
import { otlpTargetFromEnv } from '../../src/index.js';

test('forwarding is off by default and when the exporter variable does not name otlp', () => {
  assert.equal(otlpTargetFromEnv('traces', {}), null);
  assert.equal(otlpTargetFromEnv('traces', { OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }), null);
  assert.equal(otlpTargetFromEnv('traces', { OTEL_TRACES_EXPORTER: 'console' }), null);
  assert.equal(otlpTargetFromEnv('traces', { OTEL_SDK_DISABLED: 'TRUE', OTEL_TRACES_EXPORTER: 'otlp' }), null);
});

test('OTEL_TRACES_EXPORTER=otlp alone forwards to the default endpoint over http/protobuf', () => {
  assert.deepEqual(otlpTargetFromEnv('traces', { OTEL_TRACES_EXPORTER: 'otlp' }), {
    protocol: 'http/protobuf',
    url: 'http://localhost:4318/v1/traces',
  });
  assert.deepEqual(otlpTargetFromEnv('traces', { OTEL_TRACES_EXPORTER: 'console, otlp' })?.url, 'http://localhost:4318/v1/traces');
  assert.equal(otlpTargetFromEnv('traces', { OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'false' })?.protocol, 'http/protobuf');
});

test('the base endpoint gets /v1/<signal> appended; the signal endpoint is used as is and wins', () => {
  assert.equal(otlpTargetFromEnv('traces', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })?.url, 'http://collector:4318/v1/traces');
  assert.equal(
    otlpTargetFromEnv('traces', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/base/' })?.url,
    'http://collector:4318/base/v1/traces',
  );
  assert.equal(otlpTargetFromEnv('metrics', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })?.url, 'http://collector:4318/v1/metrics');
  const both = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://tempo:4318/custom' };
  assert.equal(otlpTargetFromEnv('traces', both)?.url, 'http://tempo:4318/custom');
  assert.equal(otlpTargetFromEnv('metrics', both)?.url, 'http://collector:4318/v1/metrics');
});

test('the protocol comes from the signal variable, then the general one; gRPC is refused with a clear error', () => {
  const base = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
  assert.equal(otlpTargetFromEnv('traces', { ...base, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })?.protocol, 'http/json');
  assert.equal(
    otlpTargetFromEnv('traces', { ...base, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' })?.protocol,
    'http/protobuf',
  );
  assert.throws(
    () => otlpTargetFromEnv('traces', { ...base, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }),
    /OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported for traces: use http\/protobuf or http\/json/,
  );
  assert.throws(() => otlpTargetFromEnv('traces', { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'not a url' }), /endpoint "not a url" is not a valid URL/);
});

test('metrics follow their own exporter variable', () => {
  const base = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
  assert.equal(otlpTargetFromEnv('metrics', { ...base, OTEL_METRICS_EXPORTER: 'none' }), null);
  assert.notEqual(otlpTargetFromEnv('metrics', { ...base, OTEL_TRACES_EXPORTER: 'none' }), null);
});

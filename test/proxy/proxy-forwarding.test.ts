import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { OtlpReceiver } from '../support/otlp-receiver.js';
import { makeTempDir, readTrail } from '../support/trail-files.js';
import { PYTHON_SERVER, WireProxy } from '../support/wire-proxy.js';

// The wire proxy reads the same OTEL_* environment as the library: its spans reach the collector, one to one with
// the records, the last ones too (the proxy shuts the trail down, which flushes forwarding, before it exits).

const receivers: OtlpReceiver[] = [];
after(() => Promise.all(receivers.map((receiver) => receiver.close())));

test('the stdio proxy forwards the span of every record over OTLP before it exits, the calls just before the end too', async () => {
  const collector = await OtlpReceiver.start();
  receivers.push(collector);
  const logDir = join(makeTempDir('proxy-forwarding'), 'logs');
  const proxy = new WireProxy(logDir, PYTHON_SERVER, { OTEL_EXPORTER_OTLP_ENDPOINT: collector.baseUrl });
  await proxy.handshake();
  proxy.call(2, 'echo', { text: 'forwarded' });
  await proxy.response(2);
  // The client leaves at once: the spans still queued for the collector must go out as the proxy stops.
  assert.equal(await proxy.close(), 0);

  const records = readTrail(logDir);
  assert.deepEqual(
    records.map((record) => record.action),
    ['session_start', 'tool_call', 'session_end'],
  );
  assert.deepEqual(collector.spans.map((span) => span.spanId).sort(), records.map((record) => record.span_id).sort());
  const call = collector.spans.find((span) => span.spanId === records[1]!.span_id);
  assert.equal(call?.name, 'tools/call echo');
  assert.equal(call?.attributes['network.transport'], 'pipe');
});

test('a collector that never answers does not hold the stdio proxy up: it exits soon after its client leaves, its trail complete', async () => {
  const collector = await OtlpReceiver.start('hang');
  receivers.push(collector);
  const logDir = join(makeTempDir('proxy-forwarding-hang'), 'logs');
  // Spans and metrics both go to the collector that never answers, each exporter waiting out its own 10 s timeout.
  const proxy = new WireProxy(logDir, PYTHON_SERVER, { OTEL_EXPORTER_OTLP_ENDPOINT: collector.baseUrl });
  await proxy.handshake();
  proxy.call(2, 'echo', { text: 'recorded, not forwarded' });
  await proxy.response(2);
  const leftAt = Date.now();
  assert.equal(await proxy.close(), 0);
  // Clients stop a server that lingers after its stdin closes (often within a few seconds): the forwarding waits 1.5 s at most.
  const lingeredMs = Date.now() - leftAt;
  assert.ok(lingeredMs < 6000, `the proxy lingered ${lingeredMs} ms after its client left`);
  assert.deepEqual(
    readTrail(logDir).map((record) => record.action),
    ['session_start', 'tool_call', 'session_end'],
  );
  assert.match(proxy.stderr, /3 spans not forwarded .*abandoned at shutdown: 3/);
  assert.match(proxy.stderr, /metrics not exported to .* at shutdown: the collector did not answer in time/);
});

test('a Prometheus port already taken: one line on stderr, and the proxy records and answers as ever', async () => {
  const busy = createServer().listen(0, '127.0.0.1');
  await once(busy, 'listening');
  try {
    const logDir = join(makeTempDir('proxy-prometheus-busy'), 'logs');
    const proxy = new WireProxy(logDir, PYTHON_SERVER, { PROMETHEUS_PORT: String((busy.address() as AddressInfo).port) });
    await proxy.handshake();
    proxy.call(2, 'echo', { text: 'still audited' });
    await proxy.response(2);
    assert.equal(await proxy.close(), 0);
    assert.deepEqual(
      readTrail(logDir).map((record) => record.action),
      ['session_start', 'tool_call', 'session_end'],
    );
    assert.match(proxy.stderr, /^otel error: Error: listen EADDRINUSE.*$/m);
    assert.doesNotMatch(proxy.stderr, /TypeError|"stack"/);
  } finally {
    busy.close();
  }
});

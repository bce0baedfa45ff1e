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

/** A proxy with `env` that answers one `echo` call, then its client leaves at once: how it exited, and how long that took. */
async function oneCallThenLeave(name: string, env: Record<string, string>, text: string) {
  const logDir = join(makeTempDir(name), 'logs');
  const proxy = new WireProxy(logDir, PYTHON_SERVER, env);
  await proxy.handshake();
  proxy.call(2, 'echo', { text });
  await proxy.response(2);
  const leftAt = Date.now();
  const status = await proxy.close();
  return { logDir, proxy, status, lingeredMs: Date.now() - leftAt };
}

test('the stdio proxy forwards the span of every record over OTLP before it exits, the calls just before the end too', async () => {
  const collector = await OtlpReceiver.start();
  receivers.push(collector);
  // The client leaves at once: the spans still queued for the collector must go out as the proxy stops.
  const { logDir, status } = await oneCallThenLeave('proxy-forwarding', { OTEL_EXPORTER_OTLP_ENDPOINT: collector.baseUrl }, 'forwarded');
  assert.equal(status, 0);

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
  // Spans and metrics both go to the collector that never answers, each exporter waiting out its own 10 s timeout.
  const { logDir, proxy, status, lingeredMs } = await oneCallThenLeave(
    'proxy-forwarding-hang',
    { OTEL_EXPORTER_OTLP_ENDPOINT: collector.baseUrl },
    'recorded, not forwarded',
  );
  assert.equal(status, 0);
  // Clients stop a server that lingers after its stdin closes (often within a few seconds): the forwarding waits 1.5 s at most.
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
    const port = String((busy.address() as AddressInfo).port);
    const { logDir, proxy, status } = await oneCallThenLeave('proxy-prometheus-busy', { PROMETHEUS_PORT: port }, 'still audited');
    assert.equal(status, 0);
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

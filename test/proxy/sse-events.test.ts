import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SseEventSplitter, sseEventText, type SseEvent } from '../../src/proxy/sse-events.js';

function split(chunks: string[]): { events: SseEvent[]; rest: string } {
  const events: SseEvent[] = [];
  const splitter = new SseEventSplitter((event) => events.push(event));
  for (const chunk of chunks) splitter.push(Buffer.from(chunk));
  return { events, rest: splitter.rest() };
}

test('events split on blank lines whatever the line ends and however the bytes are cut, each kept as it came', () => {
  const stream = 'id: 1\r\nevent: message\r\ndata: {"a":1}\r\n\r\n: keep-alive\n\nid: 2\rdata: {"b":\rdata: 2}\r\r' + 'data: é\n\n';
  const bytes = Buffer.from(stream);
  for (const size of [1, 2, 3, 7, bytes.length]) {
    const chunks: string[] = [];
    const events: SseEvent[] = [];
    const splitter = new SseEventSplitter((event) => events.push(event));
    for (let start = 0; start < bytes.length; start += size) splitter.push(bytes.subarray(start, start + size));
    chunks.push(...events.map((event) => event.raw));
    assert.equal(chunks.join(''), stream, `cut every ${size} bytes, the events put back together are the stream`);
    assert.deepEqual(
      events.map((event) => [event.id, event.event, event.data]),
      [
        ['1', 'message', '{"a":1}'],
        [null, null, null],
        ['2', null, '{"b":\n2}'],
        [null, null, 'é'],
      ],
    );
  }
});

test('an event the stream cut short is left over; a replacement keeps the id and type', () => {
  const { events, rest } = split(['data: {"done":true}\n\n', 'data: {"cut"']);
  assert.equal(events.length, 1);
  assert.equal(rest, 'data: {"cut"');
  assert.equal(sseEventText({ id: '9', event: 'message' }, { jsonrpc: '2.0', id: 1 }), 'event: message\nid: 9\ndata: {"jsonrpc":"2.0","id":1}\n\n');
});

test('a stream that starts with a BOM: the BOM is skipped, as clients skip it, however the bytes are cut; a later U+FEFF is data', () => {
  const stream = Buffer.from('\uFEFFdata: {"jsonrpc":"2.0","id":1,"result":{}}\n\ndata: \uFEFFx\n\n');
  for (const size of [1, 2, 3, stream.length]) {
    const events: SseEvent[] = [];
    const splitter = new SseEventSplitter((event) => events.push(event));
    for (let start = 0; start < stream.length; start += size) splitter.push(stream.subarray(start, start + size));
    assert.deepEqual(
      events.map((event) => event.data),
      ['{"jsonrpc":"2.0","id":1,"result":{}}', '\uFEFFx'],
      `cut every ${size} bytes`,
    );
  }
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AuditRecord } from '../../src/index.js';
import { verifies } from '../support/cli.js';
import { collectLines, exited, helpdeskDirs, INITIALIZE, jsonRpc, spawnHelpdesk, waitFor } from '../support/helpdesk-process.js';
import { readTrail } from '../support/trail-files.js';

interface Answer {
  id: unknown;
  result?: { isError?: boolean };
  error?: { code: number; message: string };
}

const dirs = helpdeskDirs('e2e-malformed');
const child = spawnHelpdesk(dirs);
const lines = collectLines(child);
let stderr = '';
child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));

/** Sends one raw line and waits for the one answer it gets; returns it with the trail as it was when the answer arrived. */
async function exchange(line: string): Promise<{ answer: Answer; trail: AuditRecord[] }> {
  const before = lines.length;
  child.stdin.write(line.endsWith('\n') ? line : `${line}\n`);
  await waitFor(() => lines.length > before, `an answer to ${line.slice(0, 80)} (stderr: ${stderr})`, 60_000);
  const trail = readTrail(dirs.logDir);
  return { answer: JSON.parse(lines[before]!) as Answer, trail };
}

test('malformed messages to the help desk over stdio', async (t) => {
  t.after(async () => {
    child.stdin.end();
    await exited(child);
  });

  await t.test('the session starts', async () => {
    child.stdin.write(INITIALIZE);
    await waitFor(() => lines.length === 1, 'the initialize answer', 30_000);
  });

  const MALFORMED: Array<{ what: string; line: string; code: number; id: unknown; requestId: string; error: RegExp }> = [
    {
      what: 'params null',
      line: '{"jsonrpc":"2.0","id":11,"method":"tools/call","params":null}',
      code: -32602,
      id: 11,
      requestId: '11',
      error: /"params" must be an object/,
    },
    {
      what: 'params a string',
      line: '{"jsonrpc":"2.0","id":"s-12","method":"tools/call","params":"lookup_inventory"}',
      code: -32602,
      id: 's-12',
      requestId: 's-12',
      error: /"params" must be an object/,
    },
    {
      what: 'params an array',
      line: '{"jsonrpc":"2.0","id":13,"method":"tools/call","params":[1,2]}',
      code: -32602,
      id: 13,
      requestId: '13',
      error: /"params" must be an object/,
    },
    {
      what: 'an id that is an object',
      line: '{"jsonrpc":"2.0","id":{"a":1},"method":"tools/call","params":{"name":"lookup_inventory"}}',
      code: -32600,
      id: null,
      requestId: '{"a":1}',
      error: /"id" must be a string or an integer/,
    },
    {
      what: 'a fractional id',
      line: '{"jsonrpc":"2.0","id":1.5,"method":"tools/call","params":{"name":"lookup_inventory"}}',
      code: -32600,
      id: null,
      requestId: '1.5',
      error: /"id" must be/,
    },
    {
      what: 'a member JSON-RPC does not define',
      line: '{"jsonrpc":"2.0","id":16,"method":"tools/call","params":{"name":"lookup_inventory"},"extra":true}',
      code: -32600,
      id: 16,
      requestId: '16',
      error: /Unrecognized key/,
    },
    {
      what: '_meta not an object',
      line: '{"jsonrpc":"2.0","id":17,"method":"tools/call","params":{"name":"lookup_inventory","_meta":"x"}}',
      code: -32602,
      id: 17,
      requestId: '17',
      error: /"params._meta"/,
    },
    {
      what: 'jsonrpc 1.0',
      line: '{"jsonrpc":"1.0","id":18,"method":"tools/call","params":{"name":"lookup_inventory"}}',
      code: -32600,
      id: 18,
      requestId: '18',
      error: /"jsonrpc" must be "2.0"/,
    },
  ];

  for (const { what, line, code, id, requestId, error } of MALFORMED) {
    await t.test(`a tools/call with ${what} is recorded as failed before its ${code} answer`, async () => {
      const { answer, trail } = await exchange(line);
      assert.equal(answer.id, id);
      assert.equal(answer.error?.code, code);
      assert.match(answer.error.message, error);
      const records = trail.filter((record) => record.action === 'tool_call' && record.request_id === requestId);
      assert.equal(records.length, 1, `one record of request ${requestId}`);
      assert.equal(records[0]!.success, false);
      assert.equal(records[0]!.error, answer.error.message);
      assert.equal(records[0]!.transport, 'stdio');
    });
  }

  await t.test('a tools/call the SDK rejects in its own handler (no name, a name that is no string) is still recorded once', async () => {
    for (const [id, params] of [
      [21, { arguments: {} }],
      [22, { name: 42 }],
    ] as const) {
      const { answer, trail } = await exchange(jsonRpc(id, 'tools/call', params));
      assert.equal(answer.error?.code, -32602);
      assert.equal(trail.filter((record) => record.request_id === String(id)).length, 1);
    }
  });

  await t.test('a line that is not JSON gets a -32700 with id null and one protocol_violation record; the server goes on', async () => {
    const violations = (trail: AuditRecord[]) => trail.filter((record) => record.action === 'protocol_violation');
    const { answer, trail } = await exchange('{"jsonrpc":"2.0","id":30,"method":"tools/call",');
    assert.deepEqual(answer, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error: the message is not valid JSON' } });
    assert.equal(violations(trail).length, 1);
    assert.equal(violations(trail)[0]!.error, answer.error?.message);
    const next = await exchange(jsonRpc(31, 'tools/call', { name: 'lookup_inventory', arguments: { query: 'dock' } }));
    assert.equal(next.answer.id, 31);
    assert.equal(next.answer.result?.isError, undefined);
  });

  await t.test('a 24 MiB tools/call is recorded truncated and answered, and the next call is served', async () => {
    const { answer, trail } = await exchange(
      jsonRpc(40, 'tools/call', {
        name: 'create_ticket',
        arguments: { title: 'big', priority: 'P3', requester: 'lee', description: 'x'.repeat(24 * 1024 * 1024) },
      }),
    );
    assert.equal(answer.id, 40);
    const record = trail.find((entry) => entry.request_id === '40');
    assert.ok(record, 'the record is in the trail when the answer arrives');
    assert.equal(record.truncated, true);
    assert.ok(JSON.stringify(record).length < 16 * 1024, 'the record is small');
    const next = await exchange(jsonRpc(41, 'tools/call', { name: 'lookup_inventory', arguments: { query: 'dock' } }));
    assert.equal(next.answer.id, 41);
    assert.ok(next.trail.some((entry) => entry.request_id === '41' && entry.success));
  });

  await t.test('a batch, which MCP on stdio does not accept, gets an error for each request in it and a record for each tools/call', async () => {
    const batch = [
      JSON.parse(jsonRpc(50, 'tools/call', { name: 'lookup_inventory', arguments: { query: 'dock' } })),
      JSON.parse(jsonRpc(null, 'notifications/initialized')),
      { jsonrpc: '2.0', id: 51, method: 'tools/call', params: null },
    ];
    const { answer, trail } = await exchange(JSON.stringify(batch));
    const answers = answer as unknown as Answer[];
    assert.deepEqual(
      answers.map((entry) => [entry.id, entry.error?.code]),
      [
        [50, -32600],
        [51, -32602],
      ],
    );
    assert.match(answers[0]!.error?.message ?? '', /batch is not accepted/);
    assert.equal(trail.filter((record) => record.request_id === '50' && !record.success).length, 1);
    assert.equal(trail.filter((record) => record.request_id === '51' && !record.success).length, 1);
  });

  await t.test('the trail verifies', () => {
    verifies(dirs.logDir);
  });
});

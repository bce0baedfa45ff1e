import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

// Issue 16's peers, each spawned as the bench spawns it and called over stdio by the SDK client.
const benchServer = fileURLToPath(new URL('../../bench/bench-server.js', import.meta.url));

function linesOf(file: string): Array<Record<string, unknown>> {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function withPeer(
  variant: string,
  body: (client: Client, dir: string) => Promise<void>,
  t: { after(fn: () => void | Promise<void>): void },
): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-peer-'));
  const client = new Client({ name: 'peer-test', version: '0' });
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [benchServer, variant],
    env: { ...(process.env as Record<string, string>), BENCH_LOG_DIR: dir, BENCH_DATA_DIR: dir },
    stderr: 'pipe',
  });
  t.after(async () => {
    await client.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  await client.connect(transport);
  await body(client, dir);
  await client.close();
  return dir;
}

const echo = (index: number) => ({ name: 'bench_echo', arguments: { query: `monitor ${index}` } });
const seedFile = (dir: string): string => join(dir, `audit_${new Date().toISOString().slice(0, 10)}.jsonl`);

for (const [variant, file] of [
  ['peer:pino', (dir: string) => join(dir, 'pino.jsonl')],
  ['peer:seed-appendFile', seedFile],
] as const) {
  test(`${variant} has written each call's record when the call's answer arrives`, { timeout: 60_000 }, async (t) => {
    await withPeer(
      variant,
      async (client, dir) => {
        for (let index = 0; index < 5; index++) {
          await client.callTool(echo(index));
          const last = linesOf(file(dir)).at(-1);
          assert.equal(linesOf(file(dir)).length, index + 1);
          assert.deepEqual(last?.['input_summary'], { query: `monitor ${index}` });
          assert.equal(last?.['tool_name'], 'bench_echo');
          assert.equal(last?.['success'], true);
        }
        // Concurrent calls: the seed's mutex and pino's sync writes keep one whole line per call.
        await Promise.all(Array.from({ length: 20 }, (_, index) => client.callTool(echo(100 + index))));
        assert.equal(linesOf(file(dir)).length, 25);
      },
      t,
    );
  });
}

test('peer:otel-span exports one span per tool call to its file stream', { timeout: 60_000 }, async (t) => {
  const dir = await withPeer(
    'peer:otel-span',
    async (client) => {
      await Promise.all(Array.from({ length: 10 }, (_, index) => client.callTool(echo(index))));
    },
    t,
  );
  // The stream is flushed at shutdown; closing the client ends the server.
  const file = join(dir, 'spans.jsonl');
  for (let waited = 0; linesOf(file).length < 10 && waited < 10_000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
  const spans = linesOf(file);
  assert.equal(spans.length, 10);
  assert.deepEqual(new Set(spans.map((span) => (span['attributes'] as Record<string, unknown>)['mcp.tool.input'])).size, 10);
  assert.ok(spans.every((span) => span['name'] === 'tools/call bench_echo'));
});

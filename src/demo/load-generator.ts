// Drives the audited help-desk server over Streamable HTTP with a real MCP
// client, so the demo dashboards have data within a minute: successful
// calls, failures (bad arguments, unknown ticket, unknown tool), a blocked
// path-traversal attempt, and one request with a wrong token (auth failure).
//   MCP_URL (default http://127.0.0.1:3000/mcp), MCP_TOKEN, LOAD_INTERVAL_MS (default 500),
//   LOAD_DURATION_S (default 60; 0 runs until stopped), LOAD_ROUNDS (calls; default no limit).
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const url = new URL(process.env['MCP_URL'] ?? 'http://127.0.0.1:3000/mcp');
const token = process.env['MCP_TOKEN'];
const intervalMs = Number(process.env['LOAD_INTERVAL_MS'] ?? 500);
const durationS = Number(process.env['LOAD_DURATION_S'] ?? 60);
const rounds = Number(process.env['LOAD_ROUNDS'] ?? Infinity);
const log = (line: string): boolean => process.stderr.write(`loadgen: ${line}\n`);

const CALLS: Array<{ name: string; arguments: Record<string, unknown> }> = [
  { name: 'lookup_inventory', arguments: { query: 'monitor' } },
  { name: 'lookup_inventory', arguments: { query: 'thinkpad lapotp' } },
  { name: 'search_policies', arguments: { query: 'password reset' } },
  { name: 'create_ticket', arguments: { title: 'Printer repair', priority: 'P3', requester: 'kim' } },
  { name: 'create_ticket', arguments: { title: 'Monitor flickers', priority: 'P9' } },
  { name: 'get_ticket', arguments: { id: 'TCK-00000000' } },
  { name: 'lookup_inventory', arguments: { query: '../../etc/passwd' } },
  { name: 'delete_all_tickets', arguments: {} },
];

function transportFor(bearer: string | undefined): StreamableHTTPClientTransport {
  return new StreamableHTTPClientTransport(url, bearer ? { requestInit: { headers: { Authorization: `Bearer ${bearer}` } } } : {});
}

async function connectWithRetry(): Promise<Client> {
  for (let attempt = 1; ; attempt++) {
    const client = new Client({ name: 'helpdesk-loadgen', version: '0.1.0' });
    try {
      await client.connect(transportFor(token));
      return client;
    } catch (error) {
      if (attempt >= 30) throw error;
      log(`server not ready (${error instanceof Error ? error.message : String(error)}); retrying`);
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
}

async function main(): Promise<void> {
  const client = await connectWithRetry();
  log(`connected to ${url.href}`);
  const stopAt = durationS > 0 ? Date.now() + durationS * 1000 : Infinity;
  let round = 0;
  let calls = 0;
  let failures = 0;
  while (Date.now() < stopAt && round < rounds) {
    const call = CALLS[round % CALLS.length]!;
    const result = await client.callTool(call).catch((error: unknown) => ({ isError: true, error }));
    calls += 1;
    if ((result as { isError?: boolean }).isError) failures += 1;
    // Now and then a client with a wrong token: the server answers 401 and records an auth failure.
    if (token && round % 25 === 24) {
      await new Client({ name: 'intruder', version: '0' }).connect(transportFor('not-a-valid-token')).catch(() => undefined);
    }
    if (round % 100 === 99) log(`${calls} calls, ${failures} failed as intended`);
    round += 1;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  await client.close();
  log(`done: ${calls} calls, ${failures} failed as intended`);
}

main().catch((error: unknown) => {
  log(`failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

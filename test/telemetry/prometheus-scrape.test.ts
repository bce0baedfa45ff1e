import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/free-port.js';
import { spawnStdioServer } from '../support/spawned-server.js';
import { makeTempDir } from '../support/trail-files.js';

const PROMETHEUS = '/usr/bin/prometheus';
const DASHBOARD = fileURLToPath(new URL('../../../grafana/dashboards/mcp-tool-calls.json', import.meta.url));
const CALLED_TOOLS = ['lookup_inventory', 'create_ticket', 'search_policies'];

interface Dashboard {
  panels: Array<{ datasource: { uid: string }; targets: Array<{ expr: string }> }>;
}
interface QueryResult {
  status: string;
  data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
}

function dashboardPromQl(): string[] {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
  return dashboard.panels.filter((panel) => panel.datasource.uid === 'prometheus').flatMap((panel) => panel.targets.map((target) => target.expr));
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

test('a real Prometheus scrapes the metrics endpoint and the dashboard PromQL returns series for every tool called', async (t) => {
  if (!existsSync(PROMETHEUS)) {
    // .ci/run installs it: in CI its absence is a failure, not a skip.
    if (process.env['CI']) throw new Error(`${PROMETHEUS} is not installed`);
    t.skip(`${PROMETHEUS} is not installed: .ci/run installs it with "apt-get install -y --no-install-recommends prometheus"`);
    return;
  }
  const metricsPort = await freePort();
  const server = await spawnStdioServer({ AUDIT_LOG_DIR: makeTempDir('prometheus-trail'), PROMETHEUS_PORT: String(metricsPort) });
  t.after(() => server.close());

  const dir = makeTempDir('prometheus');
  writeFileSync(
    join(dir, 'prometheus.yml'),
    [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      'scrape_configs:',
      '  - job_name: it-helpdesk',
      `    static_configs: [{ targets: ["127.0.0.1:${metricsPort}"] }]`,
      '',
    ].join('\n'),
  );
  const webPort = await freePort();
  const prometheus = spawn(
    PROMETHEUS,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${webPort}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  t.after(() => void prometheus.kill('SIGTERM'));
  const query = async (expr: string): Promise<QueryResult['data']['result']> => {
    const response = await fetch(`http://127.0.0.1:${webPort}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await response.json()) as QueryResult;
    assert.equal(body.status, 'success', `${expr}: ${JSON.stringify(body)}`);
    return body.data.result;
  };
  await until('the first scrape', async () => ((await query('up{job="it-helpdesk"} == 1')).length === 1 ? true : undefined));

  // Rounds of calls a few scrapes apart: a rate needs an increase between two samples of a series.
  for (let round = 0; round < 3; round++) {
    if (round > 0) await new Promise((resolve) => setTimeout(resolve, 1500));
    await server.client.callTool({ name: 'lookup_inventory', arguments: { query: 'monitor' } });
    await server.client.callTool({ name: 'lookup_inventory', arguments: { query: '../../etc/passwd' } });
    await server.client.callTool({ name: 'create_ticket', arguments: { title: 'Printer repair', priority: 'P3' } });
    await server.client.callTool({ name: 'create_ticket', arguments: { title: 'Broken', priority: 'P9' } });
    await server.client.callTool({ name: 'search_policies', arguments: { query: 'password' } });
  }
  const exposition = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  assert.match(exposition, /mcp_server_operation_duration_bucket\{[^}]*gen_ai_tool_name="lookup_inventory"/);
  assert.match(exposition, /error_type="tool_error"/);

  const queries = dashboardPromQl().map((expr) => expr.replaceAll('$__rate_interval', '1m'));
  assert.equal(queries.length, 5);
  for (const expr of queries) {
    await until(`series for ${CALLED_TOOLS.join(', ')} from ${expr}`, async () => {
      const result = await query(expr);
      const tools = new Set(result.filter((entry) => Number(entry.value[1]) >= 0).map((entry) => entry.metric['gen_ai_tool_name']));
      return CALLED_TOOLS.every((tool) => tools.has(tool)) ? result : undefined;
    });
  }
  for (const entry of await query(queries[0]!)) assert.ok(Number(entry.value[1]) > 0, `calls/s of ${entry.metric['gen_ai_tool_name']}`);
  // Every tool called failed in 2 of 5 calls or none: the error ratio tells them apart.
  const ratio = await query(queries[1]!);
  const byTool = Object.fromEntries(ratio.map((entry) => [entry.metric['gen_ai_tool_name'], Number(entry.value[1])]));
  assert.ok(byTool['lookup_inventory']! > 0 && byTool['create_ticket']! > 0);
  assert.equal(byTool['search_policies'], 0);
});

import assert from 'node:assert/strict';
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { CLI_PATH, runCli, shell, spawn } from '../support/cli.js';
import { makeTempDir } from '../support/trail-files.js';

/**
 * A trail of two days: the first gzipped (rotated), the second plain with an
 * invalid line in the middle and a torn last line. Every number the CLI
 * prints is compared with the seed's jq recipes (jq as the independent
 * oracle) run over the same files.
 */
const dir = makeTempDir('cli-commands');
const TOOLS = ['lookup_inventory', 'create_ticket', 'get_ticket', 'search_policies'];
const ACTORS = ['alice', 'bob', 'carol'];
const PLAIN = 'audit_2026-01-15.jsonl';
const GZIPPED = 'audit_2026-01-14.jsonl.gz';
let invalidLine = 0;
let tornLine = 0;

function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

function dayOfRecords(date: string, count: number, next: () => number): string[] {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const at = new Date(Date.parse(`${date}T00:00:00Z`) + Math.floor((i / count) * 86_400_000)).toISOString();
    const session = `s-${Math.floor(i / 50)}`;
    const actor = ACTORS[Math.floor(next() * ACTORS.length)]!;
    if (i % 50 === 0) {
      lines.push(
        JSON.stringify({
          timestamp: at,
          action: 'session_start',
          tool_name: null,
          input_summary: {},
          result_summary: 'protocol x',
          success: true,
          error: null,
          duration_ms: 0.2,
          session_id: session,
          actor,
        }),
      );
      continue;
    }
    const tool = next() < 0.02 ? null : TOOLS[Math.floor(next() * TOOLS.length)]!;
    const success = next() > 0.15;
    lines.push(
      JSON.stringify({
        timestamp: at,
        action: 'tool_call',
        tool_name: tool,
        input_summary: { query: `q${i}, "quoted"` },
        result_summary: success ? 'Found 3 items' : null,
        success,
        error: success ? null : '=HYPERLINK("x") failed',
        duration_ms: Math.round(next() * 200_000) / 1000,
        session_id: session,
        actor,
      }),
    );
  }
  return lines;
}

before(() => {
  const next = random(42);
  writeFileSync(join(dir, GZIPPED), gzipSync(dayOfRecords('2026-01-14', 1500, next).join('\n') + '\n'));
  const plain = dayOfRecords('2026-01-15', 1500, next);
  plain.splice(700, 0, 'this is not json');
  invalidLine = 701;
  tornLine = plain.length + 1;
  writeFileSync(join(dir, PLAIN), plain.join('\n') + '\n' + '{"timestamp":"2026-01-15T23:59:59.999Z","action":"tool_ca');
  writeFileSync(join(dir, 'notes.txt'), 'not part of the trail');
});

/** The valid records of the trail through jq, skipping damaged lines the way `fromjson?` does. */
const JQ_RECORDS = `(zcat ${GZIPPED}; cat ${PLAIN}) | jq -cR 'fromjson? // empty'`;

function jqLines(filter: string): string[] {
  return shell(`${JQ_RECORDS} | jq -c '${filter}'`, dir).split('\n').filter(Boolean);
}

test('stats agrees with the seed jq recipes: calls per tool, failures, mean and percentiles', () => {
  const run = runCli(['stats', '--dir', dir, '--json']);
  assert.equal(run.status, 0, run.stderr);
  const stats = JSON.parse(run.stdout) as { tools: Array<Record<string, number | string | null>>; total: Record<string, number> };

  // The seed's "calls per tool": jq -r '.tool_name' | sort | uniq -c | sort -rn (on tool calls).
  const perTool = shell(`${JQ_RECORDS} | jq -r 'select(.action == "tool_call") | .tool_name' | sort | uniq -c | sort -rn`, dir);
  const expectedCalls = new Map(
    perTool
      .trim()
      .split('\n')
      .map((line) => {
        const [count, name] = line.trim().split(/\s+/);
        return [name === 'null' ? null : name!, Number(count)];
      }),
  );
  assert.deepEqual(new Map(stats.tools.map((tool) => [tool['tool'], tool['calls']])), expectedCalls);

  // The seed's "mean duration": jq '.duration_ms' | awk '{s+=$1; n++} END {print s/n}'.
  const mean = Number(shell(`${JQ_RECORDS} | jq 'select(.action == "tool_call") | .duration_ms' | awk '{s+=$1; n++} END {printf "%.6f", s/n}'`, dir));
  assert.ok(Math.abs(stats.total['mean_ms']! - mean) < 1e-5, `${stats.total['mean_ms']} vs ${mean}`);

  // Failures and nearest-rank percentiles per tool, computed by jq over the same records.
  const oracle = JSON.parse(
    shell(
      `${JQ_RECORDS} | jq -s '[.[] | select(.action == "tool_call")] | group_by(.tool_name) | map({
      tool: .[0].tool_name, failures: (map(select(.success == false)) | length),
      p50: (map(.duration_ms) | sort | .[((length * 0.50) | ceil) - 1]),
      p95: (map(.duration_ms) | sort | .[((length * 0.95) | ceil) - 1]),
      p99: (map(.duration_ms) | sort | .[((length * 0.99) | ceil) - 1]) })'`,
      dir,
    ),
  ) as Array<Record<string, unknown>>;
  for (const expected of oracle) {
    const actual = stats.tools.find((tool) => tool['tool'] === expected['tool'])!;
    assert.deepEqual(
      [actual['failures'], actual['p50_ms'], actual['p95_ms'], actual['p99_ms']],
      [expected['failures'], expected['p50'], expected['p95'], expected['p99']],
      String(expected['tool']),
    );
  }
  assert.equal(stats.total['failures'], jqLines('select(.action == "tool_call" and .success == false)').length);
});

test('damaged lines are reported with file:line on stderr and do not stop the read', () => {
  const run = runCli(['stats', '--dir', dir]);
  assert.equal(run.status, 0);
  assert.match(run.stderr, new RegExp(`${PLAIN}:${invalidLine}: skipped invalid JSON`));
  assert.match(run.stderr, new RegExp(`${PLAIN}:${tornLine}: skipped torn line`));
  // The default output is a table a human reads, without colour escapes when not on a terminal.
  assert.match(run.stdout, /^tool\s+calls\s+failures\s+error %\s+mean ms\s+p50 ms\s+p95 ms\s+p99 ms$/m);
  assert.match(run.stdout, /^all tools\s+\d+/m);
  assert.doesNotMatch(run.stdout, /\x1b\[/);
});

test('failures --json gives exactly jq select(.success == false), in order', () => {
  const run = runCli(['failures', '--dir', dir, '--json']);
  assert.equal(run.status, 0, run.stderr);
  const actual = run.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
  const expected = jqLines('select(.success == false)').map((line) => JSON.parse(line));
  assert.ok(expected.length > 100);
  assert.deepEqual(actual, expected);
});

test('query combines --tool --actor --session --action --since --until --failed like the jq select it replaces', () => {
  const cases: Array<[string[], string]> = [
    [['--tool', 'create_ticket', '--actor', 'bob'], 'select(.tool_name == "create_ticket" and .actor == "bob")'],
    [['--session', 's-3', '--failed'], 'select(.session_id == "s-3" and .success == false)'],
    [['--action', 'session_start'], 'select(.action == "session_start")'],
    [
      ['--since', '2026-01-14T12:00:00Z', '--until', '2026-01-15T06:00:00Z', '--tool', 'get_ticket'],
      'select(.timestamp >= "2026-01-14T12:00:00" and .timestamp < "2026-01-15T06:00:00" and .tool_name == "get_ticket")',
    ],
    [['--since', '2026-01-15'], 'select(.timestamp >= "2026-01-15")'],
  ];
  for (const [args, jq] of cases) {
    const run = runCli(['query', '--dir', dir, '--json', ...args]);
    assert.equal(run.status, 0, run.stderr);
    const actual = run.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
    const expected = jqLines(jq).map((line) => JSON.parse(line));
    assert.ok(expected.length > 0, jq);
    assert.deepEqual(actual, expected, args.join(' '));
  }
  const table = runCli(['query', '--dir', dir, '--tool', 'get_ticket', '--limit', '3']);
  assert.equal(table.stdout.trim().split('\n').length, 4);
  assert.match(table.stdout.split('\n')[0]!, /^timestamp\s+action\s+tool\s+ok\s+ms\s+actor\s+session\s+error \/ result$/);
});

test('export --format json is the jq -s array; csv has one row per record, quoted and formula-safe', () => {
  const json = runCli(['export', '--dir', dir, '--format', 'json', '--tool', 'search_policies']);
  assert.equal(json.status, 0, json.stderr);
  assert.deepEqual(JSON.parse(json.stdout), JSON.parse(shell(`${JQ_RECORDS} | jq -s 'map(select(.tool_name == "search_policies"))'`, dir)));

  const csv = runCli(['export', '--dir', dir, '--format', 'csv']);
  assert.equal(csv.status, 0, csv.stderr);
  const rows = csv.stdout.split('\r\n').filter(Boolean);
  assert.equal(rows.length - 1, jqLines('.').length);
  assert.match(rows[0]!, /^timestamp,action,tool_name,input_summary,result_summary,success,error,duration_ms,/);
  // Nested JSON is quoted with doubled quotes; a cell starting with = is defused with an apostrophe.
  assert.ok(rows.some((row) => row.includes('"{""query"":""q') && row.includes(`"'=HYPERLINK(""x"") failed"`)));
  assert.equal(runCli(['export', '--dir', dir, '--format', 'xml']).status, 2);
});

test('every command answers --help, and bad usage exits 2 with a hint', () => {
  for (const command of ['stats', 'failures', 'query', 'tail', 'export']) {
    const run = runCli([command, '--help']);
    assert.equal(run.status, 0, command);
    assert.match(run.stdout, new RegExp(`^Usage: mcp-audit ${command}`), command);
  }
  assert.match(runCli(['--help']).stdout, /stats .*\n.*failures/s);
  const bad = runCli(['query', '--since', 'yesterday-ish', '--dir', dir]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--since: cannot read "yesterday-ish" as a time/);
  assert.equal(runCli(['frobnicate']).status, 2);
});

test('--dir accepts backslash separators', () => {
  const backslashed = dir.split('/').join('\\');
  const run = runCli(['query', '--dir', backslashed, '--action', 'session_start', '--json', '--limit', '1']);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(JSON.parse(run.stdout).action, 'session_start');
});

test('tail -n shows the last records; tail -f prints a line appended after it starts, and follows into the next day', async () => {
  const last = runCli(['tail', '-n', '2', '--dir', dir, '--json']);
  assert.deepEqual(
    last.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line)),
    jqLines('.')
      .slice(-2)
      .map((line) => JSON.parse(line)),
  );

  const followDir = makeTempDir('cli-tail');
  const today = join(followDir, 'audit_2026-01-15.jsonl');
  writeFileSync(
    today,
    JSON.stringify({ timestamp: '2026-01-15T10:00:00.000Z', action: 'tool_call', tool_name: 'old', success: true, duration_ms: 1 }) + '\n',
  );
  const child = spawn(process.execPath, [CLI_PATH, 'tail', '-f', '-n', '0', '--interval', '50', '--json', '--dir', followDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let errors = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (errors += chunk));
  const waitFor = async (text: string, stream: () => string = () => output) => {
    for (let i = 0; i < 200 && !stream().includes(text); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(stream().includes(text), `tail -f did not print ${text}; got: ${stream()}`);
  };
  try {
    // Appending before tail has taken its starting point would make the line "old": wait until it says it follows.
    await waitFor('following', () => errors);
    appendFileSync(
      today,
      JSON.stringify({ timestamp: '2026-01-15T23:59:59.000Z', action: 'tool_call', tool_name: 'appended', success: true, duration_ms: 2 }) + '\n',
    );
    await waitFor('"appended"');
    writeFileSync(
      join(followDir, 'audit_2026-01-16.jsonl'),
      JSON.stringify({ timestamp: '2026-01-16T00:00:00.100Z', action: 'tool_call', tool_name: 'next_day', success: true, duration_ms: 3 }) + '\n',
    );
    await waitFor('"next_day"');
    assert.ok(!output.includes('"old"'), 'with -n 0 the existing record is not shown');
  } finally {
    child.kill();
  }
});

test('colour on a terminal only, and never with NO_COLOR', {
  skip: !existsSync('/usr/bin/script') && 'needs script(1) for a pseudo-terminal',
}, () => {
  // script(1) gives the CLI a real pseudo-terminal as stdout.
  const onTerminal = (env: string) => shell(`${env} script -qec "${process.execPath} ${CLI_PATH} failures --dir ${dir} --limit 1" /dev/null`, dir);
  assert.match(onTerminal(''), /\x1b\[31m/);
  assert.doesNotMatch(onTerminal('NO_COLOR=1'), /\x1b\[/);
});

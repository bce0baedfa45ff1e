import { TOOL_CALL_ACTION } from '../../audit/record/audit-record.js';
import { defineCommand, DIR_HELP, HELP_HELP, JSON_HELP } from '../command-line.js';
import { DurationSeries } from '../duration-stats.js';
import { readTrailRecords } from '../record-reader.js';
import { FILTER_HELP, FILTER_OPTIONS, RecordFilter } from '../record-filter.js';
import { painter, renderTable, writeOut } from '../output.js';

const HELP = `Usage: mcp-audit stats [DIR] [options]

Per tool: calls, failures, error %, mean and p50/p95/p99 duration (ms, nearest rank).
Counts tool_call records unless --action says otherwise. With --json:
{"tools":[{"tool","calls","failures","error_rate" (0..1),"mean_ms","p50_ms",
"p95_ms","p99_ms"}],"total":{...},"first_timestamp","last_timestamp"}.

${DIR_HELP}
${JSON_HELP}
${HELP_HELP}
${FILTER_HELP}
`;

interface ToolStats {
  tool: string | null;
  calls: number;
  failures: number;
  error_rate: number;
  mean_ms: number | null;
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
}

class ToolAccumulator {
  failures = 0;
  readonly durations = new DurationSeries();

  summary(tool: string | null): ToolStats {
    const calls = this.durations.size;
    const [p50, p95, p99] = this.durations.percentiles([50, 95, 99]);
    return {
      tool,
      calls,
      failures: this.failures,
      error_rate: calls === 0 ? 0 : this.failures / calls,
      mean_ms: this.durations.mean,
      p50_ms: p50 ?? null,
      p95_ms: p95 ?? null,
      p99_ms: p99 ?? null,
    };
  }
}

const ms = (value: number | null): string => (value === null ? '-' : value.toFixed(2));

export const statsCommand = defineCommand({
  summary: 'calls, failures, error % and latency percentiles per tool',
  help: HELP,
  options: FILTER_OPTIONS,
  trail: true,
  json: true,
  async run({ values, trail }) {
    const filter = new RecordFilter({ ...values, action: values.action ?? TOOL_CALL_ACTION });
    const dir = trail();
    const byTool = new Map<string | null, ToolAccumulator>();
    const all = new ToolAccumulator();
    let first: string | null = null;
    let last: string | null = null;
    for await (const { record } of readTrailRecords(dir, { skipFile: filter.skipFile })) {
      if (!filter.matches(record)) continue;
      let tool = byTool.get(record.tool_name);
      if (!tool) byTool.set(record.tool_name, (tool = new ToolAccumulator()));
      const duration = typeof record.duration_ms === 'number' ? record.duration_ms : 0;
      for (const accumulator of [tool, all]) {
        accumulator.durations.add(duration);
        if (!record.success) accumulator.failures++;
      }
      if (first === null || record.timestamp < first) first = record.timestamp;
      if (last === null || record.timestamp > last) last = record.timestamp;
    }
    const tools = [...byTool]
      .map(([name, accumulator]) => accumulator.summary(name))
      .sort((a, b) => b.calls - a.calls || String(a.tool).localeCompare(String(b.tool)));
    const total = all.summary(null);

    if (values.json) {
      await writeOut(JSON.stringify({ tools, total, first_timestamp: first, last_timestamp: last }, null, 2) + '\n');
      return 0;
    }
    if (tools.length === 0) {
      await writeOut('No matching records.\n');
      return 0;
    }
    const { red, dim } = painter();
    const rows = [...tools, total].map((stats, index) => [
      index === tools.length ? 'all tools' : (stats.tool ?? '(no name)'),
      String(stats.calls),
      String(stats.failures),
      `${(stats.error_rate * 100).toFixed(1)}%`,
      ms(stats.mean_ms),
      ms(stats.p50_ms),
      ms(stats.p95_ms),
      ms(stats.p99_ms),
    ]);
    const table = renderTable(
      [
        { header: 'tool' },
        { header: 'calls', align: 'right' },
        { header: 'failures', align: 'right' },
        { header: 'error %', align: 'right' },
        { header: 'mean ms', align: 'right' },
        { header: 'p50 ms', align: 'right' },
        { header: 'p95 ms', align: 'right' },
        { header: 'p99 ms', align: 'right' },
      ],
      rows,
      (row, column, text) => (row === tools.length ? dim(text) : column === 2 && rows[row]![2] !== '0' ? red(text) : text),
    );
    await writeOut(`${table}${dim(`${first} .. ${last}`)}\n`);
    return 0;
  },
});

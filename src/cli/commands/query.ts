import { positiveInteger } from '../args.js';
import { defineCommand, DIR_HELP, HELP_HELP, JSON_HELP } from '../command-line.js';
import { readTrailRecords } from '../record-reader.js';
import { FILTER_HELP, FILTER_OPTIONS, RecordFilter, type FilterValues } from '../record-filter.js';
import { recordHeaderLine, recordLine } from '../record-rows.js';
import { writeOut } from '../output.js';

const HELP = `Usage: mcp-audit query [DIR] [options]

Prints the records that match every filter, oldest first: one line each,
or with --json the records themselves, one JSON object per line (JSONL).

${DIR_HELP}
${JSON_HELP}
${HELP_HELP}
  --limit N          stop after N records
${FILTER_HELP}
`;

export const queryCommand = defineCommand({
  summary: 'records matching --tool --since --until --session --actor --action --failed',
  help: HELP,
  options: { ...FILTER_OPTIONS, limit: { type: 'string' } },
  trail: true,
  json: true,
  run: ({ values, trail }) => printMatching(trail, values, positiveInteger(values.limit, '--limit', Infinity)),
});

/** Streams matching records to stdout; shared with `failures`. */
export async function printMatching(trail: () => string, values: QueryValues, limit: number): Promise<number> {
  const filter = new RecordFilter(values);
  const dir = trail();
  let printed = 0;
  if (!values.json) await writeOut(recordHeaderLine() + '\n');
  for await (const { record } of readTrailRecords(dir, { skipFile: filter.skipFile })) {
    if (printed >= limit) break;
    if (!filter.matches(record)) continue;
    await writeOut((values.json ? JSON.stringify(record) : recordLine(record)) + '\n');
    printed++;
  }
  if (!values.json) process.stderr.write(`${printed} record(s)\n`);
  return 0;
}

export interface QueryValues extends FilterValues {
  json?: boolean | undefined;
}

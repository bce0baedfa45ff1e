import { parseCommandArgs, positiveInteger } from '../args.js';
import type { Command } from '../command.js';
import { readTrailRecords } from '../record-reader.js';
import { FILTER_HELP, FILTER_OPTIONS, RecordFilter, type FilterValues } from '../record-filter.js';
import { recordHeaderLine, recordLine } from '../record-rows.js';
import { COMMON_HELP, COMMON_OPTIONS, trailDirectory, writeOut } from '../output.js';

const HELP = `Usage: mcp-audit query [options]

Prints the records that match every filter, oldest first: one line each,
or with --json the records themselves, one JSON object per line (JSONL).

${COMMON_HELP}
  --limit N          stop after N records
${FILTER_HELP}
`;

export const queryCommand: Command = {
  summary: 'records matching --tool --since --until --session --actor --action --failed',
  async run(argv) {
    const { values } = parseCommandArgs(argv, { ...COMMON_OPTIONS, ...FILTER_OPTIONS, limit: { type: 'string' } });
    if (values.help) {
      await writeOut(HELP);
      return 0;
    }
    return printMatching(values, positiveInteger(values.limit, '--limit', Infinity));
  },
};

/** Streams matching records to stdout; shared with `failures`. */
export async function printMatching(values: QueryValues, limit: number): Promise<number> {
  const filter = new RecordFilter(values);
  let printed = 0;
  if (!values.json) await writeOut(recordHeaderLine() + '\n');
  for await (const { record } of readTrailRecords(trailDirectory(values.dir), { skipFile: filter.skipFile })) {
    if (printed >= limit) break;
    if (!filter.matches(record)) continue;
    await writeOut((values.json ? JSON.stringify(record) : recordLine(record)) + '\n');
    printed++;
  }
  if (!values.json) process.stderr.write(`${printed} record(s)\n`);
  return 0;
}

export interface QueryValues extends FilterValues {
  dir?: string | undefined;
  json?: boolean | undefined;
}

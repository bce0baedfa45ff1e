import { parseCommandArgs, positiveInteger } from '../args.js';
import type { Command } from '../command.js';
import { FILTER_HELP, FILTER_OPTIONS } from '../record-filter.js';
import { COMMON_HELP, COMMON_OPTIONS, writeOut } from '../output.js';
import { printMatching } from './query.js';

const HELP = `Usage: mcp-audit failures [options]

Every record with success == false (failed tool calls, refused sessions,
auth failures), oldest first; the same as \`jq 'select(.success == false)'\`.
With --json, the records themselves as JSONL.

${COMMON_HELP}
  --limit N          stop after N records
${FILTER_HELP}
`;

export const failuresCommand: Command = {
  summary: 'failed calls and events (success == false)',
  async run(argv) {
    const { values } = parseCommandArgs(argv, { ...COMMON_OPTIONS, ...FILTER_OPTIONS, limit: { type: 'string' } });
    if (values.help) {
      await writeOut(HELP);
      return 0;
    }
    return printMatching({ ...values, failed: true }, positiveInteger(values.limit, '--limit', Infinity));
  },
};

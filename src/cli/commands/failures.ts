import { positiveInteger } from '../args.js';
import { defineCommand, DIR_HELP, HELP_HELP, JSON_HELP } from '../command-line.js';
import { FILTER_HELP, FILTER_OPTIONS } from '../record-filter.js';
import { printMatching } from './query.js';

const HELP = `Usage: mcp-audit failures [DIR] [options]

Every record with success == false (failed tool calls, refused sessions,
auth failures), oldest first; the same as \`jq 'select(.success == false)'\`.
With --json, the records themselves as JSONL.

${DIR_HELP}
${JSON_HELP}
${HELP_HELP}
  --limit N          stop after N records
${FILTER_HELP}
`;

export const failuresCommand = defineCommand({
  summary: 'failed calls and events (success == false)',
  help: HELP,
  options: { ...FILTER_OPTIONS, limit: { type: 'string' } },
  trail: true,
  json: true,
  run: ({ values, trail }) => printMatching(trail, { ...values, failed: true }, positiveInteger(values.limit, '--limit', Infinity)),
});

import { asksForHelp, parseCommandArgs, type Options, type ParsedArgs } from './args.js';
import type { Command } from './command.js';
import { writeOut } from './output.js';
import { chooseTrailDirectory, requireTrail } from './trail-directory.js';

/**
 * The shared argument layer: every command is declared here and gets the same conventions: `-h`/`--help`
 * prints its help on stdout (exit 0) whatever else is on the line; an unknown option, a missing value or a
 * stray argument is a usage error (main prints it with the usage line, exit 2); a command with `trail`
 * takes the trail directory as DIR or --dir (then $AUDIT_LOG_DIR, then ./logs) and does not run when
 * nothing is there; a command with `json` takes --json.
 */
const CONVENTION = {
  help: { type: 'boolean', short: 'h' },
  dir: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export const DIR_HELP = '  DIR, --dir DIR     trail directory (default: $AUDIT_LOG_DIR, else ./logs); / and \\ both work';
export const JSON_HELP = '  --json             machine-readable output';
export const HELP_HELP = '  -h, --help         this help';

export interface Invocation<T extends Options> {
  values: ParsedArgs<T & typeof CONVENTION>['values'];
  /**
   * The trail directory (commands with `trail`), resolved and checked to be there: called once the command has
   * checked its options, so that a usage error is reported before a missing directory.
   */
  trail(): string;
  /** What the command takes after its options (the proxy's server command); empty for the others. */
  operands: string[];
}

export interface CommandSpec<T extends Options> {
  summary: string;
  /** The full --help text; its first paragraph is the usage shown under usage errors. */
  help: string;
  /** The command's own options; --help always, --dir with `trail` and --json with `json` are added. */
  options: T;
  trail?: boolean;
  /** Whether this run may start on an existing directory with no trail yet (tail -f waits for the first file). */
  emptyTrailIsFine?(values: Invocation<T>['values']): boolean;
  json?: boolean;
  /** Splits the line into options and operands, for a command that passes words on (proxy). */
  operands?(argv: string[]): { options: string[]; operands: string[] };
  ownsStdout?: boolean;
  run(invocation: Invocation<T>): Promise<number>;
}

export function defineCommand<const T extends Options>(spec: CommandSpec<T>): Command {
  const options = {
    ...spec.options,
    help: CONVENTION.help,
    ...(spec.trail ? { dir: CONVENTION.dir } : {}),
    ...(spec.json ? { json: CONVENTION.json } : {}),
  } as T & typeof CONVENTION;
  return {
    summary: spec.summary,
    usage: spec.help.split('\n\n')[0]!,
    ...(spec.ownsStdout ? { ownsStdout: true } : {}),
    async run(argv) {
      const { options: optionWords, operands } = spec.operands?.(argv) ?? { options: argv, operands: [] };
      if (asksForHelp(optionWords)) {
        await writeOut(spec.help.endsWith('\n') ? spec.help : `${spec.help}\n`);
        return 0;
      }
      const { values, positionals } = parseCommandArgs(optionWords, options, spec.trail ? 1 : 0);
      const trail = () => {
        const chosen = chooseTrailDirectory(positionals[0], (values as { dir?: string }).dir);
        requireTrail(chosen, spec.emptyTrailIsFine?.(values) ?? false);
        return chosen.path;
      };
      return spec.run({ values, trail, operands });
    },
  };
}

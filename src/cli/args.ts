import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './command.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

export type ParsedArgs<T extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: true }>>;

/** `--help` and `-h` anywhere before a `--` ask for help, whatever else the line holds. */
export function asksForHelp(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
}

/**
 * node:util parseArgs in strict mode, after a look at its tokens that turns each mistake into a plain
 * sentence (`unknown option --bogus`, `--dir needs a value`) instead of parseArgs' own wording.
 */
export function parseCommandArgs<const T extends Options>(argv: string[], options: T, maxPositionals = 0): ParsedArgs<T> {
  const { tokens } = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  let positionals = 0;
  for (const token of tokens) {
    if (token.kind === 'positional' && ++positionals > maxPositionals) throw new UsageError(`unexpected argument "${token.value}"`);
    if (token.kind !== 'option') continue;
    const option = Object.hasOwn(options, token.name) ? options[token.name] : undefined;
    if (!option) throw new UsageError(`unknown option ${token.rawName}`);
    if (option.type === 'boolean' && token.value !== undefined) throw new UsageError(`${token.rawName} takes no value`);
    if (option.type === 'string' && (token.value === undefined || token.value === '')) throw new UsageError(`${token.rawName} needs a value`);
    if (option.type === 'string' && !token.inlineValue && token.value!.startsWith('-')) {
      throw new UsageError(
        `${token.rawName} needs a value, got the option "${token.value}" (write --${token.name}=${token.value} if that is the value)`,
      );
    }
  }
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (error) {
    // Not expected after the checks above; parseArgs' own words are still better than a stack trace.
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

export function positiveInteger(value: string | undefined, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) throw new UsageError(`${option}: expected a whole number, got "${value}"`);
  return number;
}

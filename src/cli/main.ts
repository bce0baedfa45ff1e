#!/usr/bin/env node
// mcp-audit: questions about an audit trail. Each command lives in its own
// file under commands/; this is only the table and the help text.
import { runVerify } from './commands/verify.js';

interface Command {
  summary: string;
  run(argv: string[]): Promise<number>;
}

const commands: Record<string, Command> = {
  verify: { summary: 'check the trail has not been edited, cut or reordered (exit 0 only if intact)', run: runVerify },
};

function help(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  const rows = Object.entries(commands).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`);
  return `Usage: mcp-audit <command> [options]   (mcp-audit <command> --help for its options)\n\nCommands:\n${rows.join('\n')}\n`;
}

const [name, ...argv] = process.argv.slice(2);
if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
  process.stdout.write(help());
  process.exitCode = name === undefined ? 2 : 0;
} else if (!Object.hasOwn(commands, name)) {
  process.stderr.write(`mcp-audit: unknown command "${name}"\n${help()}`);
  process.exitCode = 2;
} else {
  process.exitCode = await commands[name]!.run(argv);
}

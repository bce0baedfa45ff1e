#!/usr/bin/env node
// mcp-audit: answers questions about an MCP audit trail. A table of
// subcommands, each in its own file; no OpenTelemetry SDK is loaded here
// (`proxy` loads it when it runs).
import { exportCommand } from './commands/export.js';
import { failuresCommand } from './commands/failures.js';
import { keygenCommand } from './commands/keygen.js';
import { proveCommand } from './commands/prove.js';
import { proxyCommand } from './commands/proxy.js';
import { queryCommand } from './commands/query.js';
import { statsCommand } from './commands/stats.js';
import { tailCommand } from './commands/tail.js';
import { verifyCommand } from './commands/verify.js';
import { verifyProofCommand } from './commands/verify-proof.js';
import { UsageError, type Command } from './command.js';

const commands: Record<string, Command> = {
  stats: statsCommand,
  failures: failuresCommand,
  query: queryCommand,
  tail: tailCommand,
  export: exportCommand,
  verify: verifyCommand,
  keygen: keygenCommand,
  prove: proveCommand,
  'verify-proof': verifyProofCommand,
  proxy: proxyCommand,
};

function help(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  const lines = Object.entries(commands).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`);
  return `Usage: mcp-audit <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun \`mcp-audit <command> --help\` for a command's options.\n`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help());
    return name === undefined ? 2 : 0;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command) {
    process.stderr.write(`mcp-audit: unknown command "${name}"\n\n${help()}`);
    return 2;
  }
  if (!command.ownsStdout) {
    // `mcp-audit query | head` closes the pipe early: that is the reader's choice, not an error.
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(0);
      throw error;
    });
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`mcp-audit ${name}: ${error.message}\nRun \`mcp-audit ${name} --help\` for usage.\n`);
      return 2;
    }
    process.stderr.write(`mcp-audit ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));

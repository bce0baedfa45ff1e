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
import { CannotRunError, EXIT, UsageError, type Command } from './command.js';

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

const CONVENTION = `A command that reads the trail takes its directory as DIR or --dir DIR (default:
$AUDIT_LOG_DIR, else ./logs), and --json for output a program reads.
Exit status: 0 ok, 1 a finding (verify found a problem, a proof does not
hold), 2 could not run (a usage error, no trail in the directory, a key that
cannot be read).`;

function help(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  const lines = Object.entries(commands).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`);
  return `Usage: mcp-audit <command> [options]\n\nCommands:\n${lines.join('\n')}\n\n${CONVENTION}\n\nRun \`mcp-audit <command> --help\` for a command's options.\n`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help());
    return EXIT.ok;
  }
  if (name === undefined) {
    process.stderr.write(`mcp-audit: no command given\n\n${help()}`);
    return EXIT.cannotRun;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command) {
    process.stderr.write(`mcp-audit: unknown command "${name}"\n\n${help()}`);
    return EXIT.cannotRun;
  }
  if (!command.ownsStdout) {
    // `mcp-audit query | head` closes the pipe early: that is the reader's choice, not an error.
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(EXIT.ok);
      throw error;
    });
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`mcp-audit ${name}: ${error.message}\n${command.usage}\nRun \`mcp-audit ${name} --help\` for the options.\n`);
      return EXIT.cannotRun;
    }
    process.stderr.write(`mcp-audit ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return error instanceof CannotRunError ? EXIT.cannotRun : EXIT.finding;
  }
}

process.exitCode = await main(process.argv.slice(2));

import { parseCommandArgs, positiveInteger } from '../args.js';
import { UsageError, type Command } from '../command.js';

const HELP = `Usage: mcp-audit proxy [options] -- <command> [args...]

Starts <command>, an MCP server on stdio written in any language, and stands
between it and the client: every tools/call, resources/read and prompts/get
that passes gets one span and one audit record (plus session_start and
session_end), and each response reaches the client only after its record is
written. If the record cannot be written, the client gets a JSON-RPC error
instead of the result. Configured by the same environment as the library
(AUDIT_LOG_DIR, AUDIT_HMAC_KEY, AUDIT_CAPTURE_*, AUDIT_FSYNC, OTEL_*).

Options:
  --service-name NAME  the records' "service" (default: $OTEL_SERVICE_NAME,
                       else the server script's or command's base name)
  --log-dir PATH       trail directory (default: $AUDIT_LOG_DIR, else ./logs)
  --grace-ms N         on shutdown, how long the server gets to exit after
                       its stdin closes before SIGTERM (default 5000)
  -h, --help           this help

Example (Claude Desktop):
  "command": "npx", "args": ["mcp-audit", "proxy", "--", "python3", "/srv/weather/server.py"]
`;

/** The options before the server's command: up to `--`, or up to the first word that is not an option. */
function splitAtCommand(argv: string[]): { options: string[]; command: string[] } {
  const separator = argv.indexOf('--');
  if (separator !== -1) return { options: argv.slice(0, separator), command: argv.slice(separator + 1) };
  const valued = new Set(['--service-name', '--log-dir', '--grace-ms']);
  for (let index = 0; index < argv.length; index++) {
    const word = argv[index]!;
    if (valued.has(word)) index++;
    else if (!word.startsWith('-')) return { options: argv.slice(0, index), command: argv.slice(index) };
  }
  return { options: argv, command: [] };
}

export const proxyCommand: Command = {
  summary: 'audit any MCP server on stdio: mcp-audit proxy -- <command> [args...]',
  ownsStdout: true,
  async run(argv) {
    const split = splitAtCommand(argv);
    const { values } = parseCommandArgs(split.options, {
      'service-name': { type: 'string' },
      'log-dir': { type: 'string' },
      'grace-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      process.stderr.write(HELP);
      return 0;
    }
    const [command, ...args] = split.command;
    if (command === undefined) throw new UsageError('no server command given: mcp-audit proxy [options] -- <command> [args...]');
    const graceMs = positiveInteger(values['grace-ms'], '--grace-ms', 5000);
    // Loaded only now: the reading commands of the CLI need no OpenTelemetry SDK.
    const { runStdioProxy } = await import('../../proxy/run-stdio-proxy.js');
    const status = await runStdioProxy({ command, args, graceMs, serviceName: values['service-name'], logDir: values['log-dir'] });
    // Everything is recorded and sent: nothing the still-open stdin could bring matters now.
    process.exit(status);
  },
};

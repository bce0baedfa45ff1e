import { positiveInteger } from '../args.js';
import { UsageError } from '../command.js';
import { defineCommand } from '../command-line.js';

const HELP = `Usage: mcp-audit proxy [options] -- <command> [args...]
       mcp-audit proxy --upstream URL [options]

Stands between an MCP client and a server written in any language: every
tools/call, resources/read and prompts/get that passes gets one span and one
audit record (plus session_start and session_end), and each response reaches
the client only after its record is written. If the record cannot be
written, the client gets a JSON-RPC error instead of the result. Configured
by the same environment as the library (AUDIT_LOG_DIR, AUDIT_HMAC_KEY,
AUDIT_CAPTURE_*, AUDIT_FSYNC, OTEL_*).

With -- <command>: starts <command>, a server on stdio, and speaks to the
client on this process's stdin and stdout.

With --upstream URL: listens for Streamable HTTP at http://HOST:PORT/mcp and
forwards to the server's MCP endpoint URL (JSON and SSE answers, 2025-era
sessions and the stateless 2026-07-28 era). The front is configured as the
embedded HTTP server: MCP_AUTH_TOKENS or MCP_AUTH_TOKENS_FILE (token=principal
pairs; the principal is the records' actor), MCP_ALLOWED_HOSTS, MCP_MAX_*
limits. Without tokens of its own, the client's Authorization header passes
to the upstream unchanged; only a short fingerprint of it is recorded.

Options:
  --service-name NAME  the records' "service" (default: $OTEL_SERVICE_NAME,
                       else the server script's or command's base name, or
                       the upstream's host name)
  --dir PATH           trail directory, made if missing (default:
                       $AUDIT_LOG_DIR, else ./logs); --log-dir is the same
  --grace-ms N         stdio: on shutdown, how long the server gets to exit
                       after its stdin closes before SIGTERM (default 5000)
  --upstream URL       HTTP: the upstream MCP endpoint (http: or https:)
  --host HOST          HTTP: listen address (default: $HOST, else 127.0.0.1)
  --port N             HTTP: listen port (default: $PORT, else 3000)
  --timeout-ms N       HTTP: how long the upstream may take to start answering
                       before the client gets 504 (default: no limit; the
                       client's own timeout applies)
  -h, --help           this help

Examples:
  Claude Desktop: "command": "npx", "args": ["mcp-audit", "proxy", "--", "python3", "/srv/weather/server.py"]
  MCP_AUTH_TOKENS=s3cret=alice mcp-audit proxy --upstream http://10.0.0.7:8080/mcp --port 3000
`;

/** The options before the server's command: up to `--`, or up to the first word that is not an option. */
function splitAtCommand(argv: string[]): { options: string[]; operands: string[] } {
  const separator = argv.indexOf('--');
  if (separator !== -1) return { options: argv.slice(0, separator), operands: argv.slice(separator + 1) };
  const valued = new Set(['--service-name', '--dir', '--log-dir', '--grace-ms', '--upstream', '--host', '--port', '--timeout-ms']);
  for (let index = 0; index < argv.length; index++) {
    const word = argv[index]!;
    if (valued.has(word)) index++;
    else if (!word.startsWith('-')) return { options: argv.slice(0, index), operands: argv.slice(index) };
  }
  return { options: argv, operands: [] };
}

export const proxyCommand = defineCommand({
  summary: 'audit any MCP server: mcp-audit proxy -- <command> [args...] (stdio), or --upstream URL (HTTP)',
  help: HELP,
  options: {
    'service-name': { type: 'string' },
    dir: { type: 'string' },
    // The name it had before the CLI's convention: kept so that existing client configurations go on working.
    'log-dir': { type: 'string' },
    'grace-ms': { type: 'string' },
    upstream: { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    'timeout-ms': { type: 'string' },
  },
  // The trail is written, not read: a missing directory is made, so the convention's check does not apply.
  operands: splitAtCommand,
  ownsStdout: true,
  async run({ values, operands }) {
    if (values.dir !== undefined && values['log-dir'] !== undefined) throw new UsageError('--dir and --log-dir are the same option: give one');
    const logDir = values.dir ?? values['log-dir'];
    const upstream = values.upstream;
    if (upstream !== undefined) {
      if (operands.length > 0) throw new UsageError('give either --upstream URL or -- <command>, not both');
      const port = values.port === undefined ? undefined : positiveInteger(values.port, '--port', 0);
      const timeout = values['timeout-ms'] === undefined ? undefined : positiveInteger(values['timeout-ms'], '--timeout-ms', 0);
      // Loaded only now, as the stdio proxy is.
      const { runHttpProxy } = await import('../../proxy/run-http-proxy.js');
      const status = await runHttpProxy({
        upstream,
        host: values.host,
        port,
        timeoutMs: timeout || undefined,
        serviceName: values['service-name'],
        logDir,
      });
      process.exit(status);
    }
    const [command, ...args] = operands;
    if (command === undefined)
      throw new UsageError('no server given: mcp-audit proxy [options] -- <command> [args...], or mcp-audit proxy --upstream URL');
    const graceMs = positiveInteger(values['grace-ms'], '--grace-ms', 5000);
    // Loaded only now: the reading commands of the CLI need no OpenTelemetry SDK.
    const { runStdioProxy } = await import('../../proxy/run-stdio-proxy.js');
    const status = await runStdioProxy({ command, args, graceMs, serviceName: values['service-name'], logDir });
    // Everything is recorded and sent: nothing the still-open stdin could bring matters now.
    process.exit(status);
  },
});

import type { Readable, Writable } from 'node:stream';
import type { MessageAuditor } from '../mcp/message-auditor.js';
import { ChildServer, describeExit, type ChildExit } from './child-server.js';
import { INTERNAL_ERROR, isRequest, paramsObject, type JsonRpcMessage } from '../mcp/json-rpc.js';
import { isBlank, LineSplitter, textLength } from '../mcp/line-splitter.js';
import type { RejectedMessage } from '../mcp/message-screen.js';
import { refusalAnswers } from '../mcp/refusal-answer.js';
import { screenClientMessage } from './client-screen.js';
import { decodeLine } from './json-rpc-framing.js';

export interface StdioProxyConfig {
  command: string;
  args: readonly string[];
  auditor: MessageAuditor;
  /** The client's side: JSON-RPC from it on `input`, to it on `output`. */
  input: Readable;
  output: Writable;
  /** One diagnostic line, to stderr: stdout belongs to JSON-RPC. */
  log: (line: string) => void;
  /** Cleans a stray line of the server's stdout before it is quoted on stderr. */
  redact: (text: string) => string;
  /** How long the server gets to exit once its stdin is closed, before SIGTERM. */
  graceMs: number;
}

/** Longest excerpt of a stray stdout line quoted on stderr. */
const NOISE_EXCERPT = 200;

/**
 * Stands between an MCP client and a server it starts, on stdio. Every line
 * from the client passes to the server byte for byte, the auditor noting it
 * right after, unless the proxy cannot read it as the server would (then it is
 * refused, recorded and answered here: client-screen.ts); every JSON-RPC line from the server passes back, a response to an
 * audited request only once its record is written. Lines on the server's
 * stdout that are not JSON-RPC never reach the client, whose parser they
 * would break: they are reported on stderr.
 */
export class StdioProxy {
  private child: ChildServer | undefined;
  private stopping: string | null = null;
  private clientGone = false;
  private readonly held = new Set<Promise<void>>();

  constructor(private readonly config: StdioProxyConfig) {}

  /** Runs until the server is gone and every record is written; resolves to the proxy's exit status. */
  async run(): Promise<number> {
    const { input, output, command, args } = this.config;
    const child = (this.child = new ChildServer(command, args));
    output.on('error', () => {
      this.clientGone = true;
      this.stop('the client closed its end');
    });

    const fromClient = new LineSplitter((line) => this.fromClient(line, child));
    input.on('data', (chunk: Buffer) => fromClient.push(chunk));
    input.once('end', () => {
      fromClient.end();
      this.stop('end of stdin');
    });
    const fromServer = new LineSplitter((line) => this.fromServer(line, child));
    child.stdout.on('data', (chunk: Buffer) => fromServer.push(chunk));
    child.stdout.once('end', () => fromServer.end());

    const exit = await child.exited;
    input.pause();
    return this.finish(exit);
  }

  /** Tells the server to stop (stdin closed, then signals); `run` resolves once it is gone. */
  stop(reason: string): void {
    if (this.stopping !== null) {
      this.child?.kill();
      return;
    }
    this.stopping = reason;
    this.child?.stop(this.config.graceMs);
  }

  private fromClient(line: Buffer, child: ChildServer): void {
    const text = line.subarray(0, textLength(line));
    if (isBlank(text)) return;
    const screened = screenClientMessage(text);
    if ('refused' in screened) {
      this.refuse(screened.refused, screened.batch);
      return;
    }
    // One wait for 'drain' however many lines of the current chunk still arrive while paused.
    if (!child.stdin.write(line) && !this.config.input.isPaused()) {
      this.config.input.pause();
      child.stdin.once('drain', () => this.config.input.resume());
    }
    // Seen after it is passed on, so that the server starts while the proxy records the request; still pending
    // before any response can come, since the server's stdout is read on a later turn of the event loop.
    try {
      this.config.auditor.fromClient(screened.accepted);
    } catch (error) {
      this.unaudited(screened.accepted, error);
    }
  }

  /**
   * The auditor threw on a message already passed on (a bug of ours, or a message no test foresaw). Thrown out of the
   * input's handler it would have stopped the proxy, leaving this call and every call in flight without a record.
   * Each request of it not pending is recorded as failed and answered with an error now; the server's own answer,
   * matching no pending request, is then dropped (and recorded).
   */
  private unaudited(payload: JsonRpcMessage | JsonRpcMessage[], error: unknown): void {
    const reason = error instanceof Error ? error.message : String(error);
    this.config.log(`could not audit a message from the client (${reason}); its requests are answered with an error`);
    const batch = Array.isArray(payload);
    const refused: RejectedMessage[] = [];
    for (const message of batch ? payload : [payload]) {
      if (!isRequest(message) || this.config.auditor.isPending(message.id)) continue;
      refused.push({
        code: INTERNAL_ERROR,
        message: `the proxy could not audit this request (${reason}): the server received it, and its outcome is not recorded`,
        id: message.id,
        sentId: message.id,
        method: message.method,
        params: paramsObject(message),
        answered: true,
      });
    }
    if (refused.length > 0) this.refuse(refused, batch);
  }

  /** Never passed to the server: recorded, then answered (an array for a batch), as the embedded server answers. */
  private refuse(refused: RejectedMessage[], batch: boolean): void {
    const { auditor, log } = this.config;
    log(`refused a message from the client: ${refused[0]!.message}`);
    const answered = Promise.all(refused.map((rejected) => auditor.refused(rejected))).then((losses) => {
      const answers = refusalAnswers(refused, losses);
      if (answers.length > 0) this.send(`${JSON.stringify(batch ? answers : answers[0])}\n`, this.child);
    });
    this.held.add(answered);
    void answered.then(() => this.held.delete(answered));
  }

  private fromServer(line: Buffer, child: ChildServer): void {
    const decoded = decodeLine(line);
    if (decoded.kind === 'blank') return;
    if (decoded.kind === 'not-json-rpc') {
      const excerpt = this.config.redact(decoded.text.slice(0, NOISE_EXCERPT));
      const more = decoded.text.length > NOISE_EXCERPT ? `... (${decoded.text.length} chars)` : '';
      this.config.log(`dropped a line on the server's stdout that is not JSON-RPC: ${JSON.stringify(excerpt)}${more}`);
      return;
    }
    const hold = this.config.auditor.fromServer(decoded.payload);
    if (!hold) {
      this.send(line, child);
      return;
    }
    const sent = hold.then((replacement) => {
      if (replacement !== null) this.send(replacement ? `${JSON.stringify(replacement)}\n` : line, child);
      else
        this.config.log("dropped a response on the server's stdout: its id is that of no request the client sent (recorded as a protocol_violation)");
    });
    this.held.add(sent);
    void sent.then(() => this.held.delete(sent));
  }

  private send(data: Buffer | string, child: ChildServer | undefined): void {
    if (this.clientGone) return;
    if (!this.config.output.write(data) && child && !child.stdout.isPaused()) {
      child.stdout.pause();
      this.config.output.once('drain', () => child.stdout.resume());
    }
  }

  /** The server is gone: its unanswered requests are recorded as failed and answered with an error. */
  private async finish(exit: ChildExit): Promise<number> {
    const { auditor, log } = this.config;
    await Promise.allSettled([...this.held]);
    const how = describeExit(exit);
    const reason =
      this.stopping === null ? `the MCP server ${how} before answering` : `the MCP server was stopped (${this.stopping}) before answering`;
    for (const response of await auditor.abandonPending(reason, 'server_exited')) this.send(`${JSON.stringify(response)}\n`, undefined);
    await auditor.close();
    await new Promise<void>((resolve) => (this.clientGone ? resolve() : this.config.output.write('', () => resolve())));
    if ('startError' in exit) {
      log(`the server "${this.config.command}" ${how}`);
      return exit.startError.code === 'ENOENT' ? 127 : 126;
    }
    if (this.stopping !== null) return 0;
    log(`the server ${how}; stopping`);
    return exit.code ? exit.code : 1;
  }
}

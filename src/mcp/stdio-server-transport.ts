import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Readable, Writable } from 'node:stream';
import { LineSplitter, lineText } from './line-splitter.js';
import { screenLine, type RejectedMessage, type RejectionListener, type ScreeningTransport } from './message-screen.js';
import { refusalAnswers } from './refusal-answer.js';

/**
 * The SDK's StdioServerTransport, with two differences.
 *
 * It reads its input itself: the SDK's drops without a word every line
 * that is not JSON or fails its schema (a tools/call whose params are null,
 * say), and ends the connection on a line over 10 MiB. Here a line of any
 * length passes, and a refused one is reported to `onrejected` (the audit
 * writes its record there) and then answered with a JSON-RPC error, -32700
 * for what is not JSON; the connection goes on.
 *
 * The messages sent while stdout is full share ONE `drain` listener. The
 * SDK's adds a listener per message sent while the pipe is full: a burst of
 * answers to a client that reads slowly piles them up on the one stdout
 * socket (Node warns past ten, `MaxListenersExceededWarning`), without bound
 * if the client stops reading. Each send still resolves once its message is
 * written or the pipe drained.
 */
export class PipedStdioServerTransport extends StdioServerTransport implements ScreeningTransport {
  onrejected?: RejectionListener | undefined;
  private drained: Promise<void> | null = null;
  private started = false;
  private readonly lines = new LineSplitter((line) => this.receive(line));
  private readonly onData = (chunk: Buffer): void => this.lines.push(chunk);
  private readonly onInputError = (error: Error): void => this.onerror?.(error);

  constructor(
    private readonly input: Readable = process.stdin,
    private readonly output: Writable = process.stdout,
  ) {
    super(input, output);
  }

  override async start(): Promise<void> {
    if (this.started) throw new Error('PipedStdioServerTransport already started');
    this.started = true;
    this.input.on('data', this.onData);
    this.input.on('error', this.onInputError);
  }

  override close(): Promise<void> {
    this.input.off('data', this.onData);
    this.input.off('error', this.onInputError);
    return super.close();
  }

  override send(message: JSONRPCMessage): Promise<void> {
    return this.write(serializeMessage(message));
  }

  private write(text: string): Promise<void> {
    if (this.output.write(text)) return Promise.resolve();
    this.drained ??= new Promise((resolve) => {
      this.output.once('drain', () => {
        this.drained = null;
        resolve();
      });
    });
    return this.drained;
  }

  private receive(line: Buffer): void {
    const text = lineText(line);
    if (text.trim() === '') return;
    const screened = screenLine(text);
    if ('batch' in screened) {
      this.refuse(screened.batch, true);
      return;
    }
    if ('rejected' in screened) {
      this.refuse([screened.rejected], false);
      return;
    }
    try {
      this.onmessage?.(screened.accepted);
    } catch (error) {
      this.onerror?.(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** Answered once their records are written, so that each record is in the trail before the client reads its error (see refusalAnswer if one is lost). */
  private refuse(refused: RejectedMessage[], batch: boolean): void {
    for (const rejected of refused) this.onerror?.(new Error(rejected.message));
    void Promise.all(refused.map((rejected) => this.onrejected?.(rejected, {})))
      .then((losses) => {
        const answers = refusalAnswers(refused, losses);
        return answers.length === 0 ? undefined : this.write(`${JSON.stringify(batch ? answers : answers[0])}\n`);
      })
      .catch((error: unknown) => this.onerror?.(error instanceof Error ? error : new Error(String(error))));
  }
}

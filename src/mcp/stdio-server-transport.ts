import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Readable, Writable } from 'node:stream';

/**
 * The SDK's StdioServerTransport, except that the messages sent while stdout
 * is full share ONE `drain` listener. The SDK's adds a listener per message
 * sent while the pipe is full: a burst of answers to a client that reads
 * slowly piles them up on the one stdout socket (Node warns past ten,
 * `MaxListenersExceededWarning`), without bound if the client stops reading.
 * Each send still resolves once its message is written or the pipe drained.
 */
export class PipedStdioServerTransport extends StdioServerTransport {
  private drained: Promise<void> | null = null;

  constructor(input: Readable = process.stdin, private readonly output: Writable = process.stdout) {
    super(input, output);
  }

  override send(message: JSONRPCMessage): Promise<void> {
    if (this.output.write(serializeMessage(message))) return Promise.resolve();
    this.drained ??= new Promise((resolve) => {
      this.output.once('drain', () => {
        this.drained = null;
        resolve();
      });
    });
    return this.drained;
  }
}

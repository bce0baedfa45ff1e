import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * How the collector behaves: answers 200, answers 500, accepts the request
 * and never answers, or is not there at all (connection refused).
 */
export type ReceiverMode = 'ok' | 'error500' | 'hang' | 'down';

/** An OTLP/HTTP trace receiver on 127.0.0.1 that counts what it is sent and answers according to its mode. */
export class LoopbackOtlpReceiver {
  requests = 0;
  bytes = 0;
  /** Spans in the requests it received (OTLP/JSON, as the HTTP exporter sends by default). */
  spans = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(
    readonly mode: ReceiverMode,
    readonly url: string,
    private readonly close: () => Promise<void>,
  ) {}

  static async start(mode: ReceiverMode): Promise<LoopbackOtlpReceiver> {
    let receiver: LoopbackOtlpReceiver | undefined;
    const server = createServer((request: IncomingMessage, response: ServerResponse) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks);
        receiver!.requests++;
        receiver!.bytes += body.length;
        receiver!.spans += countSpans(body);
        if (mode === 'hang') return;
        response.writeHead(mode === 'ok' ? 200 : 500, { 'content-type': 'application/json' });
        response.end(mode === 'ok' ? '{}' : '{"code":13,"message":"receiver configured to fail"}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const url = `http://127.0.0.1:${port}/v1/traces`;
    const closeServer = (): Promise<void> =>
      new Promise((resolve) => {
        for (const socket of receiver!.sockets) socket.destroy();
        server.close(() => resolve());
      });
    receiver = new LoopbackOtlpReceiver(mode, url, closeServer);
    server.on('connection', (socket: Socket) => {
      receiver!.sockets.add(socket);
      socket.on('close', () => receiver!.sockets.delete(socket));
    });
    // "down": the port was ours a moment ago and nobody listens on it now.
    if (mode === 'down') await closeServer();
    return receiver;
  }

  async stop(): Promise<void> {
    if (this.mode !== 'down') await this.close();
  }
}

function countSpans(body: Buffer): number {
  try {
    const payload = JSON.parse(body.toString('utf8')) as { resourceSpans?: Array<{ scopeSpans?: Array<{ spans?: unknown[] }> }> };
    return (payload.resourceSpans ?? []).reduce(
      (sum, resource) => sum + (resource.scopeSpans ?? []).reduce((inner, scope) => inner + (scope.spans?.length ?? 0), 0),
      0,
    );
  } catch {
    return 0;
  }
}

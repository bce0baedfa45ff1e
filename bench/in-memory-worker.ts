// A forked child holding one server variant and an SDK client joined by the
// SDK's in-memory transport. The parent asks it over IPC to run loads, so
// variants alternate round by round while each keeps a process to itself.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { runCalls } from './call-load.js';
import { isVariantName, SERVER_VARIANTS } from './server-variants.js';
import type { WorkerReply, WorkerRequest } from './bench-target.js';

const variant = process.argv[2];
if (!isVariantName(variant) || !process.send) throw new Error(`in-memory-worker: bad variant ${variant} or no IPC channel`);
const send = process.send.bind(process);

const { server, shutdown } = await SERVER_VARIANTS[variant]({
  logDir: process.env['BENCH_LOG_DIR'] ?? 'logs',
  dataDir: process.env['BENCH_DATA_DIR'] ?? 'data',
  otlpUrl: process.env['BENCH_OTLP_URL'],
});
const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
await server.connect(serverTransport);
const client = new Client({ name: 'bench-client', version: '0.0.0' });
await client.connect(clientTransport);

process.on('message', (request: WorkerRequest) => {
  const reply = (message: WorkerReply): void => void send(message);
  if (request.type === 'run') {
    const cpuBefore = process.cpuUsage();
    runCalls(client, request.workload, request.calls, request.inFlight, request.pacing).then(
      (summary) => {
        const cpu = process.cpuUsage(cpuBefore);
        reply({ type: 'ran', summary: { ...summary, cpuUsPerCall: (cpu.user + cpu.system) / request.calls } });
      },
      (error: unknown) => reply({ type: 'failed', message: String(error) }),
    );
  } else {
    void client
      .close()
      .then(shutdown)
      .then(() => {
        reply({ type: 'closed', peakRssBytes: process.resourceUsage().maxRSS * 1024 });
        process.disconnect();
      });
  }
});
send({ type: 'ready' } satisfies WorkerReply);

import { createWriteStream, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { pino } from 'pino';
import { ChainedTrailWriter } from '../../src/audit/trail/chained-trail-writer.js';
import { ChainHasher } from '../../src/audit/trail/hash-chain.js';
import type { AuditRecord } from '../../src/index.js';
import { rotated, type BenchContext } from '../bench-context.js';
import { median, spread, type Spread } from '../stats.js';

/** A writer under test: takes records, and after `finish` every byte is in the kernel. */
interface SinkUnderTest {
  write(record: AuditRecord): void;
  /** Called after each burst of records, as an event loop would between bursts of calls. */
  endTurn(): Promise<void>;
  finish(): Promise<void>;
}

/**
 * The contenders, each writing the same records (pino adds only its level
 * field) to its own file in the same directory.
 * Our writer is driven as the exporter drives it: one appendWithCallback per
 * record; a turn ends once every record of it has called back.
 */
export const SINK_CONTENDERS: Record<string, (path: string) => SinkUnderTest> = {
  'ChainedTrailWriter (ours, group commit, hash chain)': (path) => {
    // The writer owns a directory (head file, lock); its day file becomes `path` at the end.
    const dir = `${path}.d`;
    rmSync(dir, { recursive: true, force: true });
    const writer = new ChainedTrailWriter({ directory: dir, hasher: ChainHasher.fromEnv() });
    let outstanding = 0;
    let failure: Error | null = null;
    let turnDone: (() => void) | null = null;
    const done = (error?: Error): void => {
      failure ??= error ?? null;
      if (--outstanding === 0 && turnDone) turnDone();
    };
    const allWritten = (): Promise<void> =>
      new Promise<void>((resolve, reject) => {
        const settle = (): void => {
          turnDone = null;
          if (failure) reject(failure);
          else resolve();
        };
        if (outstanding === 0) settle();
        else turnDone = settle;
      });
    return {
      write: (record) => {
        outstanding++;
        writer.appendWithCallback(record, done);
      },
      endTurn: allWritten,
      async finish() {
        await allWritten();
        writer.close();
        const [dayFile] = readdirSync(dir).filter((name) => name.endsWith('.jsonl'));
        renameSync(join(dir, dayFile!), path);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  'pino 10, sync destination': (path) => pinoContender(pino.destination({ dest: path, sync: true })),
  'pino 10, async, minLength 4096': (path) => pinoContender(pino.destination({ dest: path, sync: false, minLength: 4096 })),
  'fs.WriteStream (ceiling)': (path) => {
    const stream = createWriteStream(path, { flags: 'a' });
    return {
      write: (record) => void stream.write(`${JSON.stringify(record)}\n`),
      endTurn: async () => {
        if (stream.writableNeedDrain) await once(stream, 'drain');
        else await nextTurn();
      },
      finish: async () => {
        // autoClose: 'close' comes once the last write has returned and the descriptor is closed.
        const closed = once(stream, 'close');
        stream.end();
        await closed;
      },
    };
  },
};

function pinoContender(destination: ReturnType<typeof pino.destination>): SinkUnderTest {
  // No time, pid or hostname: pino writes the record plus its `"level":30,` (an empty level
  // formatter would drop it but makes pino 10 write an invalid `{,"timestamp"...` line).
  const logger = pino({ base: null, timestamp: false }, destination);
  return {
    write: (record) => logger.info(record),
    endTurn: async () => void (await nextTurn()),
    finish: () =>
      new Promise((resolve, reject) => {
        destination.once('close', () => resolve());
        destination.once('error', reject);
        destination.end();
      }),
  };
}

export const SINK_BASELINE = 'ChainedTrailWriter (ours, group commit, hash chain)';

export interface SinkRow {
  contender: string;
  /** Records written per event-loop turn: 1 is one call at a time, larger is that many calls finishing together. */
  burst: number;
  recordsPerSecond: number;
  bytes: number;
  /** Ours over this contender, as a throughput ratio (above 1: ours is faster), round by round. */
  oursOverThis: Spread;
}

export function sampleRecord(index: number): AuditRecord {
  return {
    timestamp: new Date(Date.UTC(2026, 0, 15, 9, 30, 0, index % 1000)).toISOString(),
    action: 'tool_call',
    tool_name: 'lookup_inventory',
    input_summary: { query: `monitor ${index}` },
    result_summary: 'Found 3 items',
    success: true,
    error: null,
    duration_ms: 0.731,
    trace_id: index.toString(16).padStart(32, '0'),
    span_id: index.toString(16).padStart(16, '0'),
    request_id: String(index),
    session_id: null,
    client: { name: 'bench-client', version: '0.0.0' },
    transport: 'stdio',
    service: 'it-helpdesk',
    actor: 'bench-user',
    client_address: null,
    protocol_version: '2025-11-25',
    capture: { input: 'summary', result: 'summary' },
    redacted: false,
    truncated: false,
    redacted_fields: [],
  };
}

export async function measureSinkThroughput(plan: { records: number; bursts: number[]; rounds: number }, bench: BenchContext): Promise<SinkRow[]> {
  const records = Array.from({ length: plan.records }, (_, index) => sampleRecord(index));
  const contenders = Object.keys(SINK_CONTENDERS);
  const dir = bench.scratchDir('sinks');
  const rows: SinkRow[] = [];
  for (const burst of plan.bursts) {
    const rates = new Map<string, number[]>(contenders.map((name) => [name, []]));
    const bytes = new Map<string, number>();
    for (let round = 0; round < plan.rounds; round++) {
      for (const contender of rotated(contenders, round)) {
        const path = join(dir, `${contender.replace(/[^a-z0-9]+/gi, '-')}.jsonl`);
        rmSync(path, { force: true });
        const sink = SINK_CONTENDERS[contender]!(path);
        const started = performance.now();
        for (let start = 0; start < records.length; start += burst) {
          const end = Math.min(records.length, start + burst);
          for (let index = start; index < end; index++) sink.write(records[index]!);
          await sink.endTurn();
        }
        await sink.finish();
        const seconds = (performance.now() - started) / 1000;
        rates.get(contender)!.push(records.length / seconds);
        bytes.set(contender, statSync(path).size);
        rmSync(path);
      }
      bench.progress(`sinks, burst ${burst}, round ${round + 1}/${plan.rounds}`);
    }
    const ours = rates.get(SINK_BASELINE)!;
    for (const contender of contenders) {
      const own = rates.get(contender)!;
      rows.push({
        contender,
        burst,
        recordsPerSecond: median(own),
        bytes: bytes.get(contender)!,
        oursOverThis: spread(own.map((rate, round) => ours[round]! / rate)),
      });
    }
  }
  return rows;
}

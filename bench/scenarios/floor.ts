import { closeSync, openSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SpanKind, type Attributes } from '@opentelemetry/api';
import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_JSONRPC_REQUEST_ID,
  ATTR_MCP_METHOD_NAME,
  ATTR_MCP_PROTOCOL_VERSION,
  ATTR_NETWORK_TRANSPORT,
  GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
} from '@opentelemetry/semantic-conventions/incubating';
import type { BenchContext } from '../bench-context.js';
import { median } from '../stats.js';
import { profileVariants, type ProfileRow } from './profile.js';

/**
 * Issue 16's floor: the work no audit layer can skip per record, done in a
 * tight loop in this process, each step alone and all together: an OTel span
 * started and ended with the attributes ours sets, the record object built,
 * `JSON.stringify`, the chain hash (SHA-256 over the domain and the line), and
 * one write(2) per record or one per batch. Then the audited and unaudited
 * servers profiled over stdio, so the audited call's extra µs can be set
 * against the floor module by module.
 */
export const FLOOR_STEPS = [
  'span start/end',
  'build record',
  'JSON.stringify',
  'chain hash',
  'write(2) per record',
  'write(2) per batch of 64',
  'all, write per record',
  'all, write per batch of 64',
] as const;
export type FloorStep = (typeof FLOOR_STEPS)[number];

export interface FloorPlan {
  records: number;
  rounds: number;
  profile: { calls: number; warmupCalls: number };
}

export interface FloorResults {
  plan: FloorPlan;
  /** µs per record, median over rounds. */
  steps: Array<{ step: FloorStep; usPerRecord: number }>;
  profiles: ProfileRow[];
}

const BATCH = 64;

export async function measureFloor(plan: FloorPlan, bench: BenchContext): Promise<FloorResults> {
  const { BasicTracerProvider } = await import('@opentelemetry/sdk-trace-base');
  const tracer = new BasicTracerProvider().getTracer('bench-floor');
  const fd = openSync(join(bench.scratchDir('floor'), 'floor.jsonl'), 'a');
  let prevHash = '0'.repeat(64);
  // The attributes ours sets on a stdio tools/call (caller-identity.ts, method-audits.ts, audited-request.ts).
  const span = (index: number): void => {
    const attributes: Attributes = {
      [ATTR_MCP_METHOD_NAME]: 'tools/call',
      [ATTR_NETWORK_TRANSPORT]: 'pipe',
      [ATTR_MCP_PROTOCOL_VERSION]: '2025-06-18',
      [ATTR_JSONRPC_REQUEST_ID]: String(index),
      [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
      [ATTR_GEN_AI_TOOL_NAME]: 'bench_echo',
    };
    const started = tracer.startSpan('tools/call bench_echo', { kind: SpanKind.SERVER, attributes });
    started.setAttribute(ATTR_GEN_AI_TOOL_CALL_ARGUMENTS, `{"query":"monitor ${index}"}`);
    started.end();
  };
  const record = (index: number) => ({
    timestamp: new Date().toISOString(),
    action: 'tool_call',
    tool_name: 'bench_echo',
    input_summary: { query: `monitor ${index}` },
    result_summary: '1 content item(s)',
    success: true,
    error: null,
    duration_ms: 0.123,
    trace_id: '0af7651916cd43dd8448eb211c80319c',
    span_id: 'b7ad6b7169203331',
    request_id: String(index),
    session_id: null,
    client: { name: 'bench', version: '0' },
    transport: 'stdio',
    service: 'it-helpdesk-bench',
    actor: 'bench',
    client_address: null,
    protocol_version: '2025-06-18',
    capture: { input: 'summary', result: 'summary' },
    redacted: false,
    truncated: false,
    redacted_fields: [],
    seq: index + 1,
    prev_hash: prevHash,
  });
  const hash = (line: string): string => (prevHash = createHash('sha256').update('mcp-audit/record/v1\n').update(line).digest('hex'));
  const line = JSON.stringify(record(0));
  const lineOf = (index: number): string => {
    span(index);
    const body = JSON.stringify(record(index));
    return `${body.slice(0, -1)},"hash":"${hash(body)}"}\n`;
  };
  const batched =
    (make: (index: number) => string) =>
    (index: number): void => {
      if (index % BATCH !== 0) return;
      let lines = '';
      for (let offset = 0; offset < BATCH; offset++) lines += make(index + offset);
      writeSync(fd, lines);
    };
  const loops: Record<FloorStep, (index: number) => void> = {
    'span start/end': span,
    'build record': (index) => void record(index),
    'JSON.stringify': () => void JSON.stringify(record(0)),
    'chain hash': () => void hash(line),
    'write(2) per record': () => void writeSync(fd, `${line}\n`),
    'write(2) per batch of 64': batched(() => `${line}\n`),
    'all, write per record': (index) => void writeSync(fd, lineOf(index)),
    'all, write per batch of 64': batched(lineOf),
  };
  const perStep = new Map<FloorStep, number[]>();
  try {
    for (let round = 0; round < plan.rounds; round++) {
      for (const step of FLOOR_STEPS) {
        const started = performance.now();
        for (let index = 0; index < plan.records; index++) loops[step](index);
        perStep.set(step, [...(perStep.get(step) ?? []), ((performance.now() - started) * 1000) / plan.records]);
      }
      bench.progress(`floor tight loop, round ${round + 1}/${plan.rounds}`);
    }
  } finally {
    closeSync(fd);
  }
  // The 'JSON.stringify' loop builds its record too: less 'build record' is stringify alone.
  const steps = FLOOR_STEPS.map((step) => ({ step, usPerRecord: median(perStep.get(step)!) }));
  const profiles = await profileVariants(
    {
      transports: ['stdio'],
      variants: ['unaudited', 'audited'],
      workloads: ['bench_echo'],
      calls: { bench_echo: plan.profile.calls, lookup_inventory: plan.profile.calls },
      warmupCalls: plan.profile.warmupCalls,
    },
    bench,
  );
  return { plan, steps, profiles };
}

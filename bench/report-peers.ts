import type { FloorResults } from './scenarios/floor.js';
import type { OverheadRow } from './scenarios/overhead.js';
import type { PeersPlan } from './scenarios/peers.js';
import { cpuSourceText, type CpuSource } from './process-cpu.js';
import { fixed, ratioText } from './stats.js';

const table = (header: string[], rows: string[][]): string =>
  [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');

const cpu = (value: number): string => (Number.isNaN(value) ? '—' : fixed(value, 0));

/** Section 10: ours against the peers a user would pick instead (issue 16). */
export function peersSection(rows: OverheadRow[], plan: PeersPlan, cpuSource: CpuSource): string {
  return [
    '## 10. Against the peers (issue 16)',
    '',
    `The same bench server and tools over stdio, spoken to by the same client: unaudited; audited (ours: span, hash-chained record written before the response); \`peer:pino\` (pino in each handler, sync file destination); \`peer:otel-span\` (an OpenTelemetry span per handler, SimpleSpanProcessor, JSON lines to a file stream); \`peer:seed-appendFile\` (the seed's \`appendFile\` of one line under a mutex, awaited). All alive for the whole scenario, taking turns batch by batch in rotated order: ${plan.rounds} rounds of ${plan.concurrency.map((entry) => `${entry.calls} calls at ${entry.inFlight} in flight`).join(' and ')}. Server CPU is the server process's time on a CPU over the batch, ${cpuSourceText(cpuSource)}.`,
    '',
    table(
      ['in flight', 'workload', 'variant', 'µs per call (median)', 'vs unaudited', 'server CPU µs per call', 'CPU vs unaudited', 'failures'],
      rows.map((row) => [
        String(row.inFlight),
        `\`${row.workload}\``,
        row.variant,
        fixed(row.perCallUs, 0),
        ratioText(row.vsBaseline),
        cpu(row.cpuUsPerCall),
        row.variant === 'unaudited' ? '—' : ratioText(row.cpuVsBaseline),
        String(row.failures),
      ]),
    ),
  ].join('\n');
}

/** Section 11: the floor per record, and where the audited call's extra time goes, module by module. */
export function floorSection(floor: FloorResults): string {
  const unaudited = floor.profiles.find((row) => row.variant === 'unaudited');
  const audited = floor.profiles.find((row) => row.variant === 'audited');
  const perCall = (row: typeof audited, module: string): number =>
    ((row?.summary.byOwnModule.find((entry) => entry.name === module)?.percent ?? 0) / 100) * (row?.busyUsPerCall ?? 0);
  const modules = [...new Set([...(audited?.summary.byOwnModule ?? []), ...(unaudited?.summary.byOwnModule ?? [])].map((entry) => entry.name))];
  const breakdown = modules
    .map((module) => ({ module, ours: perCall(audited, module), bare: perCall(unaudited, module) }))
    .sort((a, b) => b.ours - b.bare - (a.ours - a.bare));
  return [
    "## 11. The floor, and where the audited call's extra time goes (issue 16)",
    '',
    `The unavoidable work per record in a tight loop in the bench process (${floor.plan.records.toLocaleString('en')} records, median of ${floor.plan.rounds} rounds), each step alone and all together. The \`JSON.stringify\` loop builds its record too.`,
    '',
    table(
      ['step', 'µs per record'],
      floor.steps.map((step) => [step.step, fixed(step.usPerRecord, 2)]),
    ),
    '',
    `Then the unaudited and audited servers under \`node --cpu-prof\` over stdio, ${floor.plan.profile.calls.toLocaleString('en')} sequential \`bench_echo\` calls each: busy CPU per call unaudited ${fixed(unaudited?.busyUsPerCall ?? Number.NaN, 0)} µs, audited ${fixed(audited?.busyUsPerCall ?? Number.NaN, 0)} µs. Each sample is charged to the deepest module of this repo's \`src/\` on its stack (its callees — JSON, crypto, write — included), the rest to "(outside our modules)"; sorted by what the audited server spends there beyond the unaudited one. V8 samples by wall clock, so a system call's preemption counts as busy (see section "Where the time goes").`,
    '',
    table(
      ['module', 'audited µs per call', 'unaudited µs per call', 'extra µs per call'],
      breakdown.map((entry) => [entry.module, fixed(entry.ours, 1), fixed(entry.bare, 1), fixed(entry.ours - entry.bare, 1)]),
    ),
  ].join('\n');
}

import type { LossResult } from './scenarios/loss.js';
import type { OverheadRow } from './scenarios/overhead.js';
import type { SinkRow } from './scenarios/sink-throughput.js';
import { fixed, mebibytes, ratioText } from './stats.js';

export type Verdict = 'met' | 'missed' | 'not measured';

export interface TargetResult {
  target: string;
  figure: string;
  verdict: Verdict;
}

/** Every target of the issue that can be judged today, judged on the median of the per-round ratios. */
export function judgeTargets(overhead: OverheadRow[], sinks: SinkRow[], loss: LossResult[]): TargetResult[] {
  const results: TargetResult[] = [];
  const row = (transport: string, inFlight: number, variant: string): OverheadRow | undefined =>
    overhead.find((candidate) => candidate.transport === transport && candidate.inFlight === inFlight && candidate.workload === 'lookup_inventory' && candidate.variant === variant);

  for (const [transport, limit] of [['in-memory', 1.25], ['stdio', 1.1]] as const) {
    const audited = row(transport, 1, 'audited');
    results.push({
      target: `1. audited ≤ ${limit}× unaudited, sequential, ${transport}`,
      figure: audited ? ratioText(audited.vsBaseline) : '—',
      verdict: audited ? (audited.vsBaseline.median <= limit ? 'met' : 'missed') : 'not measured',
    });
  }
  for (const transport of ['in-memory', 'stdio']) {
    const forwarding = row(transport, 1, 'audited+otlp');
    results.push({
      target: `1. forwarding adds ≤ 5% on top of the trail, sequential, ${transport}`,
      figure: forwarding?.vsPrevious ? ratioText(forwarding.vsPrevious) : '—',
      verdict: forwarding?.vsPrevious ? (forwarding.vsPrevious.median <= 1.05 ? 'met' : 'missed') : 'not measured',
    });
  }

  const bursts = [...new Set(sinks.map((sink) => sink.burst))];
  for (const burst of bursts) {
    const pinoSync = sinks.find((sink) => sink.burst === burst && sink.contender.startsWith('pino 10, sync'));
    const ceiling = sinks.find((sink) => sink.burst === burst && sink.contender.startsWith('fs.WriteStream'));
    if (pinoSync) {
      results.push({
        target: `2. sink ≥ pino sync destination (${burst} record(s) per turn)`,
        figure: `ours / pino sync = ${ratioText(pinoSync.oursOverThis)}`,
        verdict: pinoSync.oursOverThis.median >= 1 ? 'met' : 'missed',
      });
    }
    if (ceiling) {
      // oursOverThis is a throughput ratio; "within 1.5×" asks how much faster the stream is than ours.
      const streamOverOurs = 1 / ceiling.oursOverThis.median;
      results.push({
        target: `2. sink within 1.5× of a bare fs.WriteStream (${burst} record(s) per turn)`,
        figure: `WriteStream / ours = ${fixed(streamOverOurs)}× (median)`,
        verdict: streamOverOurs <= 1.5 ? 'met' : 'missed',
      });
    }
  }

  for (const result of loss.filter((candidate) => candidate.writesTrail)) {
    const exact = result.lines === result.calls && result.parseable === result.calls && result.distinct === result.calls && result.callsRecordedOnce === result.calls;
    results.push({
      target: `3. ${result.calls.toLocaleString('en')} calls → exactly as many parseable, distinct records (${result.name})`,
      figure: `${result.lines} lines, ${result.parseable} parseable, ${result.distinct} distinct, ${result.callsRecordedOnce} calls recorded once`,
      verdict: exact ? 'met' : 'missed',
    });
  }
  const receiverUp = loss.find((result) => result.name.includes('receiver up'));
  const trailOnly = loss.find((result) => result.name === 'trail only');
  for (const result of loss.filter((candidate) => candidate.name.startsWith('forwarding') && candidate !== receiverUp)) {
    if (!receiverUp) break;
    const ratio = result.p99Ms / receiverUp.p99Ms;
    results.push({
      target: `3. p99 within 1.2× of the receiver-up run (${result.name})`,
      figure: `${fixed(result.p99Ms, 0)} ms vs ${fixed(receiverUp.p99Ms, 0)} ms = ${fixed(ratio)}×`,
      verdict: ratio <= 1.2 ? 'met' : 'missed',
    });
    if (trailOnly?.peakRssBytes && result.peakRssBytes) {
      const growth = result.peakRssBytes / trailOnly.peakRssBytes;
      results.push({
        target: `3. peak RSS bounded: ≤ 1.5× the trail-only run (${result.name})`,
        figure: `${mebibytes(result.peakRssBytes)} vs ${mebibytes(trailOnly.peakRssBytes)} = ${fixed(growth)}×`,
        verdict: growth <= 1.5 ? 'met' : 'missed',
      });
    }
  }
  return results;
}

import { performance } from 'node:perf_hooks';
import { ownAndReapedCpuUs } from './process-cpu.js';
import type { ScenarioName, ScenarioSelection } from './scenario-selection.js';

export interface ScenarioDuration {
  scenario: ScenarioName;
  seconds: number;
  /** CPU of the bench and the processes it started and reaped: what the scenario costs, however loaded the machine. */
  cpuSeconds: number;
}

/**
 * Runs the selected scenarios and keeps how long each took, so a run states
 * where its time went (a scenario measured in several parts adds them up).
 */
export interface ScenarioTimer {
  /** `measure()` if the scenario was selected, timed; `skipped` otherwise. */
  run<T>(scenario: ScenarioName, skipped: T, measure: () => Promise<T>): Promise<T>;
  /** In the order the scenarios first ran. */
  durations(): ScenarioDuration[];
}

export function createScenarioTimer(selection: ScenarioSelection, progress: (line: string) => void): ScenarioTimer {
  const totals = new Map<ScenarioName, { seconds: number; cpuSeconds: number }>();
  return {
    async run(scenario, skipped, measure) {
      if (!selection.has(scenario)) return skipped;
      const started = { wall: performance.now(), cpu: ownAndReapedCpuUs() };
      try {
        return await measure();
      } finally {
        const seconds = (performance.now() - started.wall) / 1000;
        const cpuSeconds = (ownAndReapedCpuUs() - started.cpu) / 1e6;
        const total = totals.get(scenario) ?? { seconds: 0, cpuSeconds: 0 };
        totals.set(scenario, { seconds: total.seconds + seconds, cpuSeconds: total.cpuSeconds + cpuSeconds });
        progress(`${scenario}: ${seconds.toFixed(0)} s${cpuText(cpuSeconds)}`);
      }
    },
    durations: () => [...totals].map(([scenario, total]) => ({ scenario, ...total })),
  };
}

/** One line: each scenario's seconds, its share of the run and its CPU seconds, largest first. */
export function durationsText(durations: readonly ScenarioDuration[], totalSeconds: number): string {
  return [...durations]
    .sort((a, b) => b.seconds - a.seconds)
    .map(
      ({ scenario, seconds, cpuSeconds }) =>
        `${scenario} ${seconds.toFixed(0)} s (${((100 * seconds) / totalSeconds).toFixed(0)} %${cpuText(cpuSeconds)})`,
    )
    .join(', ');
}

/** Where /proc is missing the CPU is unknown: left out rather than shown as NaN. */
function cpuText(cpuSeconds: number): string {
  return Number.isNaN(cpuSeconds) ? '' : `, CPU ${cpuSeconds.toFixed(0)} s`;
}

import { cpus, loadavg, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';

export interface MachineDescription {
  cpuModel: string;
  cores: number;
  memory: string;
  node: string;
  platform: string;
  loadAverage: string;
}

export function describeMachine(): MachineDescription {
  const cpuList = cpus();
  return {
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    cores: cpuList.length,
    memory: `${(totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAverage: loadavg()
      .map((load) => load.toFixed(2))
      .join(' / '),
  };
}

/**
 * Peak and current resident set size of a process, from /proc (Linux). The
 * spawned servers are measured from outside, so the figure is theirs alone,
 * not the client's. Undefined where /proc is not available.
 */
export function residentSetOf(pid: number): { peakBytes: number; currentBytes: number } | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  return { peakBytes: kib('VmHWM'), currentBytes: kib('VmRSS') };
}

/** The ids of a process's children (Linux, from /proc); empty where not available. */
export function childPidsOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

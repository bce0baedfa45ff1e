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

// USER_HZ: the unit of /proc/<pid>/stat times, 100 on every mainstream Linux build.
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * CPU time (user + system) a process has used so far, in microseconds, from
 * /proc (Linux; 10 ms resolution). Unlike wall time it does not grow while
 * the process waits for a CPU, which on a shared machine is most of the noise.
 */
export function cpuTimeOf(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the parenthesised command name; utime and stime are the 14th and 15th of the line.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS_PER_SECOND;
}

/** The ids of a process's children (Linux, from /proc); empty where not available. */
export function childPidsOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

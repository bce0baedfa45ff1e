import { readdirSync, readFileSync } from 'node:fs';

/**
 * Where a child process's CPU time comes from (Linux /proc):
 * - `schedstat`: the first field of `/proc/<pid>/task/<tid>/schedstat`, the
 *   nanoseconds each thread has been on a CPU, summed over every thread of
 *   the process (the main thread, libuv's pool, V8's workers). Fine enough
 *   for a batch of calls costing ~100 µs each.
 * - `ticks`: utime + stime from `/proc/<pid>/stat`, in 10 ms ticks (USER_HZ):
 *   a batch needs ≥ 0.2 s of CPU for a figure precise to a few percent.
 * Unlike wall time, neither grows while the process waits for a CPU, which
 * on a shared machine is most of the noise.
 */
export type CpuSource = 'schedstat' | 'ticks';

/**
 * On-CPU time of every live thread of a process, in µs. A thread that ended
 * between two readings takes its time with it; the servers measured here keep
 * their threads for their whole life, so a batch's difference is unaffected.
 */
export function schedstatCpuUsOf(pid: number): number | undefined {
  let threads: string[];
  try {
    threads = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  let nanoseconds = 0;
  for (const tid of threads) {
    try {
      nanoseconds += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // The thread ended between the listing and the read, or the kernel has no schedstat file.
    }
  }
  return nanoseconds / 1000;
}

// USER_HZ: the unit of /proc/<pid>/stat times, 100 on every mainstream Linux build.
const CLOCK_TICKS_PER_SECOND = 100;

/** User + system time of a process (dead threads included), in µs, at 10 ms resolution. */
export function tickCpuUsOf(pid: number): number | undefined {
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

/**
 * CPU time of this process and of the children it has waited for (user +
 * system, 10 ms ticks), in µs: what a stretch of the bench cost the machine,
 * which unlike its wall time hardly depends on the load. A spawned server
 * counts once it has exited and been reaped.
 */
export function ownAndReapedCpuUs(): number {
  let stat: string;
  try {
    stat = readFileSync('/proc/self/stat', 'utf8');
  } catch {
    return Number.NaN; // Not Linux: the durations go without CPU.
  }
  // utime, stime, cutime and cstime are the 14th to 17th fields of the line.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = [11, 12, 13, 14].reduce((sum, index) => sum + Number(fields[index]), 0);
  return (ticks * 1e6) / CLOCK_TICKS_PER_SECOND;
}

/**
 * Decided once, on this process's own threads, which have certainly run: a
 * kernel built without scheduler statistics has the files but shows zeros
 * (or lacks them), and then the tick reading is the only one.
 */
export const CPU_SOURCE: CpuSource = (schedstatCpuUsOf(process.pid) ?? 0) > 0 ? 'schedstat' : 'ticks';

/** CPU time a process has used so far, in µs, from the run's source; undefined where /proc has no such process. */
export function cpuTimeOf(pid: number, source: CpuSource = CPU_SOURCE): number | undefined {
  return source === 'schedstat' ? schedstatCpuUsOf(pid) : tickCpuUsOf(pid);
}

/** How a report names the source, in a sentence about server CPU. */
export function cpuSourceText(source: CpuSource): string {
  return source === 'schedstat'
    ? 'from `/proc/<pid>/task/*/schedstat`, the nanoseconds every thread of the process spent on a CPU'
    : 'from `/proc/<pid>/stat` (user + system), in 10 ms ticks, so precise only where a batch takes ≥ 0.2 s of server CPU (this kernel shows no scheduler statistics)';
}

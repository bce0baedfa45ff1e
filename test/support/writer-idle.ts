import { readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import type { ChainedTrailWriter } from '../../src/audit/trail/chained-trail-writer.js';
import { waitFor } from './helpdesk-process.js';

/**
 * Resolves once `writer` has gone idle after its last commit: it then keeps the lock (its head current and closed,
 * the next commit looks at the file first) or, where it does not hold idle, has let the lock go.
 */
export async function writerWentIdle(writer: ChainedTrailWriter): Promise<void> {
  const idleHolds = writer.stats.idleHolds;
  const lockPath = join(writer.directory, 'audit.lock');
  await waitFor(
    () => writer.stats.idleHolds > idleHolds || !readdirSync(writer.directory).includes('audit.lock'),
    `the writer of ${lockPath} to go idle`,
  );
}

/**
 * The same for a writer in another process (`pid`): its head names the trail's last record and is not open in that
 * process, which it is from a head write until the writer goes idle or lets the lock go.
 */
export async function processWriterWentIdle(pid: number, directory: string, lastSeq: number): Promise<void> {
  const headPath = join(realpathSync(directory), 'audit.head.json');
  await waitFor(() => headSeq(headPath) === lastSeq && !openIn(pid, headPath), `process ${pid}'s writer to go idle at seq ${lastSeq}`);
}

function headSeq(headPath: string): number | null {
  try {
    return (JSON.parse(readFileSync(headPath, 'utf8')) as { last: { seq: number } }).last.seq;
  } catch {
    return null;
  }
}

function openIn(pid: number, path: string): boolean {
  const fds = `/proc/${pid}/fd`;
  return readdirSync(fds).some((fd) => {
    try {
      return readlinkSync(join(fds, fd)) === path;
    } catch {
      return false; // closed meanwhile
    }
  });
}

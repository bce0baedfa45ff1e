import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';

/**
 * A full disk for the real writer, without planting anything in the log directory (the writer refuses a day file
 * that is a symbolic link, so the old link to /dev/full no longer reaches a write). The file size limit
 * (RLIMIT_FSIZE) of the writing process is lowered with util-linux `prlimit`: every write past `bytes` in any file
 * of that process then fails with EFBIG, part-way if it starts below — what a write hitting ENOSPC does. Node
 * ignores SIGXFSZ, so the process lives on. Only the soft limit is moved, so it can be raised again. The limit
 * holds for every file the process writes: keep the window short and give the space back in a `finally`/`after`.
 */
export const FULL_DISK_ERROR = /EFBIG/;

/** Fills the disk of `pid` (default: this test process) at `bytes`; returns `spaceReturns`, safe to call twice. */
export function fillDisk(bytes = 0, pid = process.pid): () => void {
  setSoftFileSizeLimit(pid, String(bytes));
  let returned = false;
  return () => {
    if (returned) return;
    returned = true;
    setSoftFileSizeLimit(pid, 'unlimited');
  };
}

/** Fills the disk right at the end of `file` (0 if it does not exist yet): its next append fails. */
export function fillDiskAfter(file: string, pid = process.pid): () => void {
  let size = 0;
  try {
    size = statSync(file).size;
  } catch {
    // Not written yet: nothing fits.
  }
  return fillDisk(size, pid);
}

function setSoftFileSizeLimit(pid: number, limit: string): void {
  execFileSync('prlimit', ['--pid', String(pid), `--fsize=${limit}:`], { stdio: ['ignore', 'ignore', 'inherit'] });
}

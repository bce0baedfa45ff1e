import { readFileSync, readlinkSync, renameSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { readOwnFile } from './owned-files.js';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** Who holds a lock: written into the lock directory by the process that made it. */
export interface LockOwner {
  pid: number;
  hostname: string;
  /** The PID namespace (Linux), so that a PID of another container on the same host is never judged here. */
  pid_namespace: string | null;
  /** When the process started (Linux: boot id and start time in clock ticks), so that a reused PID is not taken for it. */
  start: string | null;
}

const OWNER_FILE = 'owner.json';

function readOr<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}

function processStart(pid: number): string | null {
  const stat = readOr(() => readFileSync(`/proc/${pid}/stat`, 'utf8'), null);
  if (stat === null) return null;
  // Fields after the command name, which may hold spaces and ')': the 3rd field first, the 22nd is the start time.
  const startTicks = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  return `${bootId}:${startTicks}`;
}

const bootId = readOr(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(), 'unknown-boot');
const pidNamespace = readOr(() => readlinkSync('/proc/self/ns/pid'), null);
const self: LockOwner = { pid: process.pid, hostname: hostname(), pid_namespace: pidNamespace, start: processStart(process.pid) };

/** Notes this process as the owner of the lock directory it just made. */
export function writeLockOwner(lockDir: string): void {
  // 'wx' (O_EXCL): in the directory this process just made, a name already there is not ours to write through.
  writeFileSync(join(lockDir, OWNER_FILE), JSON.stringify(self), { mode: 0o600, flag: 'wx' });
}

/** Removes the owner note, so that the lock directory can be removed. */
export function removeLockOwner(lockDir: string): void {
  readOr(() => unlinkSync(join(lockDir, OWNER_FILE)), undefined);
}

/**
 * Whether the owner is known to be gone: a process of this host and PID namespace whose PID no longer runs,
 * or now runs a process started at another time (a reused PID). Anything else may be alive: false.
 */
function ownerIsDead(owner: LockOwner): boolean {
  if (owner.hostname !== self.hostname || owner.pid_namespace !== self.pid_namespace || !Number.isInteger(owner.pid)) return false;
  const start = owner.start === null ? null : processStart(owner.pid);
  if (start !== null) return start !== owner.start;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Removes the lock directory if its owner is dead; returns the dead owner's PID, or null (no owner note yet,
 * an owner that may be alive, or another process took it over first). The owner note is claimed by a rename,
 * which only one process can win, and checked after it: one made meanwhile by a new owner is put back.
 */
export function takeOverFromDeadOwner(lockDir: string): number | null {
  const notePath = join(lockDir, OWNER_FILE);
  const note = readOr(() => readOwnFile(notePath).toString('utf8'), null);
  const owner = note === null ? null : readOr(() => JSON.parse(note) as LockOwner, null);
  if (!owner || !ownerIsDead(owner)) return null;
  const claimed = `${notePath}.${process.pid}`;
  if (
    !readOr(() => {
      renameSync(notePath, claimed);
      return true;
    }, false)
  )
    return null;
  if (readOr(() => readOwnFile(claimed).toString('utf8'), null) !== note) {
    readOr(() => renameSync(claimed, notePath), undefined);
    return null;
  }
  unlinkSync(claimed);
  rmdirSync(lockDir);
  return owner.pid;
}

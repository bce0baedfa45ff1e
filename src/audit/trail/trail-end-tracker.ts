import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import type { TrailWriterStats } from './trail-writer-stats.js';
import { GENESIS, type ChainHasher, type ChainLink } from './hash-chain.js';
import { readTrailHead, type TrailHead, type TrailHeadFile } from './trail-head.js';
import type { LeaseHolder } from './trail-lock-lease.js';
import { moveImpostorAside, readOwnFile, UntrustedFileError } from './owned-files.js';
import { linkBefore, listAllTrailFiles, rebuildPosition, reconcileWithFiles, type RecoveryFindings, type TrailPosition } from './trail-recovery.js';

/**
 * While it holds the lock, how often the writer rewrites a lagging head (it always does when it lets the lock
 * go) and stats the current file to notice a move. The same period as the waiters check: one head write and
 * one stat per 20 ms are a negligible cost, and the period bounds what a crash can leave unnoted in the head
 * (see ChainedTrailWriter). Done from the lease's timer, off the path of a caller's commit; a commit does it
 * itself only when the timer is late by as much again (an event loop blocked by other work).
 */
const UPKEEP_MS = 20;
const UPKEEP_LATE_MS = 2 * UPKEEP_MS;

export interface FileState {
  size: number;
  ino: number;
  mtimeMs: number;
}

/**
 * Where the trail ends, as the writer holding the lock knows it: read from
 * the head when it takes the lock, moved on in place by its writes (nobody
 * else writes meanwhile), written back to the head file now and then and
 * before the lock is let go, and checked against the current file now and
 * then to notice a move.
 */
export class TrailEndTracker implements LeaseHolder {
  /** Known only while the lock is held, from the first commit under it. */
  position: TrailPosition | null = null;
  /** The chain position before the oldest record kept (the head's start anchor). */
  start: ChainLink = GENESIS;
  /**
   * The furthest link this process wrote or found, kept when the lock is let go: a trail found shorter when the
   * lock is next taken (the directory, files or head removed meanwhile) is continued from here, never restarted.
   */
  private known: ChainLink = GENESIS;
  private headLags = false;
  /** Since when the head lags: a commit saves it itself only once that is UPKEEP_LATE_MS ago. */
  private headLagsSince = 0;
  private headSavedAt = 0;
  /** The last head save failed: said once on stderr, not at every try. */
  private headSaveFails = false;
  /** The last head save refused what is at the head's path (a planted link, a FIFO). */
  private headRefused = false;
  /** When the current file was last found, by a stat under the lock, to be where the position says. */
  private fileCheckedAt = 0;
  /** While the lock is kept idle: the head as it was left (null: none), to tell at the next commit whether it was touched. */
  private idleHead: FileState | null = null;
  /** From idle() until the next commit, or until the lock is let go or lost. */
  private idling = false;

  constructor(
    private readonly directory: string,
    private readonly hasher: ChainHasher,
    private readonly headFile: TrailHeadFile,
    private readonly durable: boolean,
    private readonly stats: TrailWriterStats,
    private readonly now: () => Date,
  ) {}

  /** Just took the lock: reads the head (or rebuilds it), repairing where the files disagree; returns what was found. */
  load(): RecoveryFindings {
    const findings: RecoveryFindings = {};
    const loaded = this.read(findings);
    const found = loaded.position.link;
    if (found.seq < this.known.seq) {
      findings.missing_records = { first_seq: found.seq + 1, last_seq: this.known.seq, found_seq: found.seq };
      loaded.position.link = this.known;
      loaded.current = false;
    }
    this.position = loaded.position;
    this.known = loaded.position.link;
    this.start = loaded.start;
    // Just read and matching the files, the head is current; anything else (none yet, repaired) is rewritten by the
    // first commit that writes (see lagging()). Not before: a head saved now would name a torn line as whole.
    this.fileCheckedAt = this.headSavedAt = loaded.current ? Date.now() : 0;
    this.headLags = false;
    this.headRefused = false;
    return findings;
  }

  /** Whether `target` must be looked at before writing to it: a new file, or the current one not checked lately. */
  needsCheck(target: string): boolean {
    return target !== this.position!.file || Date.now() - this.fileCheckedAt >= UPKEEP_LATE_MS;
  }

  /** Whether `target` ends where the position says (a new file: is missing or empty), and what a stat found. */
  check(target: string): { matches: boolean; found: FileState | null } {
    const position = this.position!;
    const found = this.stat(target);
    const matches =
      target === position.file ? found !== null && found.ino === position.ino && found.size === position.offset : found === null || found.size === 0;
    if (matches) this.fileCheckedAt = Date.now();
    return { matches, found };
  }

  /**
   * The files do not end where the position says: take over what continues the chain, report the rest. The new
   * position counts a torn line as whole, for the next write to close: the head is not saved for it until a write
   * succeeds (a head behind the files is taken over again; one naming a torn line as whole would be believed).
   */
  reconcile(findings: RecoveryFindings): void {
    this.position = reconcileWithFiles(this.directory, this.head(), this.hasher, findings);
    this.headLags = false;
  }

  /** Still not what was expected after repairs (replaced under us): continue the chain at `target`'s actual end. */
  continueAt(target: string, found: FileState | null): void {
    const position = this.position!;
    this.position = found
      ? { ...position, file: target, offset: found.size, lines: countLines(join(this.directory, target)), ino: found.ino }
      : { ...position, file: null, offset: 0, lines: 0, ino: 0 };
  }

  /** `bytes` reached `target` (inode `ino`): `lines` whole lines ending at `link`. `saveNow` rewrites the head at once. */
  advance(target: string, ino: number, bytes: number, lines: number, link: ChainLink, saveNow: boolean): void {
    const position = this.position!;
    if (position.file === target) {
      position.offset += bytes;
      position.lines += lines;
      position.ino = ino;
      position.link = link;
    } else {
      this.position = { link, file: target, offset: bytes, lines, ino };
    }
    this.lagging();
    if (saveNow) this.saveHead();
  }

  /** Retention deleted files: the start anchor moves, and the head says so at once. */
  moveStart(start: ChainLink): void {
    this.start = start;
    this.lagging();
    this.saveHead();
  }

  /**
   * After a commit: rewrites the head if the lease's timer was too late to (UPKEEP_LATE_MS). Counted from when the
   * head began to lag, not from its last save: after an idle spell that save is long ago, and the first commit would
   * write the head on its caller's path (an open and a write) where the timer does it 20 ms later.
   */
  committed(now: number): void {
    if (this.headLags && now - this.headLagsSince >= UPKEEP_LATE_MS) this.saveHead();
  }

  get headBehind(): boolean {
    return this.headLags && this.position !== null && this.headSaveFails && !this.headRefused;
  }

  /** reopen() (SIGHUP): look at the current file before the next write. */
  recheck(): void {
    this.fileCheckedAt = 0;
  }

  upkeep(now: number): void {
    if (this.headLags && now - this.headSavedAt >= UPKEEP_MS) this.saveHead();
    const position = this.position;
    if (!position?.file || now - this.fileCheckedAt < UPKEEP_MS) return;
    // A mismatch leaves the check to the next commit, which stats again and repairs.
    const found = this.stat(position.file);
    this.fileCheckedAt = found && found.ino === position.ino && found.size === position.offset ? now : 0;
  }

  /**
   * The lock is kept with no commit: the head is brought up to date and let go, so that the next write opens it by
   * path again (one removed meanwhile is made anew, not written unlinked), and the next commit looks at the file first.
   */
  idle(): void {
    const open = this.headFile.openInode();
    this.saveHead();
    this.fileCheckedAt = 0;
    this.letHeadGo(open);
    this.idling = true;
  }

  /**
   * Closes the head and notes it as left. Not one replaced while it was open (its saves went to the file it replaced),
   * nor one a save refused (a planted link): "none left", so that the next commit reads the head again.
   */
  private letHeadGo(open = this.headFile.openInode()): void {
    this.headFile.close();
    const found = statOrNull(this.headFile.path);
    this.idleHead = this.headRefused || (open !== null && found?.ino !== open) ? null : found;
  }

  /** The first commit after an idle spell: a head removed, replaced or written meanwhile is read again, as when the lock is taken. */
  resumed(): void {
    this.idling = false;
    const left = this.idleHead;
    this.idleHead = null;
    if (left && sameFile(left, statOrNull(this.headFile.path))) return;
    this.remember();
    this.position = null;
  }

  /** Before anyone else can take the lock: the next holder trusts the head, and opens it by path. */
  beforeRelease(): void {
    this.saveHead();
    if (this.headLags && this.headSaveFails) {
      process.stderr.write(
        `audit: the lock is let go with the head ${this.headFile.path} behind the records; the next writer to take it repairs it\n`,
      );
    }
    this.headSaveFails = false;
    this.idling = false;
    this.remember();
    this.position = null;
    this.headFile.close();
  }

  leaseLost(): void {
    process.stderr.write(
      `audit: the lock is no longer this process's (taken over as stale while it was frozen, or removed); it re-reads the trail's end before writing again\n`,
    );
    this.headLags = false;
    this.headSaveFails = false;
    this.idling = false;
    this.remember();
    this.position = null;
    this.headFile.close();
  }

  /**
   * A write moved the trail's end past the head. A head not saved since it was found stale (`headSavedAt` 0: none, or
   * repaired) counts as lagging for long, so that this commit saves it: a writer killed before the timer's save would
   * leave the next one to repair it again.
   */
  private lagging(): void {
    if (this.headLags) return;
    this.headLags = true;
    this.headLagsSince = this.headSavedAt === 0 ? 0 : Date.now();
  }

  private remember(): void {
    if (this.position && this.position.link.seq > this.known.seq) this.known = this.position.link;
  }

  /** Writes the head if it lags behind what this writer wrote. Only under the lock: `position` is known only then. */
  saveHead(): void {
    if (!this.headLags || this.position === null) return;
    // Kept idle, it is written only over the head as it was left: one touched meanwhile is read again at the next commit.
    if (this.idling && !sameFile(this.idleHead, statOrNull(this.headFile.path))) return;
    this.headSavedAt = Date.now();
    this.stats.headWrites++;
    try {
      this.headFile.write(this.head(), this.hasher, this.durable);
    } catch (error) {
      // The records are in the file, but while the head does not name them, records cut off the end go unnoticed by
      // verify: it stays lagging, tried again by the next upkeep, idle poll or commit (or repaired by the next holder).
      if (!this.headSaveFails) {
        process.stderr.write(
          `audit: could not update the head ${this.headFile.path}: ${(error as Error).message} (tried again until it is written or the lock is let go)\n`,
        );
      }
      this.headSaveFails = true;
      this.headLagsSince = this.headSavedAt; // retried by the timer, on a caller's path only if that runs late
      this.headRefused = error instanceof UntrustedFileError;
      // Kept idle: a try that failed may have changed the head itself (created it, written it before a failed sync),
      // which is not someone else's touch. A refused impostor is left to the next commit to read again.
      if (this.idling && !this.headRefused) this.idleHead = statOrNull(this.headFile.path);
      return;
    }
    this.headLags = false;
    this.headRefused = false;
    if (this.headSaveFails) process.stderr.write(`audit: the head ${this.headFile.path} is up to date again\n`);
    this.headSaveFails = false;
    if (this.idling) this.letHeadGo();
  }

  private read(findings: RecoveryFindings): { position: TrailPosition; start: ChainLink; current?: boolean } {
    const moved = moveImpostorAside(this.headFile.path);
    if (moved) findings.impostor_moved = moved;
    const read = readTrailHead(this.headFile.path, this.hasher);
    if (read.status === 'ok') {
      const { head } = read;
      const found = statOrNull(join(this.directory, head.file));
      if (found && found.ino === head.ino && found.size === head.offset) {
        return {
          position: { link: head.last, file: head.file, offset: head.offset, lines: head.lines, ino: head.ino },
          start: head.start,
          current: true,
        };
      }
      return { position: reconcileWithFiles(this.directory, head, this.hasher, findings), start: head.start };
    }
    if (read.status === 'invalid' && read.head && read.head.key_id !== this.hasher.keyId) {
      throw new Error(`audit head ${this.headFile.path}: ${read.reason}`);
    }
    const files = listAllTrailFiles(this.directory);
    if (files.length === 0 || files.every((file) => !file.compressed && statOrNull(join(this.directory, file.name))?.size === 0)) {
      return { position: { link: GENESIS, file: null, offset: 0, lines: 0, ino: 0 }, start: GENESIS };
    }
    findings.head = read.status === 'missing' ? 'head file missing' : `head file unusable: ${read.reason}`;
    return { position: rebuildPosition(this.directory, this.hasher, findings), start: linkBefore(this.directory, files[0]!) };
  }

  private stat(file: string): FileState | null {
    this.stats.fileChecks++;
    return statOrNull(join(this.directory, file));
  }

  private head(): TrailHead {
    const position = this.position!;
    return {
      version: 1,
      algorithm: this.hasher.algorithm,
      key_id: this.hasher.keyId,
      last: position.link,
      file: position.file ?? '',
      offset: position.offset,
      lines: position.lines,
      ino: position.ino,
      start: this.start,
      updated_at: this.now().toISOString(),
    };
  }
}

/** The same file in the same state, or both absent. */
function sameFile(left: FileState | null, found: FileState | null): boolean {
  if (left === null || found === null) return left === found;
  return found.ino === left.ino && found.size === left.size && found.mtimeMs === left.mtimeMs;
}

/** lstat: a link planted where a trail file should be is seen as itself, never as the file it points at. */
export function statOrNull(path: string): FileState | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

function countLines(path: string): number {
  let count = 0;
  for (const byte of readOwnFile(path)) if (byte === 0x0a) count++;
  return count;
}

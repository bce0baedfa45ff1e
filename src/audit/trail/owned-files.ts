import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  lstatSync,
  openSync,
  readFileSync,
  realpathSync,
  renameSync,
  chmodSync,
  type Stats,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * The log directory is not trusted (issue 14): anyone who can create a name in it could plant a symbolic link,
 * a hard link, a FIFO or a device where the writer expects one of its own files. Every file of the trail is
 * therefore opened here: never through a symbolic link (O_NOFOLLOW), never blocking on a FIFO (O_NONBLOCK,
 * which regular files ignore), and checked on the descriptor it opened (no race between a check and the open):
 * a regular file, owned by this process's user, with one name only when it is to be written. An impostor is
 * refused with an error naming the path; nothing is followed, moved or deleted. Loose permissions are tightened
 * to 0600 (0700 for a directory) and reported through `onTightened`, so that the writer records it in the trail.
 */
export class UntrustedFileError extends Error {
  readonly code = 'EAUDITUNTRUSTED';
  constructor(
    readonly path: string,
    why: string,
  ) {
    super(`audit: refusing ${path}: ${why}; the writer never follows or writes an impostor in its log directory (move it aside)`);
    this.name = 'UntrustedFileError';
  }
}

/** A file or directory whose group/other permission bits the writer removed. */
export interface TightenedPermissions {
  path: string;
  /** Octal, as `ls -l` would let one compute it: '644' before, '600' after. */
  mode_before: string;
  mode_after: string;
}

export type OnTightened = (tightened: TightenedPermissions) => void;

/** Group and other permission bits: none are left on a file or directory of the trail. */
export const LOOSE = 0o077;
/** The flags every open of a trail file adds: never through a link, never blocking on a FIFO. */
export const NO_FOLLOW = constants.O_NOFOLLOW | constants.O_NONBLOCK;
const myUid = process.getuid?.() ?? null;

/** Opens a file of the trail for writing (`flags` such as O_APPEND | O_CREAT), checked and tightened as said above. */
export function openOwnFileForWriting(path: string, flags: number, onTightened: OnTightened | null): number {
  const fd = openNoFollow(path, flags | constants.O_WRONLY, 0o600);
  try {
    const stats = checkOwnFile(path, fstatSync(fd), true);
    if ((stats.mode & LOOSE) !== 0) {
      fchmodSync(fd, 0o600);
      onTightened?.({ path, mode_before: octal(stats.mode), mode_after: '600' });
    }
    return fd;
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/** Opens a file of the trail for reading: never through a link, only a regular file (whoever owns it). Throws ENOENT as usual. */
export function openOwnFileForReading(path: string): number {
  const fd = openNoFollow(path, constants.O_RDONLY, 0);
  try {
    checkOwnFile(path, fstatSync(fd), false);
    return fd;
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/** The whole content of a file of the trail, read as `openOwnFileForReading` opens it. */
export function readOwnFile(path: string, maxBytes = Number.POSITIVE_INFINITY): Buffer {
  const fd = openOwnFileForReading(path);
  try {
    // A small file of the writer's (the head, a lock note) planted huge, or sparse, is refused before it is read whole.
    if (fstatSync(fd).size > maxBytes) throw new UntrustedFileError(path, `larger than ${maxBytes} bytes, which a file of this kind never is`);
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Checks a directory of the trail that exists (the log directory, the checkpoint directory): a real directory,
 * not a link to one, owned by this user; a group- or world-accessible one is tightened to 0700 and reported.
 */
export function checkOwnDirectory(path: string, onTightened: OnTightened | null): void {
  const stats = lstatSync(path);
  checkOwnDirectoryStats(path, stats);
  if ((stats.mode & LOOSE) !== 0) {
    chmodSync(path, 0o700);
    onTightened?.({ path, mode_before: octal(stats.mode), mode_after: '700' });
  }
}

/** Throws UntrustedFileError unless `stats` (from lstat) are of a real directory, not a link to one, owned by this user. */
export function checkOwnDirectoryStats(path: string, stats: Stats): void {
  if (stats.isSymbolicLink()) throw new UntrustedFileError(path, 'it is a symbolic link, not a directory');
  if (!stats.isDirectory()) throw new UntrustedFileError(path, 'it is not a directory');
  checkOwner(path, stats);
}

/**
 * For a file the writer rewrites whole (the head), whose content is no evidence when it is an impostor: a link, a
 * non-file or a file with another name at `path` is renamed aside (the name moves; nothing it points at is
 * touched), so that the writer can make its own. Returns where it went, for the record, or null if none was there.
 */
export function moveImpostorAside(path: string): { path: string; moved_to: string; was: string } | null {
  const found = lstatSync(path, { throwIfNoEntry: false });
  if (!found || (found.isFile() && found.nlink === 1)) return null;
  const was = found.isSymbolicLink() ? 'a symbolic link' : !found.isFile() ? 'not a regular file' : `a file with ${found.nlink} hard links`;
  const movedTo = `${path}.impostor-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  renameSync(path, movedTo);
  return { path, moved_to: movedTo, was };
}

/**
 * The configured log directory as the real path it names when the writer starts: a link there then is the
 * operator's choice (a volume mounted elsewhere). From then on only the resolved path is used, so a link put in
 * its place later is never followed. A directory not made yet resolves through its nearest existing parent.
 */
export function resolveLogDirectory(path: string): string {
  try {
    return realpathSync(path);
  } catch (error) {
    const parent = dirname(path);
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || parent === path) return path;
    return join(resolveLogDirectory(parent), basename(path));
  }
}

function openNoFollow(path: string, flags: number, mode: number): number {
  try {
    return openSync(path, flags | NO_FOLLOW, mode);
  } catch (error) {
    throw refusalOf(path, error);
  }
}

/** What an open with NO_FOLLOW failing with `error` means: an impostor refused, naming `path`, or the error itself. */
export function refusalOf(path: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  // ELOOP: the last component is a symbolic link. ENXIO: a FIFO with no reader (O_NONBLOCK).
  if (code === 'ELOOP') return new UntrustedFileError(path, 'it is a symbolic link');
  if (code === 'ENXIO') return new UntrustedFileError(path, 'it is not a regular file');
  return error;
}

/**
 * For a scratch name the writer creates with O_EXCL (a checkpoint's temporary file), from lstat: a regular file of
 * its own there is a crash's leftover, which may go (a process with the same pid, as in a container, finds it, even
 * as a second name of the checkpoint it was linked to); anything else is refused and left in place.
 */
export function checkOwnLeftover(path: string, stats: Stats): void {
  if (stats.isSymbolicLink()) throw new UntrustedFileError(path, 'it is a symbolic link');
  if (!stats.isFile()) throw new UntrustedFileError(path, 'it is not a regular file');
  checkOwner(path, stats);
}

/** Throws UntrustedFileError unless `stats` (from the opened descriptor) are of a file the writer may read or write. */
export function checkOwnFile(path: string, stats: Stats, writing: boolean): Stats {
  if (!stats.isFile()) throw new UntrustedFileError(path, 'it is not a regular file');
  // Another name for the same inode may lie outside the directory (a file planted by hard link): never append to it.
  if (writing && stats.nlink > 1) throw new UntrustedFileError(path, `it has ${stats.nlink} hard links (another name points at the same file)`);
  // Only the writer must own what it writes: `mcp-audit verify` is often run by an auditor who is not its user.
  if (writing) checkOwner(path, stats);
  return stats;
}

function checkOwner(path: string, stats: Stats): void {
  if (myUid !== null && stats.uid !== myUid)
    throw new UntrustedFileError(path, `it is owned by uid ${stats.uid}, not by this process's uid ${myUid} (mode ${octal(stats.mode)})`);
}

export function octal(mode: number): string {
  return (mode & 0o777).toString(8);
}

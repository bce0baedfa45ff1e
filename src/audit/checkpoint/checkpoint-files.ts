import { closeSync, constants, linkSync, lstatSync, mkdirSync, readdirSync, unlinkSync, writeSync } from 'node:fs';
import { link, lstat, mkdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { checkOwnDirectoryAsync, openOwnFileForWritingAsync, readOwnFileAsync } from '../trail/owned-files-async.js';
import { checkOwnDirectory, checkOwnLeftover, openOwnFileForWriting, readOwnFile, type OnTightened } from '../trail/owned-files.js';

/**
 * Checkpoints on disk: `<dir>/checkpoints/<tree size, 16 digits>.checkpoint`, one signed note per file. Sizes are
 * zero-padded so that `ls` lists them in order. A file is never replaced: two writers signing the same size write
 * the same bytes (Ed25519 is deterministic), and a different note for a size already signed would be a fork,
 * which must stay visible rather than be overwritten.
 */
export const CHECKPOINT_DIR = 'checkpoints';
const NAME = /^(\d{16})\.checkpoint$/;

export function checkpointFileName(size: number): string {
  return `${String(size).padStart(16, '0')}.checkpoint`;
}

/**
 * Writes `note` as `name` in `dir` (created 0700), complete or not at all; false if a different note has that name.
 * Written whole under a temporary dot name first (a crash leaves a dot file, never half a checkpoint), then linked
 * to its name: a link, unlike a rename, fails rather than replace an existing file. A link, FIFO or foreign file
 * planted as the directory, the temporary name or the final name is refused, naming it, and left where it is
 * (owned-files.ts); a file of ours at the temporary name is a crash's leftover, removed.
 */
export function writeCheckpointFile(dir: string, name: string, note: string, onTightened: OnTightened | null = null): boolean {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  checkOwnDirectory(dir, onTightened);
  const temporary = join(dir, `.${name}.${process.pid}.tmp`);
  const leftover = lstatSync(temporary, { throwIfNoEntry: false });
  if (leftover) {
    checkOwnLeftover(temporary, leftover);
    unlinkSync(temporary);
  }
  const fd = openOwnFileForWriting(temporary, constants.O_CREAT | constants.O_EXCL, onTightened);
  try {
    writeSync(fd, note);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temporary, join(dir, name));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return readOwnFile(join(dir, name)).toString('utf8') === note;
  } finally {
    unlinkSync(temporary);
  }
}

/** As writeCheckpointFile, off the event loop's critical path: for the mirror, which may be a slow mount (modes tightened there are not recorded). */
export async function writeCheckpointFileAsync(dir: string, name: string, note: string): Promise<boolean> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await checkOwnDirectoryAsync(dir, null);
  const temporary = join(dir, `.${name}.${process.pid}.tmp`);
  const leftover = await lstat(temporary).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? null : Promise.reject(error)));
  if (leftover) {
    checkOwnLeftover(temporary, leftover);
    await unlink(temporary);
  }
  const handle = await openOwnFileForWritingAsync(temporary, constants.O_CREAT | constants.O_EXCL, null);
  try {
    await handle.writeFile(note);
  } finally {
    await handle.close();
  }
  try {
    await link(temporary, join(dir, name));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return (await readOwnFileAsync(join(dir, name))).toString('utf8') === note;
  } finally {
    await unlink(temporary);
  }
}

export interface CheckpointFile {
  name: string;
  path: string;
  /** The size its name claims; the verifier checks it against the signed text. */
  size: number;
}

/** The checkpoint files in `dir`, smallest size first; none if the directory does not exist. */
export function listCheckpointFiles(dir: string): CheckpointFile[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return names
    .flatMap((name) => {
      const match = NAME.exec(name);
      return match ? [{ name, path: join(dir, name), size: Number(match[1]) }] : [];
    })
    .sort((a, b) => a.size - b.size);
}

import { constants } from 'node:fs';
import { chmod, type FileHandle, lstat, open } from 'node:fs/promises';
import { checkOwnDirectoryStats, checkOwnFile, LOOSE, NO_FOLLOW, octal, type OnTightened, refusalOf } from './owned-files.js';

/**
 * The rules of owned-files.ts, off the event loop: for the checkpoint mirror, which may be a slow mount. Same
 * checks, made on the opened descriptor; an impostor is refused with an error naming its path, never followed.
 */
export async function openOwnFileForWritingAsync(path: string, flags: number, onTightened: OnTightened | null): Promise<FileHandle> {
  const handle = await openNoFollow(path, flags | constants.O_WRONLY, 0o600);
  try {
    const stats = checkOwnFile(path, await handle.stat(), true);
    if ((stats.mode & LOOSE) !== 0) {
      await handle.chmod(0o600);
      onTightened?.({ path, mode_before: octal(stats.mode), mode_after: '600' });
    }
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** The whole content of a file of the trail: never through a link, only a regular file (whoever owns it). */
export async function readOwnFileAsync(path: string): Promise<Buffer> {
  const handle = await openNoFollow(path, constants.O_RDONLY, 0);
  try {
    checkOwnFile(path, await handle.stat(), false);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** A directory of the trail that exists: a real directory owned by this user, tightened to 0700 if loose. */
export async function checkOwnDirectoryAsync(path: string, onTightened: OnTightened | null): Promise<void> {
  const stats = await lstat(path);
  checkOwnDirectoryStats(path, stats);
  if ((stats.mode & LOOSE) !== 0) {
    await chmod(path, 0o700);
    onTightened?.({ path, mode_before: octal(stats.mode), mode_after: '700' });
  }
}

async function openNoFollow(path: string, flags: number, mode: number): Promise<FileHandle> {
  try {
    return await open(path, flags | NO_FOLLOW, mode);
  } catch (error) {
    throw refusalOf(path, error);
  }
}

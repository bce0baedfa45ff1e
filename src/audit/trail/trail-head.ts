import { closeSync, constants, fdatasyncSync, fstatSync, ftruncateSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { fsyncDirectory } from './fsync-directory.js';
import type { ChainHasher, ChainLink } from './hash-chain.js';
import { openOwnFileForWriting, readOwnFile, type OnTightened } from './owned-files.js';

/**
 * Where the trail ends, kept in a small sealed file apart from the JSONL
 * files (`<logDir>/audit.head.json` unless AUDIT_HEAD_FILE puts it elsewhere)
 * and rewritten under the writers' lock: always before the lock is let go
 * (so the next holder finds it current), when a write starts a new file, and
 * every 20 ms (40 at most) while one writer keeps the lock through a busy
 * stretch (after every write with AUDIT_FSYNC=always). Between those rewrites
 * it may lag behind the files; a crash can leave it so. Records after the
 * head are kept: they continue the chain, the next writer takes them over (a
 * `recovery` record with `adopted_records`) and `verify` notes them. Until a
 * writer has done so, cutting exactly those records off is not detectable —
 * the records a crash left unnoted, those of the last 20 ms (40 at most).
 *
 * The chain alone cannot show that records were cut off the end: the shorter
 * trail is still a valid chain. The head can: verify compares the last record
 * with `last`. With AUDIT_HMAC_KEY the seal is keyed, so the head cannot be
 * rewritten to match a shortened trail without the key. What it cannot stop
 * is someone who can write the head's location putting back an older head
 * file they saved earlier together with the matching shortened trail — keep
 * the head on storage the trail's readers cannot write if that matters.
 */
export interface TrailHead {
  version: 1;
  algorithm: string;
  key_id: string | null;
  /** The last record written. */
  last: ChainLink;
  /** The file it is in, that file's size in bytes and line count after it, and its inode (to notice a move). */
  file: string;
  offset: number;
  lines: number;
  ino: number;
  /** The chain position just before the oldest record still kept: genesis until retention deletes files. */
  start: ChainLink;
  updated_at: string;
}

export type SealedHead = TrailHead & { seal: string };

/** The fields in a fixed order, so the seal does not depend on how the file was parsed. */
function sealedFields(head: TrailHead): string {
  return JSON.stringify([
    head.version,
    head.algorithm,
    head.key_id,
    head.last.seq,
    head.last.hash,
    head.file,
    head.offset,
    head.lines,
    head.ino,
    head.start.seq,
    head.start.hash,
    head.updated_at,
  ]);
}

/** A head is a few hundred bytes; anything far larger was put there by someone else. */
const HEAD_MAX_BYTES = 64 * 1024;

export type HeadReadResult = { status: 'ok'; head: TrailHead } | { status: 'missing' } | { status: 'invalid'; reason: string; head?: TrailHead };

export function readTrailHead(path: string, hasher: ChainHasher): HeadReadResult {
  let text: string;
  try {
    text = readOwnFile(path, HEAD_MAX_BYTES).toString('utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'missing' };
    return { status: 'invalid', reason: (error as Error).message };
  }
  let parsed: SealedHead;
  try {
    parsed = JSON.parse(text) as SealedHead;
  } catch {
    return { status: 'invalid', reason: 'head file is not valid JSON' };
  }
  const { seal, ...head } = parsed;
  if (typeof seal !== 'string' || !head.last || !head.start) return { status: 'invalid', reason: 'head file lacks fields' };
  if (head.key_id !== hasher.keyId) {
    return {
      status: 'invalid',
      reason: `head was sealed with key id ${head.key_id ?? 'none (unkeyed)'}, not ${hasher.keyId ?? 'none (unkeyed)'}: wrong key?`,
      head,
    };
  }
  if (hasher.seal(sealedFields(head)) !== seal) return { status: 'invalid', reason: 'head seal does not match its content', head };
  return { status: 'ok', head };
}

const HEAD_BLOCK = 512;

/**
 * The head file as the writer rewrites it: in place with one `pwrite` at
 * offset 0, padded to a whole number of 512-byte blocks so that successive
 * heads have the same size; a process killed mid-way leaves the old head or
 * the new one. Not a rename: replacing a file by rename makes ext4 flush the
 * new file's data first, which cost about 1 ms per write on our machines,
 * more than everything else. A machine crash in the middle of this write can
 * tear the head; the seal then fails, and the next writer rebuilds it and
 * records that it did.
 *
 * Opened as every file of the trail is (owned-files.ts): a planted link or
 * hard link is refused, never written through.
 *
 * The descriptor stays open between writes only while the caller holds the
 * writers' lock (nobody else may write the head then); the caller closes it
 * when it goes idle or lets the lock go, so the next write or holder opens the head by path again.
 */
export class TrailHeadFile {
  private fd: number | null = null;
  /** The file's size as last seen or set through `fd`: truncate only when it changes. */
  private size = 0;
  /** The inode of the file `fd` is open on, from the stat taken when it was opened. */
  private ino = 0;
  /** Created by this object and its name not yet made durable (done at the first durable write). */
  private nameUnsynced = false;

  constructor(
    readonly path: string,
    private readonly onTightened: OnTightened | null = null,
  ) {}

  /** Seals and writes `head`; `durable` fdatasyncs it. On error the descriptor is closed and the error thrown. */
  write(head: TrailHead, hasher: ChainHasher, durable: boolean): void {
    const text = JSON.stringify({ ...head, seal: hasher.seal(sealedFields(head)) } satisfies SealedHead);
    const size = Math.ceil((Buffer.byteLength(text) + 1) / HEAD_BLOCK) * HEAD_BLOCK;
    const data = Buffer.alloc(size, 0x20);
    data.write(text);
    data[size - 1] = 0x0a;
    const fd = this.descriptor();
    try {
      // A short write (a file size limit part-way) would leave a torn head taken for a saved one.
      const written = writeSync(fd, data, 0, size, 0);
      if (written !== size) throw new Error(`short write of the head: ${written} of ${size} bytes`);
      if (this.size !== size) {
        ftruncateSync(fd, size);
        this.size = size;
      }
      if (durable) {
        fdatasyncSync(fd);
        if (this.nameUnsynced) fsyncDirectory(dirname(this.path));
        this.nameUnsynced = false;
      }
    } catch (error) {
      this.close();
      throw error;
    }
  }

  /** The inode of the file open for writing, or null if none is: the caller tells by it whether the path still leads there. */
  openInode(): number | null {
    return this.fd === null ? null : this.ino;
  }

  close(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    try {
      closeSync(fd);
    } catch {
      // Gone either way; the next write opens the path again.
    }
  }

  private descriptor(): number {
    if (this.fd !== null) return this.fd;
    try {
      this.fd = openOwnFileForWriting(this.path, 0, this.onTightened);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      this.fd = openOwnFileForWriting(this.path, constants.O_CREAT | constants.O_EXCL, this.onTightened);
      this.nameUnsynced = true;
    }
    try {
      ({ size: this.size, ino: this.ino } = fstatSync(this.fd));
    } catch (error) {
      this.close();
      throw error;
    }
    return this.fd;
  }
}

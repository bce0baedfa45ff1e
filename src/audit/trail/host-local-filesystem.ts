import { statfsSync } from 'node:fs';

/**
 * Linux filesystem magic numbers (linux/magic.h, statfs(2)) of filesystems that only this host's kernel writes: ext2-4,
 * XFS, Btrfs, tmpfs, overlayfs (containers), F2FS, ZFS, ramfs, bcachefs. Every change to a file on them raises its
 * inotify event here, whichever process (or container) made it. Anything else (NFS, SMB, Ceph, FUSE, 9p, virtiofs, or
 * a type not listed) may be written from another host, whose changes raise no event.
 */
const HOST_LOCAL_TYPES = new Set([0xef53, 0x58465342, 0x9123683e, 0x01021994, 0x794c7630, 0xf2f52010, 0x2fc12fc1, 0x858458f6, 0xca451a4e]);

/**
 * Whether every process that could write in `directory` runs on this host, so that watching a file there (inotify)
 * sees every change to it. False when unsure: another platform, or a directory that cannot be looked at.
 */
export function onlyThisHostWrites(directory: string): boolean {
  if (process.platform !== 'linux') return false;
  try {
    return HOST_LOCAL_TYPES.has(statfsSync(directory).type);
  } catch {
    return false;
  }
}

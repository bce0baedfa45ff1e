import assert from 'node:assert/strict';
import { existsSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { onlyThisHostWrites } from '../../../src/audit/trail/host-local-filesystem.js';
import { makeTempDir } from '../../support/trail-files.js';

test('filesystems only this host writes are told from those another host may share, and unsure means shared', {
  skip: process.platform !== 'linux',
}, () => {
  // tmpfs is always local; procfs and a missing directory are not known to be: the idle holder then polls.
  if (existsSync('/dev/shm')) assert.equal(onlyThisHostWrites('/dev/shm'), statfsSync('/dev/shm').type === 0x01021994);
  assert.equal(onlyThisHostWrites('/proc'), false);
  assert.equal(onlyThisHostWrites(join(makeTempDir('fs-kind'), 'missing')), false);
  const ext4OrTmpfs = [0xef53, 0x01021994].includes(statfsSync(makeTempDir('fs-kind')).type);
  if (ext4OrTmpfs) assert.equal(onlyThisHostWrites(makeTempDir('fs-kind')), true);
});

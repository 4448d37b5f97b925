/** berth's dm-verity tree is byte for byte what `veritysetup format` writes, for every tree shape. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildVerityTree, hashBlocks } from '../../../src/images/pack/verity-tree.ts';

const skip = spawnSync('veritysetup', ['--version']).status === 0 ? false : 'veritysetup is not installed (Debian: cryptsetup-bin)';

test('same bytes and root hash as veritysetup format', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-verity-'));
  try {
    // 1 block: no levels; 128: one full level-0 block; 129: two levels; 16385: three.
    for (const blocks of [1, 2, 128, 129, 16385]) {
      const data = randomBytes(blocks * 4096);
      const salt = randomBytes(32);
      const uuid = randomBytes(16);
      const file = join(dir, `d${blocks}`);
      writeFileSync(file, data);
      const uuidText = uuid.toString('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
      const r = spawnSync('veritysetup', ['format', file, file, `--hash-offset=${data.length}`, `--data-blocks=${blocks}`, '--hash=sha256', '--data-block-size=4096', '--hash-block-size=4096', '--format=1', `--salt=${salt.toString('hex')}`, `--uuid=${uuidText}`], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const theirs = readFileSync(file).subarray(data.length);
      const ours = buildVerityTree(hashBlocks(data, salt), salt, uuid);
      assert.equal(ours.rootHash, /Root hash:\s*([0-9a-f]+)/.exec(r.stdout)![1], `${blocks} blocks: root hash`);
      assert.equal(ours.bytes.length, theirs.length, `${blocks} blocks: size`);
      assert.ok(ours.bytes.equals(theirs), `${blocks} blocks: bytes`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

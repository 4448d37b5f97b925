/** Staged directories: whole or not at all, never a half-written folder under its real name. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { hiddenSibling, removePublished, withStagedDir } from '../../src/state/staged-dir.ts';

describe('staged directories', () => {
  const root = mkdtempSync(join(tmpdir(), 'berth-staged-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  test('the folder appears with its content, and nothing hidden is left beside it', async () => {
    const target = join(root, 'a');
    const seen = await withStagedDir(target, async (staged) => {
      writeFileSync(join(staged, 'f'), 'one');
      assert.deepEqual(readdirSync(root).filter((e) => e === 'a'), [], 'not visible while it is filled');
      return staged;
    }, { sync: 'entries' });
    assert.match(seen, /\/\.new-\d+-[0-9a-f]{8}-a$/);
    assert.equal(readFileSync(join(target, 'f'), 'utf8'), 'one');
    assert.deepEqual(readdirSync(root), ['a']);
  });

  test('an existing folder is not replaced unless asked; when asked it is', async () => {
    const target = join(root, 'a');
    await assert.rejects(withStagedDir(target, async (staged) => writeFileSync(join(staged, 'f'), 'two')), (e: NodeJS.ErrnoException) => e.code === 'ENOTEMPTY' || e.code === 'EEXIST');
    assert.equal(readFileSync(join(target, 'f'), 'utf8'), 'one');
    await withStagedDir(target, async (staged) => writeFileSync(join(staged, 'f'), 'two'), { replace: true });
    assert.equal(readFileSync(join(target, 'f'), 'utf8'), 'two');
    assert.deepEqual(readdirSync(root), ['a']);
  });

  test('a failing fill leaves neither the folder nor its staging', async () => {
    await assert.rejects(withStagedDir(join(root, 'b'), async () => {
      throw new Error('disk full');
    }), /disk full/);
    assert.deepEqual(readdirSync(root), ['a']);
  });

  test('removal renames aside first and reports a missing folder', async () => {
    mkdirSync(join(root, 'c', 'deep'), { recursive: true });
    assert.equal(await removePublished(join(root, 'c'), { sync: true }), true);
    assert.equal(await removePublished(join(root, 'c')), false);
    assert.deepEqual(readdirSync(root), ['a']);
  });

  test('hidden names carry the process id and end with the name', () => {
    assert.match(hiddenSibling('/x/media/debian-12', 'partial'), new RegExp(`^/x/media/\\.partial-${process.pid}-[0-9a-f]{8}-debian-12$`));
  });
});

import { chmod, chown, lstat, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { blankPasswordHashes, scrubTree } from '../../../src/images/capture/scrub-tree.ts';

describe('blankPasswordHashes', () => {
  it('replaces hashes, locked or not, and leaves no-password and lock markers alone', () => {
    const before = [
      'root:$y$j9T$salt$hash:19700:0:99999:7:::',
      'old:abcdefghijklm:19700::::::',
      'locked:!$6$s$h:19700:0:99999:7:::',
      'daemon:*:19700:0:99999:7:::',
      'never:!:19700:0:99999:7:::',
      'never2:!!:19700::::::',
      'nologin:!*:19700::::::',
      'solaris:*LK*:19700::::::',
      'open::19700:0:99999:7:::',
      '',
    ].join('\n');
    const { text, replaced } = blankPasswordHashes(before);
    assert.equal(replaced, 3);
    assert.deepEqual(text.split('\n').map((l) => l.split(':')[1]), ['*', '*', '*', '*', '!', '!!', '!*', '*LK*', '', undefined]);
    assert.ok(text.endsWith('\n'));
  });
});

describe('scrubTree', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-cap-scrub-'));
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('empties machine-id and blanks shadow in place, keeping owner, mode and inode', async () => {
    const tree = join(dir, 'plain');
    await mkdir(join(tree, 'etc'), { recursive: true });
    await writeFile(join(tree, 'etc/machine-id'), 'abc\n');
    await chmod(join(tree, 'etc/machine-id'), 0o444);
    await writeFile(join(tree, 'etc/shadow'), 'root:$6$a$b:1::::::\n');
    await chmod(join(tree, 'etc/shadow'), 0o640);
    await chown(join(tree, 'etc/shadow'), 0, 42);
    const inode = (await stat(join(tree, 'etc/shadow'))).ino;

    const report = await scrubTree(tree);
    assert.deepEqual(report, { scrubbed: ['/etc/machine-id', '/etc/shadow'], warnings: [] });
    assert.equal(await readFile(join(tree, 'etc/machine-id'), 'utf8'), '');
    assert.equal((await stat(join(tree, 'etc/machine-id'))).mode & 0o7777, 0o444);
    assert.equal(await readFile(join(tree, 'etc/shadow'), 'utf8'), 'root:*:1::::::\n');
    const shadow = await stat(join(tree, 'etc/shadow'));
    assert.equal(shadow.ino, inode);
    assert.equal(shadow.gid, 42);
    assert.equal(shadow.mode & 0o7777, 0o640);

    // Nothing left to do the second time: nothing reported.
    assert.deepEqual(await scrubTree(tree), { scrubbed: [], warnings: [] });
  });

  it('reports nothing for a tree without those files', async () => {
    const tree = join(dir, 'empty');
    await mkdir(tree);
    assert.deepEqual(await scrubTree(tree), { scrubbed: [], warnings: [] });
  });

  it('never follows the tree\'s symlinks out into the server\'s filesystem', async () => {
    const victim = join(dir, 'server-machine-id');
    const victimShadow = join(dir, 'server-etc', 'shadow');
    await writeFile(victim, 'server id\n');
    await mkdir(join(dir, 'server-etc'));
    await writeFile(victimShadow, 'root:$6$server$hash:1::::::\n');

    const linkedFile = join(dir, 'linked-file');
    await mkdir(join(linkedFile, 'etc'), { recursive: true });
    await symlink(victim, join(linkedFile, 'etc/machine-id'));
    const report = await scrubTree(linkedFile);
    assert.deepEqual(report.scrubbed, []);
    assert.deepEqual(report.warnings, ['/etc/machine-id not scrubbed: /etc/machine-id is a symlink']);

    const linkedDir = join(dir, 'linked-dir');
    await mkdir(linkedDir);
    await symlink(join(dir, 'server-etc'), join(linkedDir, 'etc'));
    const report2 = await scrubTree(linkedDir);
    assert.deepEqual(report2.scrubbed, []);
    assert.deepEqual(report2.warnings, ['/etc/machine-id not scrubbed: /etc is a symlink', '/etc/shadow not scrubbed: /etc is a symlink']);

    assert.equal(await readFile(victim, 'utf8'), 'server id\n');
    assert.equal(await readFile(victimShadow, 'utf8'), 'root:$6$server$hash:1::::::\n');
    assert.ok((await lstat(join(linkedFile, 'etc/machine-id'))).isSymbolicLink());
  });
});

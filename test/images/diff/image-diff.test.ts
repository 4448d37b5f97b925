import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffFiles, diffPackages } from '../../../src/images/diff/image-diff.ts';
import type { FileEntry } from '../../../src/images/pack/file-index.ts';

const pkg = (name: string, version: string, source = name) => ({ name, version, arch: 'amd64', source, sourceVersion: version });

test('packages: added, removed, upgraded and downgraded by dpkg order (epochs, ~)', () => {
  const d = diffPackages(
    { format: 'deb', packages: [pkg('a', '1.0'), pkg('b', '2.0~rc1'), pkg('c', '1:0.9'), pkg('gone', '1'), pkg('same', '3')] },
    { format: 'deb', packages: [pkg('a', '1.0'), pkg('b', '2.0'), pkg('c', '1.5'), pkg('new', '1', 'newsrc'), pkg('same', '3')] },
  );
  assert.deepEqual(d.added.map((p) => p.name), ['new']);
  assert.deepEqual(d.removed.map((p) => p.name), ['gone']);
  assert.deepEqual(d.upgraded.map((p) => `${p.name} ${p.from}→${p.to}`), ['b 2.0~rc1→2.0']);
  assert.deepEqual(d.downgraded.map((p) => `${p.name} ${p.from}→${p.to}`), ['c 1:0.9→1.5'], 'epoch 1 beats any version without one');
  assert.equal(d.unchanged, 2);
});

test('packages in rpm images use rpm ordering', () => {
  const d = diffPackages({ format: 'rpm', packages: [pkg('k', '5.14.0-70.el9')] }, { format: 'rpm', packages: [pkg('k', '5.14.0-362.el9')] });
  assert.equal(d.upgraded.length, 1);
});

test('files: counts per top-level folder and what changed', () => {
  const f = (path: string, size: number, mtime = 1, mode = 0o644, type: FileEntry[1] = 'f'): FileEntry => [path, type, mode, 0, 0, size, mtime];
  const d = diffFiles(
    [f('/etc/a', 1), f('/etc/b', 2), f('/usr/bin/x', 10), f('/usr/bin/y', 5, 1)],
    [f('/etc/a', 1), f('/etc/b', 3), f('/usr/bin/y', 5, 2), f('/usr/bin/z', 7), f('/usr/bin/x2', 1, 1, 0o755)],
    10,
  );
  assert.deepEqual([d.added, d.removed, d.changed], [2, 1, 2]);
  assert.deepEqual(d.byFolder['/usr'], { added: 2, removed: 1, changed: 1 });
  assert.deepEqual(d.byFolder['/etc'], { added: 0, removed: 0, changed: 1 });
  assert.equal(d.sample.find((s) => s.path === '/etc/b')?.detail, 'size 2→3');
  assert.equal(d.sample.find((s) => s.path === '/usr/bin/y')?.detail, 'modified');
  assert.equal(d.bytesBefore, 18);
  assert.equal(diffFiles([f('/a', 1)], [f('/b', 1), f('/c', 1)], 1).sample.length, 1, 'sample is limited');
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { writeCpioNewc } from '../../src/lab/cpio.ts';
import type { CpioEntry } from '../../src/lab/cpio.ts';
import { run } from '../../src/util/run.ts';

const entries: CpioEntry[] = [
  { type: 'file', path: 'init', data: Buffer.from('#!/bin/sh\necho hi\n'), mode: 0o755 },
  { type: 'directory', path: 'bin' },
  { type: 'symlink', path: 'bin/sh', target: 'busybox' },
  { type: 'file', path: 'bin/busybox', data: Buffer.alloc(5, 1), mode: 0o755 },
  { type: 'char-device', path: 'dev/console', major: 5, minor: 1 },
  { type: 'directory', path: 'dev' },
];

describe('cpio newc writer', () => {
  it('writes an archive GNU cpio lists with the right types, modes, owners, devices and sizes', async () => {
    const { stdout } = await run('cpio', ['-itv', '--quiet'], { input: writeCpioNewc(entries) });
    const lines = stdout.trim().split('\n').map((l) => l.replace(/\s+/g, ' '));
    assert.deepEqual(lines, [
      'drwxr-xr-x 2 root root 0 Jan 1 1970 bin',
      '-rwxr-xr-x 1 root root 5 Jan 1 1970 bin/busybox',
      'lrwxrwxrwx 1 root root 7 Jan 1 1970 bin/sh -> busybox',
      'drwxr-xr-x 2 root root 0 Jan 1 1970 dev',
      'crw------- 1 root root 5, 1 Jan 1 1970 dev/console',
      '-rwxr-xr-x 1 root root 18 Jan 1 1970 init',
    ]);
  });

  it('gives the same bytes for the same entries in any order', () => {
    assert.deepEqual(writeCpioNewc(entries), writeCpioNewc([...entries].reverse()));
  });

  it('refuses paths that leave the archive and duplicate paths', () => {
    assert.throws(() => writeCpioNewc([{ type: 'directory', path: '../etc' }]), /stay inside the archive/);
    assert.throws(() => writeCpioNewc([{ type: 'directory', path: 'a' }, { type: 'directory', path: '/a' }]), /appears twice/);
  });
});

import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { captureExclusions, escapeTarPattern, standardExclusions, tarExcludeArgs } from '../../../src/images/capture/capture-exclusions.ts';
import { run } from '../../../src/util/run.ts';

const standard = standardExclusions.map((r) => r.pattern);

describe('captureExclusions', () => {
  it('adds swap files and not-captured mounts under the source root, once', () => {
    const patterns = captureExclusions({
      physicalRoot: '/',
      swapFiles: ['/swapfile', '/data/swap 2'],
      mounts: [
        { path: '/', type: 'ext4' },
        { path: '/home', type: 'nfs4' },
        { path: '/boot/efi', type: 'vfat' },
        { path: '/var', type: 'ext4' },
        { path: '/run/user/0', type: 'tmpfs' },
        { path: '/sys/fs/cgroup', type: 'cgroup2' },
        { path: '/snap/core22/[1]', type: 'squashfs' },
        { path: '/srv/sshfs', type: 'fuse.sshfs' },
      ],
    });
    assert.deepEqual(patterns.slice(0, standard.length), standard);
    // /swapfile is a standard pattern already; /run/user/0 and /sys/fs/cgroup are covered by /run/* and /sys/*.
    assert.deepEqual(patterns.slice(standard.length), ['/data/swap 2', '/home/*', '/snap/core22/\\[1]/*', '/srv/sshfs/*']);
  });

  it('maps node paths into the image when the source root is a subdirectory', () => {
    const patterns = captureExclusions(
      {
        physicalRoot: '/srv/chroot',
        swapFiles: ['/swapfile'],
        mounts: [
          { path: '/srv/chroot', type: 'tmpfs' },
          { path: '/srv/chroot/proc', type: 'proc' },
          { path: '/srv/chroot/var/cache/big', type: 'tmpfs' },
          { path: '/srv/chroot2/x', type: 'tmpfs' },
          { path: '/home', type: 'nfs' },
        ],
      },
      ['/opt/scratch/*'],
    );
    // The root itself being a tmpfs is what was asked for; /srv/chroot2 is a different tree.
    assert.deepEqual(patterns.slice(standard.length), ['/var/cache/big/*', '/opt/scratch/*']);
  });

  it('escapes tar wildcards in literal paths', () => {
    assert.equal(escapeTarPattern('/a*b/c?d/[e]/f\\g'), '/a\\*b/c\\?d/\\[e]/f\\\\g');
  });
});

describe('tarExcludeArgs with GNU tar', () => {
  it('excludes contents but keeps the directories, and matches literal paths literally', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-cap-excl-'));
    try {
      const src = join(dir, 'src');
      const files = ['proc/1/status', 'tmp/a', 'home/lost+found/x', 'lost+found/y', 'a*b/inside', 'axb/inside', 'etc/ssh/ssh_host_rsa_key', 'etc/ssh/sshd_config', 'opt/lost+found-not/z'];
      for (const f of files) {
        await mkdir(join(src, f, '..'), { recursive: true });
        await writeFile(join(src, f), 'x');
      }
      const args = tarExcludeArgs([...standard, `${escapeTarPattern('/a*b')}/*`]);
      const out = join(dir, 'out');
      await mkdir(out);
      const archive = join(dir, 'tree.tar');
      await run('tar', ['--create', `--file=${archive}`, `--directory=${src}`, ...args, '.'], { timeoutMs: 30_000 });
      await run('tar', ['--extract', `--file=${archive}`, `--directory=${out}`], { timeoutMs: 30_000 });
      const { stdout } = await run('find', [out, '-mindepth', '1', '-printf', '%P\\n'], { timeoutMs: 10_000 });
      const found = stdout.trim().split('\n').sort();
      assert.deepEqual(found, ['a*b', 'axb', 'axb/inside', 'etc', 'etc/ssh', 'etc/ssh/sshd_config', 'home', 'home/lost+found', 'lost+found', 'opt', 'opt/lost+found-not', 'opt/lost+found-not/z', 'proc', 'tmp']);
      assert.ok((await readdir(join(out, 'proc'))).length === 0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

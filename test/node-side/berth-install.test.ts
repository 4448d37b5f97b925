/**
 * The pure parts of install-to-disk's shell code (src/node-side/core/berth-install.sh)
 * under every shell an initramfs may have: which disk is erased, how its
 * partitions are named, which kernel arguments the installed system keeps
 * and the GRUB settings made of them. The install itself runs in a VM
 * (test/e2e/deploy-install.test.ts).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';

const CORE = resolve(import.meta.dirname, '../../src/node-side/core/berth-install.sh');
const SHELLS = [['dash'], ['bash', '--posix'], ['busybox', 'sh']].filter(([shell]) => spawnSync('sh', ['-c', `command -v ${shell}`]).status === 0);

describe('install-to-disk shell functions', () => {
  let dir: string;
  const sh = (shell: string[], body: string, env: Record<string, string> = {}) => {
    const r = spawnSync(shell[0]!, [...shell.slice(1), '-c', `berth_fail() { echo "FAIL: $*"; exit 3; }; . "${CORE}"; ${body}`], {
      encoding: 'utf8',
      env: { PATH: process.env['PATH']!, LC_ALL: 'C', ...env },
      // stdin not a socket: bash would take itself for an ssh session and read ~/.bashrc.
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { code: r.status, out: r.stdout.trim(), err: r.stderr };
  };
  /** A /sys/block with these disks: name → [size in sectors, removable, ro]. */
  const sys = (name: string, disks: Record<string, [number, number, number]>) => {
    const root = join(dir, name);
    for (const [disk, [size, removable, ro]] of Object.entries(disks)) {
      mkdirSync(join(root, 'block', disk), { recursive: true });
      writeFileSync(join(root, 'block', disk, 'size'), `${size}\n`);
      writeFileSync(join(root, 'block', disk, 'removable'), `${removable}\n`);
      writeFileSync(join(root, 'block', disk, 'ro'), `${ro}\n`);
    }
    return root;
  };
  const GiB = 2 * 1024 * 1024;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-install-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('picks the first fixed, writable disk of 2 GiB or more by kernel name, never zram, loop, nbd, ram, sr or dm', () => {
    assert.ok(SHELLS.length > 0);
    const mixed = sys('mixed', {
      loop0: [10 * GiB, 0, 0], nbd0: [10 * GiB, 0, 0], zram0: [10 * GiB, 0, 0], ram0: [10 * GiB, 0, 0], sr0: [GiB, 1, 1], 'dm-0': [10 * GiB, 0, 0],
      sda: [8 * GiB, 1, 0], // a USB stick
      sdb: [GiB, 0, 0], // too small
      sdc: [20 * GiB, 0, 1], // read-only
      sdd: [20 * GiB, 0, 0],
      vda: [20 * GiB, 0, 0],
    });
    const nvme = sys('nvme', { nvme0c0n1: [20 * GiB, 0, 0], nvme0n1: [20 * GiB, 0, 0], sda: [20 * GiB, 0, 0] });
    const none = sys('none', { zram0: [GiB, 0, 0], loop0: [GiB, 0, 0], sda: [GiB, 0, 0] });
    for (const shell of SHELLS) {
      assert.deepEqual(sh(shell, 'berth_install_pick_disk', { BERTH_SYS: mixed }), { code: 0, out: '/dev/sdd', err: '' }, shell.join(' '));
      assert.equal(sh(shell, 'berth_install_pick_disk', { BERTH_SYS: nvme }).out, '/dev/nvme0n1', shell.join(' '));
      const refused = sh(shell, 'berth_install_pick_disk', { BERTH_SYS: none });
      assert.equal(refused.code, 1);
      assert.match(refused.out, /^no disk to install on: .*\(seen: sda\(2097152 sectors, removable 0, ro 0\)\); set deployment.install_disk$/);
    }
  });

  it('deployment.install_disk wins, but must be a whole, writable block device under /dev', () => {
    const tree = sys('attr', { vda: [20 * GiB, 0, 0], vdb: [20 * GiB, 0, 1] });
    for (const shell of SHELLS) {
      assert.match(sh(shell, 'berth_install_pick_disk', { BERTH_SYS: tree, BERTH_INSTALL_DISK: 'vdb' }).out, /is not a \/dev path/);
      const missing = sh(shell, 'berth_install_pick_disk', { BERTH_SYS: tree, BERTH_INSTALL_DISK: '/dev/disk/by-id/nosuch-disk' });
      assert.equal(missing.code, 1);
      assert.match(missing.out, /no such block device on this node/);
    }
  });

  it('names partitions the kernel way', () => {
    for (const shell of SHELLS) {
      assert.equal(sh(shell, 'berth_install_partition /dev/vda 3; berth_install_partition /dev/nvme0n1 1; berth_install_partition /dev/mmcblk0 2').out, '/dev/vda3\n/dev/nvme0n1p1\n/dev/mmcblk0p2');
    }
  });

  it('the installed system keeps the profile\'s kernel arguments, not berth\'s network-boot ones', () => {
    const cmdline = join(dir, 'cmdline');
    writeFileSync(cmdline, 'initrd=initrd.img initrd=site.cpio ip=dhcp berth.node=n1 berth.boot=http://10.0.0.1:8080 berth.server=https://10.0.0.1:8443 boot=berth berth.image=c@4 berth.method=installtodisk berth.profile=c console=ttyS1,57600n8 panic=10 mitigations=off BOOTIF=01-52-54-00-00-00-01\n');
    for (const shell of SHELLS) {
      assert.equal(sh(shell, `berth_install_kernel_args ${cmdline}`).out, 'console=ttyS1,57600n8 panic=10 mitigations=off', shell.join(' '));
      assert.equal(
        sh(shell, `berth_install_grub_defaults "$(berth_install_kernel_args ${cmdline})"`).out,
        [
          "# berth install-to-disk: the profile's kernel arguments, without berth's network-boot ones",
          'GRUB_CMDLINE_LINUX="console=ttyS1,57600n8 panic=10 mitigations=off"',
          'GRUB_CMDLINE_LINUX_DEFAULT=""',
          'GRUB_TIMEOUT=2',
          'GRUB_DISABLE_OS_PROBER=true',
          'GRUB_TERMINAL="serial console"',
          'GRUB_SERIAL_COMMAND="serial --unit=1 --speed=57600"',
        ].join('\n'),
      );
      assert.equal(sh(shell, 'berth_install_grub_defaults "quiet"').out.split('\n').filter((l) => l.includes('SERIAL')).length, 0, 'no serial console, no serial terminal');
    }
  });
});

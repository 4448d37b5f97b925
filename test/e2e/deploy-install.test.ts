/**
 * Install-to-disk, end to end with a real VM: a Debian 12 image built and
 * packed by berth, deployed with `berth deploy` under a profile with the
 * method installtodisk and a post.d and a firstboot.d script. The VM
 * network-boots berth's initramfs code, which attaches the image as for an
 * untethered boot, partitions the disk it is told (deployment.install_disk,
 * a by-id name), copies the image, installs GRUB for BIOS and UEFI, runs
 * post.d in the installed system, reports `installed` and reboots (which
 * ends QEMU: -no-reboot). Then the VM powers on from its disk with PXE
 * disabled: firstboot.d runs once, the system reports, and SSH trusts it by
 * the @cert-authority line alone. berth's iPXE script now sends the node to
 * its disk, until `berth deploy` again. The same disk also boots under UEFI.
 * Last, a node with no disk fails its install and says why.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BerthLab } from '../../src/lab/berth-lab.ts';
import { labUnsupportedReason } from '../../src/lab/namespace.ts';
import { labSession } from '../helpers/lab-session.ts';
import { labImageTree } from '../../src/lab/lab-image.ts';

/** A GPT's used entries (type GUID, first and last sector), read from a disk image file with 512-byte sectors. */
function gptPartitions(file: string): { type: string; first: number; last: number }[] {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(34 * 512);
    readSync(fd, head, 0, head.length, 0);
    assert.equal(head.toString('latin1', 512, 520), 'EFI PART', 'a GPT header at LBA 1');
    const entries = Number(head.readBigUInt64LE(512 + 72));
    const count = head.readUInt32LE(512 + 80);
    const size = head.readUInt32LE(512 + 84);
    const table = Buffer.alloc(count * size);
    readSync(fd, table, 0, table.length, entries * 512);
    const out: { type: string; first: number; last: number }[] = [];
    for (let i = 0; i < count; i++) {
      const e = table.subarray(i * size, (i + 1) * size);
      if (e.subarray(0, 16).every((b) => b === 0)) continue;
      // GUIDs on disk: the first three fields little-endian, the rest as written.
      const hex = (b: Buffer) => b.toString('hex').toUpperCase();
      const le = (b: Buffer) => hex(Buffer.from(b).reverse());
      const type = `${le(e.subarray(0, 4))}-${le(e.subarray(4, 6))}-${le(e.subarray(6, 8))}-${hex(e.subarray(8, 10))}-${hex(e.subarray(10, 16))}`;
      out.push({ type, first: Number(e.readBigUInt64LE(32)), last: Number(e.readBigUInt64LE(40)) });
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

const unsupported = (await labUnsupportedReason()) ?? (spawnSync('mmdebstrap', ['--version']).status !== 0 ? 'mmdebstrap is not installed' : undefined);
/** TCG on a shared 2-core machine: the install alone copies ~800 MB through an emulated CPU. */
const INSTALL_TIMEOUT_MS = 30 * 60_000;
const BOOT_TIMEOUT_MS = 15 * 60_000;
/** The lab names its machines node1..N and gives node n the address 10.99.0.(n+10). */
const NODE = 'node1';
const PROFILE = 'ondisk';

describe('install-to-disk deployment of a berth image to a VM', { skip: unsupported && `no lab here: ${unsupported}`, timeout: 90 * 60_000 }, () => {
  let lab: BerthLab;
  let disk: string;
  const session = labSession({ node: NODE, pollMs: 3000, consoleLines: 40 });
  const { cli, ok, state, waitFor, ssh, ipxeScript } = session;
  const events = () => session.timeline();
  const seen = () => events().map((e) => `${e.source}:${e.step}`);
  const count = (step: string) => seen().filter((s) => s === step).length;

  before(async () => {
    lab = await session.start({ nodes: 1 });
    await labImageTree(lab.stateDir, 'e2e');
    ok(['image', 'pack', 'e2e', '--level', '3']);
    ok(['node', 'set', NODE, `ssh.admin_keys=${session.adminKey()}`]);
    // A by-id name, as an administrator would set it: the lab's disk has the serial berth-disk0.
    ok(['node', 'set', NODE, 'deployment.install_disk=/dev/disk/by-id/virtio-berth-disk0']);
    session.writeKnownHosts();
    ok(['profile', 'define', PROFILE, '--image', 'e2e@1', '--boot-method', 'installtodisk', '--kernel-args', 'console=ttyS0 panic=10']);
    const script = (folder: string, name: string, text: string) => session.profileScript(PROFILE, folder, name, text);
    // post.d runs in a chroot of the installed disk: its root is the new ext4, not the initramfs' overlay.
    script('post.d', '10-mark', '#!/bin/sh\nset -e\necho "post.d on $BERTH_NODE ($BERTH_PROFILE, $BERTH_IMAGE) disk $BERTH_DISK" > /etc/berth-post-mark\ngrep -q "^UUID=.* / ext4" /etc/fstab\n');
    script('firstboot.d', '10-mark', '#!/bin/sh\necho "firstboot on $BERTH_NODE $(date -Is)" >> /root/firstboot-runs\n');
    disk = join(lab.lab.dir, 'node1.disk.raw');
    spawnSync('truncate', ['-s', '4G', disk]);
  });
  after(async () => {
    await lab?.down();
  });

  it('installs the image on the disk, runs post.d, reports installed and reboots', async (t) => {
    ok(['deploy', NODE, PROFILE, '--no-wait']);
    const vm = await lab.lab.bootVm(0, { firmware: 'bios', memoryMb: 2048, disk });
    try {
      await waitFor('the node to report installed', () => ['installed', 'failed'].includes(state(NODE).state), INSTALL_TIMEOUT_MS, vm);
      assert.equal(state(NODE).state, 'installed', `the install failed; timeline:\n${cli(['node', 'timeline', NODE]).stdout}`);
      t.diagnostic(`installed ${((Date.now() - vm.startedAt) / 1000).toFixed(0)} s after power-on (TCG)`);
      // It reboots: with -no-reboot, QEMU ends.
      const exit = await Promise.race([vm.exited, new Promise((r) => setTimeout(r, 5 * 60_000)).then(() => 'still running')]);
      assert.notEqual(exit, 'still running', 'the installer reboots once it has reported installed');
    } finally {
      await vm.stop();
    }
    const steps = seen();
    for (const step of ['api:key-granted', 'node:fetched', 'node:image-opened', 'node:installing', 'node:partitioned', 'node:copied', 'node:bootloader', 'api:scripts', 'node:post', 'node:post-script', 'node:installed']) {
      assert.ok(steps.includes(step), `${step} in the timeline: ${steps.join(' ')}`);
    }
    assert.ok(!steps.includes('node:booted'), 'the installer never reports booted');
    const installing = events().find((e) => e.step === 'installing')!;
    assert.match(String(installing.detail?.['message']), /erasing \/dev\/vda \(deployment.install_disk=\/dev\/disk\/by-id\/virtio-berth-disk0\)/);
    const bootloader = events().find((e) => e.step === 'bootloader')!;
    assert.match(String(bootloader.detail?.['message']), /GRUB for i386-pc x86_64-efi on \/dev\/vda; kernel arguments: console=ttyS0 panic=10$/);
    assert.equal(state(NODE).profile, PROFILE, 'installed: the pending profile is the current one');
    // The partition table, as the host sees the disk file: BIOS boot, ESP, root to the end of the disk.
    const parts = gptPartitions(disk);
    assert.deepEqual(parts.slice(0, 2), [
      { type: '21686148-6449-6E6F-744E-656564454649', first: 2048, last: 4095 },
      { type: 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B', first: 4096, last: 1052671 },
    ]);
    assert.equal(parts.length, 3);
    assert.equal(parts[2]!.type, '0FC63DAF-8483-4772-8E79-3D69D8477DE4');
    assert.equal(parts[2]!.first, 1052672);
    // 4 GiB = 8388608 sectors, less the backup GPT (33) and at most 1 MiB of alignment.
    assert.ok(parts[2]!.last >= 8388608 - 34 - 2048, `the root partition runs to the end of the disk (last sector ${parts[2]!.last})`);
  });

  it('the iPXE script now sends the node to its local disk', () => {
    const script = ipxeScript();
    assert.match(script, /profile ondisk is installed on its disk/);
    assert.match(script, /^exit$/m);
    assert.doesNotMatch(script, /^kernel /m);
  });

  it('boots from its disk with PXE disabled: firstboot.d runs, it reports, SSH trusts it by the CA line', async (t) => {
    const vm = await lab.lab.bootVm(0, { firmware: 'bios', memoryMb: 1024, disk, bootFrom: 'disk' });
    try {
      await waitFor('firstboot-done and booted from the disk', () => count('node:firstboot-done') === 1 && count('node:booted') === 1, BOOT_TIMEOUT_MS, vm);
      t.diagnostic(`up from the disk ${((Date.now() - vm.startedAt) / 1000).toFixed(0)} s after power-on (TCG)`);
      assert.ok(!seen().includes('node:firstboot-failed'));
      assert.equal(state(NODE).state, 'installed', 'an installed system that is up stays installed');
      const log = readFileSync(vm.consoleLog, 'utf8');
      assert.doesNotMatch(log, /iPXE|berth: booting/, 'nothing came from the network');
      const r = ssh('hostname; cat /proc/cmdline; echo; findmnt -n -o SOURCE,FSTYPE /; cat /etc/berth-post-mark /root/firstboot-runs; ls /boot/efi/EFI/BOOT; stat -c %a /etc/berth/node.key; ls /var/lib/berth');
      assert.equal(r.status, 0, `ssh with only the @cert-authority line: ${r.stderr}`);
      const [hostname, cmdline, , root, post, firstboot, efi, keyMode, ...rest] = r.stdout.split('\n');
      assert.equal(hostname, NODE);
      assert.doesNotMatch(cmdline!, /boot=berth|berth\./, 'the installed system boots without berth');
      assert.match(cmdline!, /root=UUID=[0-9a-f-]+ ro console=ttyS0 panic=10/);
      assert.equal(root, '/dev/vda3 ext4');
      assert.equal(post, `post.d on ${NODE} (${PROFILE}, e2e@1) disk /dev/vda`);
      assert.match(firstboot!, new RegExp(`^firstboot on ${NODE} `));
      assert.equal(efi, 'BOOTX64.EFI');
      assert.equal(keyMode, '600');
      assert.ok(!rest.includes('firstboot.d'), 'firstboot.d is gone after it ran');
    } finally {
      await vm.stop();
    }
  });

  it('the same disk boots under UEFI, and firstboot.d does not run again', async () => {
    const vm = await lab.lab.bootVm(0, { firmware: 'uefi', memoryMb: 1024, disk, bootFrom: 'disk' });
    try {
      await waitFor('a second booted report, from UEFI', () => count('node:booted') === 2, BOOT_TIMEOUT_MS, vm);
      const r = ssh('test -d /sys/firmware/efi && echo uefi; wc -l < /root/firstboot-runs');
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, 'uefi\n1\n');
      assert.equal(count('node:firstboot-done'), 1);
    } finally {
      await vm.stop();
    }
  });

  it('berth deploy again: the node network-boots the installer once more', () => {
    ok(['deploy', NODE, PROFILE, '--no-wait']);
    assert.equal(state(NODE).state, 'pending');
    const script = ipxeScript();
    assert.match(script, /^kernel .* berth\.method=installtodisk /m);
    assert.doesNotMatch(script, /local disk/);
  });

  it('no disk the rule accepts: the node reports install-failed with what it saw, state failed', async () => {
    ok(['node', 'unset', NODE, 'deployment.install_disk']);
    const vm = await lab.lab.bootVm(0, { firmware: 'bios', memoryMb: 1536 });
    try {
      await waitFor('install-failed', () => seen().includes('node:install-failed'), BOOT_TIMEOUT_MS, vm);
      const failure = events().find((e) => e.step === 'install-failed')!;
      assert.match(String(failure.detail?.['message']), /^no disk to install on: .*\(seen: none\); set deployment.install_disk$/);
      assert.equal(state(NODE).state, 'failed');
      assert.doesNotMatch(ipxeScript(), /local disk/, 'a failed install is not booted from disk');
    } finally {
      await vm.stop();
    }
  });
});

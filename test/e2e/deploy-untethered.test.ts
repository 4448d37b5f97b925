/**
 * Untethered diskless deployment, end to end with a real VM: a Debian 12
 * image built and packed by berth, deployed with `berth deploy`, booted by a
 * SeaBIOS VM through iPXE into berth's initramfs code, which gets its node
 * key (armed once), the image key, downloads the whole encrypted image into
 * zram, verifies it with dm-verity, decrypts it with dm-crypt, mounts the
 * squashfs under an overlay on zram-backed XFS and switches root; the booted
 * system reports `booted` with its key. Then a version whose ciphertext has
 * one flipped byte: the node refuses it and its timeline says so.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BerthLab } from '../../src/lab/berth-lab.ts';
import { labUnsupportedReason } from '../../src/lab/namespace.ts';
import { labImageTree } from '../../src/lab/lab-image.ts';
import { labSession } from '../helpers/lab-session.ts';

const unsupported = (await labUnsupportedReason()) ?? (spawnSync('mmdebstrap', ['--version']).status !== 0 ? 'mmdebstrap is not installed' : undefined);
const BOOT_TIMEOUT_MS = 15 * 60_000;
/** The lab names its machines node1..N and gives node n the address 10.99.0.(n+10). */
const NODE = 'node1';

describe('untethered deployment of a berth image to a VM', { skip: unsupported && `no lab here: ${unsupported}`, timeout: 40 * 60_000 }, () => {
  let lab: BerthLab;
  const session = labSession({ node: NODE, pollMs: 3000 });
  const { cli, ok, state, waitFor } = session;
  const steps = (node: string) => session.timeline(node);

  before(async () => {
    lab = await session.start({ nodes: 1 });
    // Built by `berth image build` once for all the lab's users (src/lab/lab-image.ts); the image lifecycle test builds its own.
    await labImageTree(lab.stateDir, 'e2e');
    ok(['image', 'pack', 'e2e', '--level', '3']);
    ok(['node', 'set', NODE, `ssh.admin_keys=${session.adminKey()}`]);
    session.writeKnownHosts();
    ok(['profile', 'define', 'diskless', '--image', 'e2e@1', '--boot-method', 'untethered', '--kernel-args', 'console=ttyS0 panic=10']);
  });
  after(async () => {
    await lab?.down();
  });

  it('boots the image from RAM and reports booted', async (t) => {
    const deploy = cli(['deploy', NODE, 'diskless', '--no-wait']);
    assert.equal(deploy.code, 0, deploy.stderr);
    const vm = await lab.lab.bootVm(0, { firmware: 'bios', memoryMb: 1536 });
    try {
      await waitFor('the node to report booted', () => state(NODE).state === 'booted', BOOT_TIMEOUT_MS);
      t.diagnostic(`booted ${((Date.now() - vm.startedAt) / 1000).toFixed(0)} s after power-on (TCG)`);
      const seen = steps(NODE).map((e) => `${e.source}:${e.step}`);
      for (const step of ['http:script', 'http:kernel', 'api:key-granted', 'node:key-received', 'api:image-key', 'node:fetched', 'node:image-opened', 'node:root-mounted', 'node:booted']) {
        assert.ok(seen.includes(step), `${step} in the timeline: ${seen.join(' ')}`);
      }
      const status = state(NODE);
      assert.equal(status.profile, 'diskless', 'deployment.profile follows the booted report');
      assert.equal(status.armed, null, 'armed once: disarmed by the key grant');
      assert.match(readFileSync(vm.consoleLog, 'utf8'), /Welcome to Debian|Debian GNU\/Linux 12/);
      // Trusted through the CA line alone: no host key was ever seen before.
      const ssh = session.ssh('hostname; cat /proc/cmdline; findmnt -n -o FSTYPE /');
      assert.equal(ssh.status, 0, `ssh with only the @cert-authority line: ${ssh.stderr}`);
      assert.match(ssh.stdout, /^node1\n/);
      assert.match(ssh.stdout, /berth\.method=untethered/);
      assert.match(ssh.stdout, /overlay/);
      // A node that runs longer than the certificates' 30 days: the daily timer renews them; forced here.
      const serials = () => session.ssh('for c in /etc/ssh/ssh_host_*-cert.pub; do ssh-keygen -L -f $c | sed -n "s/^ *Serial: //p"; done').stdout.trim();
      const first = serials();
      const renew = session.ssh('systemctl is-enabled berth-ssh-renew.timer; /usr/lib/berth/berth-ssh-renew --within 31');
      assert.equal(renew.status, 0, renew.stderr);
      assert.match(renew.stdout, /^enabled\n.*[1-9] certificate\(s\) renewed/s);
      // sshd is reloading: a connection in that moment may see it half-way.
      let second = serials();
      for (let i = 0; i < 10 && second.split('\n').length !== first.split('\n').length; i++) {
        await new Promise((r) => setTimeout(r, 2000));
        second = serials();
      }
      assert.notEqual(second, first, 'new certificates');
      assert.equal(second.split('\n').length, first.split('\n').length);
    } finally {
      await vm.stop();
    }
  });

  it('a flipped ciphertext byte: the node refuses to boot and says verification failed', async () => {
    ok(['image', 'pack', 'e2e', '--level', '3']);
    const meta = JSON.parse(ok(['image', 'show', 'e2e@2', '--json']));
    const fd = openSync(join(lab.stateDir, 'images/e2e/2/root.img'), 'r+');
    try {
      const at = Math.floor(meta.crypt.bytes / 2);
      const byte = Buffer.alloc(1);
      (await import('node:fs')).readSync(fd, byte, 0, 1, at);
      byte[0] = byte[0]! ^ 0x01;
      writeSync(fd, byte, 0, 1, at);
    } finally {
      closeSync(fd);
    }
    ok(['profile', 'set', 'diskless', 'image=e2e@2']);
    ok(['deploy', NODE, 'diskless', '--no-wait']);
    const vm = await lab.lab.bootVm(0, { firmware: 'bios', memoryMb: 1536 });
    try {
      await waitFor('the node to report the verification failure', () => steps(NODE).some((e) => e.source === 'node' && e.step === 'verification-failed'), BOOT_TIMEOUT_MS);
      assert.equal(state(NODE).state, 'failed');
      const failure = steps(NODE).find((e) => e.step === 'verification-failed')!;
      assert.match(String(failure.detail?.['message']), /dm-verity/);
    } finally {
      await vm.stop();
    }
  });
});

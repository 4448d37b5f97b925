/**
 * A real scripted install, end to end: Debian 12 installed in a lab VM by
 * Debian's own installer (the netboot kernel and initrd of the Debian package
 * debian-installer-12-netboot-amd64, imported with `berth media import`),
 * driven by the preseed berth renders for the node.
 *
 * The VM reaches Debian's package repositories only through a caching proxy
 * on the host side (src/lab/package-proxy.ts: apt-cacher-ng behind a
 * unix-socket bridge; the lab namespace has no route anywhere, so nothing
 * else can leave it). The installer fetches its answer file and berth's post
 * script with the deployment's token, the post script trades the token for a
 * node key, runs post.d, leaves firstboot.d, gets SSH host certificates and
 * reports `installed`. The VM reboots (QEMU ends: -no-reboot), berth's iPXE
 * script now sends it to its disk, and it comes up from the disk with PXE
 * disabled, runs firstboot.d and accepts SSH with only the CA line.
 *
 * Too slow for every CI run (a full Debian install through an emulated CPU):
 * `npm run test:install` runs it; `npm test` runs the fast subset (rendering,
 * checkers, media import, the HTTP side) in test/installs and test/media.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BerthLab } from '../../src/lab/berth-lab.ts';
import { labUnsupportedReason } from '../../src/lab/namespace.ts';
import { startPackageProxy } from '../../src/lab/package-proxy.ts';
import type { PackageProxy } from '../../src/lab/package-proxy.ts';
import { labSession } from '../helpers/lab-session.ts';

const NETBOOT = '/usr/lib/debian-installer/images/12/amd64/text';
const unsupported = (await labUnsupportedReason()) ?? (existsSync(NETBOOT) ? undefined : `${NETBOOT} is missing (Debian package debian-installer-12-netboot-amd64)`);
const INSTALL_TIMEOUT_MS = 120 * 60_000;
const BOOT_TIMEOUT_MS = 15 * 60_000;
const NODE = 'node1';
const MEDIA = 'debian-12-netboot';
const PROFILE = `${MEDIA}-default`;

describe('Debian 12 installed by its own installer with a berth preseed', { skip: unsupported && `no lab here: ${unsupported}`, timeout: 180 * 60_000 }, () => {
  let lab: BerthLab;
  let proxy: PackageProxy;
  let disk: string;
  const session = labSession({ node: NODE, pollMs: 5000, consoleLines: 60 });
  const { cli, ok, state, waitFor, ssh, ipxeScript, consoleTail } = session;
  const seen = () => session.timeline().map((e) => `${e.source}:${e.step}`);

  before(async () => {
    lab = await session.start({ nodes: 1 });
    proxy = await startPackageProxy({ namespace: lab.lab.namespace, bridgeIp: lab.serverAddress, labDir: lab.lab.dir });
    ok(['media', 'import', NETBOOT, '--name', MEDIA]);
    const adminKey = session.adminKey();
    const hash = spawnSync('openssl', ['passwd', '-6', 'berth-e2e'], { encoding: 'utf8' }).stdout.trim();
    ok(['node', 'set', NODE, `ssh.admin_keys=${adminKey}`, `crypted.rootpassword=${hash}`, `install.proxy=${proxy.url}`, 'timezone=Europe/Berlin']);
    session.writeKnownHosts();
    ok(['profile', 'set', PROFILE, 'kernel_args=console=ttyS0,115200']);
    const script = (folder: string, name: string, text: string) => session.profileScript(PROFILE, folder, name, text);
    script('post.d', '10-mark', '#!/bin/sh\nset -e\necho "post.d on $BERTH_NODE ($BERTH_PROFILE)" > /etc/berth-post-mark\n');
    script('firstboot.d', '10-mark', '#!/bin/sh\necho "firstboot on $BERTH_NODE $(date -Is)" >> /root/firstboot-runs\n');
    disk = join(lab.lab.dir, 'node1.disk.raw');
    spawnSync('truncate', ['-s', '8G', disk]);
  });
  after(async () => {
    await proxy?.stop();
    await lab?.down();
  });

  it('installs with the rendered preseed through the proxy, runs post.d, reports installed and reboots', async (t) => {
    ok(['deploy', NODE, PROFILE, '--no-wait']);
    const vm = await lab.lab.bootVm(0, { firmware: 'bios', memoryMb: 2048, disk });
    try {
      await waitFor('the node to report installed', () => ['installed', 'failed'].includes(state(NODE).state), INSTALL_TIMEOUT_MS, vm);
      assert.equal(state(NODE).state, 'installed', `the install failed; timeline:\n${cli(['node', 'timeline', NODE]).stdout}\nconsole:\n${consoleTail(vm)}`);
      t.diagnostic(`installed ${((Date.now() - vm.startedAt) / 60_000).toFixed(1)} min after power-on (TCG)`);
      const exit = await Promise.race([vm.exited, new Promise((r) => setTimeout(r, 10 * 60_000)).then(() => 'still running')]);
      assert.notEqual(exit, 'still running', 'the installer reboots once post is done');
    } finally {
      await vm.stop();
    }
    const steps = seen();
    for (const step of ['http:script', 'http:answer-file', 'node:installing', 'node:post', 'http:post-script', 'api:key-granted', 'node:installed']) {
      assert.ok(steps.includes(step), `${step} in the timeline: ${steps.join(' ')}`);
    }
    const stats = await proxy.stats();
    t.diagnostic(`package proxy: ${stats.requests} requests, ${(stats.bytesServed / 1048576).toFixed(0)} MiB served, ${(stats.bytesFetched / 1048576).toFixed(0)} MiB fetched upstream`);
    assert.ok(stats.requests > 50, 'the installer fetched its packages through the proxy');
  });

  it("berth's iPXE script now sends the node to its disk", () => {
    const script = ipxeScript();
    assert.match(script, /is installed on its disk/);
    assert.match(script, /^exit$/m);
  });

  it('boots from its disk with PXE disabled: firstboot.d runs, it reports, SSH trusts it by the CA line', async (t) => {
    const vm = await lab.lab.bootVm(0, { firmware: 'bios', memoryMb: 1024, disk, bootFrom: 'disk' });
    try {
      await waitFor('firstboot-done and booted', () => seen().includes('node:firstboot-done') && seen().includes('node:booted'), BOOT_TIMEOUT_MS, vm);
      t.diagnostic(`up from the disk ${((Date.now() - vm.startedAt) / 1000).toFixed(0)} s after power-on (TCG)`);
      assert.equal(state(NODE).state, 'installed');
      const r = ssh('hostname; cat /etc/berth-post-mark /root/firstboot-runs; cat /etc/timezone; stat -c %a /etc/berth/node.key; ls /var/lib/berth');
      assert.equal(r.status, 0, `ssh with only the @cert-authority line: ${r.stderr}`);
      const [hostname, post, firstboot, timezone, keyMode, ...rest] = r.stdout.split('\n');
      assert.equal(hostname, NODE);
      assert.equal(post, `post.d on ${NODE} (${PROFILE})`);
      assert.match(firstboot!, new RegExp(`^firstboot on ${NODE} `));
      assert.equal(timezone, 'Europe/Berlin');
      assert.equal(keyMode, '600');
      assert.ok(!rest.includes('firstboot.d'), 'firstboot.d is gone after it ran');
    } finally {
      await vm.stop();
    }
  });

  it('deployment.lock=locked refuses a redeploy, arming nothing', () => {
    ok(['node', 'set', NODE, 'deployment.lock=locked']);
    const r = cli(['deploy', NODE, PROFILE, '--no-wait']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /deployment.lock is locked on node1/);
    assert.equal(state(NODE).state, 'installed');
  });
});

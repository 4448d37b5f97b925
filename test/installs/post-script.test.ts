/**
 * berth's post script (src/node-side/install/berth-post.sh), run for real
 * inside a Debian 12 system the way an installer runs it in its target: the
 * lab's Debian tree with berth's own files taken out (as a distribution's
 * installer leaves a system), `berth image exec` as the chroot, the real
 * daemon as berth. It must fetch the node support files with the
 * deployment's token, trade the token for a node key, run post.d, leave
 * firstboot.d, get SSH host certificates from berth's CA for the host keys,
 * enable the units and report `installed`; after which berth's iPXE script
 * sends the node to its disk.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { labImageTree } from '../../src/lab/lab-image.ts';
import { startDaemon } from '../helpers/daemon.ts';
import type { Daemon } from '../helpers/daemon.ts';

const NETBOOT = '/usr/lib/debian-installer/images/12/amd64/text';
const MAC = '52:54:00:bb:00:01';
const skip =
  process.getuid?.() !== 0 ? 'needs root (image exec, media import)' : !existsSync(NETBOOT) ? `${NETBOOT} is missing` : spawnSync('mmdebstrap', ['--version']).status !== 0 ? 'mmdebstrap is not installed' : false;

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode!, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe("berth's post script in a real Debian system", { skip, timeout: 30 * 60_000 }, () => {
  let daemon: Daemon;
  let port: number;
  let root: string;
  const ok = (args: string[]) => daemon.ok(args, { env: { BERTH_STATE_DIR: daemon.stateDir } });

  before(async () => {
    daemon = await startDaemon();
    port = JSON.parse(ok(['boot', 'status', '--json'])).httpPort;
    await labImageTree(daemon.stateDir, 'target', [], { nodeSupport: false });
    root = join(daemon.stateDir, 'trees/target/root');
    // What a distribution's installer leaves: no berth in it.
    rmSync(join(root, 'usr/lib/berth'), { recursive: true, force: true });
    rmSync(join(root, 'etc/berth'), { recursive: true, force: true });
    for (const dir of ['etc/systemd/system', 'etc/systemd/system/multi-user.target.wants', 'etc/systemd/system/timers.target.wants']) {
      for (const f of readdirSync(join(root, dir)).filter((f) => f.startsWith('berth-'))) rmSync(join(root, dir, f), { force: true });
    }
    ok(['media', 'import', NETBOOT, '--name', 'deb12']);
    // The key is granted to the node's own address: here the daemon sees the target's requests from 127.0.0.1.
    ok(['node', 'define', 'inst', `net.eth0.hwaddr=${MAC}`, 'net.eth0.ipv4_address=127.0.0.1/8', `crypted.rootpassword=$6$salt$${'b'.repeat(86)}`, 'ssh.principals=inst.example.org']);
    const script = (folder: string, name: string, text: string) => {
      const file = join(daemon.stateDir, 'profiles/deb12-default', folder, name);
      writeFileSync(file, text);
      chmodSync(file, 0o755);
    };
    script('post.d', '10-mark', '#!/bin/sh\nset -e\necho "post.d on $BERTH_NODE ($BERTH_PROFILE from $BERTH_IMAGE)" > /etc/berth-post-mark\n');
    script('post.d', '20-env', '#!/bin/sh\nenv | sort > /root/post-env\n');
    script('firstboot.d', '10-mark', '#!/bin/sh\necho firstboot >> /root/firstboot-runs\n');
    ok(['deploy', 'inst', 'deb12-default', '--no-wait']);
  });
  after(async () => {
    await daemon?.stop();
    daemon?.cleanup();
  });

  test('in the target it gets a key, runs post.d, leaves firstboot.d, gets SSH certificates and reports installed', async () => {
    const ipxe = JSON.parse(ok(['profile', 'render', 'deb12-default', 'inst', '--json'])).ipxe as string;
    const token = /\/install\/inst\/([A-Za-z0-9_-]{43})\//.exec(ipxe)![1]!;
    const post = await get(port, `/install/inst/${token}/post.sh`);
    assert.equal(post.status, 200);
    writeFileSync(join(root, 'tmp/berth-post.sh'), post.body);
    const run = daemon.cli(['image', 'exec', 'target', '--', 'sh', '/tmp/berth-post.sh'], { env: { BERTH_STATE_DIR: daemon.stateDir } });
    assert.equal(run.code, 0, `post.sh in the target: ${run.stdout}\n${run.stderr}\n${ok(['node', 'timeline', 'inst'])}`);

    const env = readFileSync(join(root, 'etc/berth/node.env'), 'utf8');
    assert.match(env, /^BERTH_NODE='inst'$/m);
    assert.match(env, /^BERTH_METHOD='installtodisk'$/m);
    assert.equal(statSync(join(root, 'etc/berth/node.key')).mode & 0o777, 0o600);
    assert.match(readFileSync(join(root, 'etc/berth/node.key'), 'utf8'), /^[A-Za-z0-9_-]{43}\n$/);
    assert.equal(readFileSync(join(root, 'etc/berth-post-mark'), 'utf8'), 'post.d on inst (deb12-default from deb12)\n');
    const postEnv = readFileSync(join(root, 'root/post-env'), 'utf8');
    assert.doesNotMatch(postEnv, /BERTH_CALLBACK|key/i, 'post.d scripts see neither the token nor the key');
    assert.deepEqual(readdirSync(join(root, 'var/lib/berth/firstboot.d')), ['10-mark']);
    assert.ok(!existsSync(join(root, 'var/lib/berth/post.d')), 'post.d is gone once it ran');
    for (const unit of ['multi-user.target.wants/berth-booted.service', 'multi-user.target.wants/berth-firstboot.service', 'timers.target.wants/berth-ssh-renew.timer']) {
      // The link points into the target (/etc/systemd/system/...): look at the link itself from the host.
      assert.ok(lstatSync(join(root, 'etc/systemd/system', unit), { throwIfNoEntry: false })?.isSymbolicLink(), `${unit} is enabled`);
    }
    assert.ok(statSync(join(root, 'usr/lib/berth/berth-report')).mode & 0o100, 'berth-report is executable');

    // Host certificates for the installer's host keys, from berth's CA, naming the node.
    const certs = readdirSync(join(root, 'etc/ssh')).filter((f) => f.endsWith('-cert.pub'));
    assert.ok(certs.includes('ssh_host_ed25519_key-cert.pub'), `certificates: ${certs.join(' ')}`);
    const cert = spawnSync('ssh-keygen', ['-L', '-f', join(root, 'etc/ssh/ssh_host_ed25519_key-cert.pub')], { encoding: 'utf8' }).stdout;
    assert.match(cert, /Type: ssh-ed25519-cert-v01@openssh.com host certificate/);
    assert.match(cert, /Principals: \n(\s+\S+\n)*\s+inst\n/);
    assert.match(cert, /inst\.example\.org/);
    const caKey = readFileSync(join(daemon.stateDir, 'public/ssh-ca.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
    const signer = spawnSync('ssh-keygen', ['-l', '-f', join(daemon.stateDir, 'public/ssh-ca.pub')], { encoding: 'utf8' }).stdout.split(' ')[1];
    assert.ok(caKey.length > 0 && cert.includes(`Signing CA: ED25519 ${signer}`), `signed by berth's CA:\n${cert}`);
    assert.match(readFileSync(join(root, 'etc/ssh/sshd_config.d/50-berth-certificates.conf'), 'utf8'), /^HostCertificate \/etc\/ssh\/ssh_host_ed25519_key-cert\.pub$/m);
    // sshd in the target accepts the configuration.
    const sshd = daemon.cli(['image', 'exec', 'target', '--', 'sh', '-c', 'mkdir -p /run/sshd && sshd -t'], { env: { BERTH_STATE_DIR: daemon.stateDir } });
    assert.equal(sshd.code, 0, sshd.stderr);

    const status = JSON.parse(ok(['deploy', 'status', 'inst', '--json']))[0];
    assert.equal(status.state, 'installed');
    assert.equal(status.profile, 'deb12-default');
    assert.equal(status.key, true);
    assert.ok(!status.armed, 'the key grant used up `once`');
    const steps = JSON.parse(ok(['node', 'timeline', 'inst', '--json'])).events.map((e: { source: string; step: string }) => `${e.source}:${e.step}`);
    for (const step of ['http:post-script', 'node:post', 'api:key-granted', 'api:scripts', 'node:post-script', 'node:installed']) assert.ok(steps.includes(step), `${step} in ${steps.join(' ')}`);
    assert.match((await get(port, `/boot/ipxe/${MAC}`)).body, /is installed on its disk/);
    // The token is spent with the arming: the post script cannot be fetched again.
    assert.equal((await get(port, `/install/inst/${token}/post.sh`)).status, 403);
  });

  test('a post.d script that fails: the node is failed, with the script and its output in the timeline', async () => {
    writeFileSync(join(daemon.stateDir, 'profiles/deb12-default/post.d/30-fail'), '#!/bin/sh\necho "cannot reach the license server" >&2\nexit 3\n');
    chmodSync(join(daemon.stateDir, 'profiles/deb12-default/post.d/30-fail'), 0o755);
    ok(['deploy', 'inst', 'deb12-default', '--no-wait']);
    const ipxe = JSON.parse(ok(['profile', 'render', 'deb12-default', 'inst', '--json'])).ipxe as string;
    const token = /\/install\/inst\/([A-Za-z0-9_-]{43})\//.exec(ipxe)![1]!;
    writeFileSync(join(root, 'tmp/berth-post.sh'), (await get(port, `/install/inst/${token}/post.sh`)).body);
    mkdirSync(join(root, 'tmp'), { recursive: true });
    const run = daemon.cli(['image', 'exec', 'target', '--', 'sh', '/tmp/berth-post.sh'], { env: { BERTH_STATE_DIR: daemon.stateDir } });
    assert.notEqual(run.code, 0);
    assert.equal(JSON.parse(ok(['deploy', 'status', 'inst', '--json']))[0].state, 'failed');
    assert.match(ok(['node', 'timeline', 'inst']), /post-failed.*post\.d\/30-fail exited with 3.*cannot reach the license server/);
    assert.doesNotMatch((await get(port, `/boot/ipxe/${MAC}`)).body, /installed on its disk/, 'a failed install is not booted from disk');
  });
});

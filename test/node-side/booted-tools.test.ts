/**
 * The booted system's tools (src/node-side/bin: berth-report,
 * berth-ssh-renew, berth-firstboot) as they run on a node, against a real
 * `berth serve` on loopback: each in a private mount namespace whose /etc is
 * an overlay and whose /run, /var/lib, /var/log and /etc/ssh are fresh
 * tmpfs, so they read and write the paths a node has without touching this
 * machine's. curl is a recorder on PATH: the key is on no command line.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDaemon } from '../helpers/daemon.ts';
import type { Daemon } from '../helpers/daemon.ts';
import { writeFakeImageVersion } from '../helpers/fake-image-version.ts';

const NODE_SIDE = resolve(import.meta.dirname, '../../src/node-side');
const CURL = spawnSync('sh', ['-c', 'command -v curl'], { encoding: 'utf8' }).stdout.trim();
const skip = process.getuid?.() !== 0 ? 'needs root (a mount namespace with an overlay on /etc)' : !CURL ? 'curl is not installed' : spawnSync('unshare', ['--mount', 'true']).status !== 0 ? 'cannot unshare a mount namespace' : false;

describe("the booted system's tools against a real berth serve", { skip, timeout: 120_000 }, () => {
  let daemon: Daemon;
  let dir: string;
  let key = '';
  const cli = (args: string[]) => {
    const r = daemon.cli(args);
    assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const steps = () => JSON.parse(cli(['node', 'timeline', 'n1', '--json'])).events.filter((e: { source: string }) => e.source === 'node') as { step: string; detail?: { message?: string; image?: string } }[];

  /**
   * Runs `body` with sh as root of a node installed on its disk: /etc/berth holds
   * node.env, node.key and ca.pem. Prints what `after` prints once it has run.
   */
  const onNode = (body: string, env: Record<string, string> = {}) => {
    const work = mkdtempSync(join(dir, 'ns-'));
    mkdirSync(join(work, 'upper'));
    mkdirSync(join(work, 'work'));
    const setup = [
      'set -e',
      `mount -t overlay overlay -o lowerdir=/etc,upperdir='${work}/upper',workdir='${work}/work' /etc`,
      'for d in /run /var/lib /var/log /etc/ssh; do mount -t tmpfs tmpfs "$d"; done',
      'mkdir -p /etc/berth',
      `cp '${join(daemon.stateDir, 'public/ca.pem')}' /etc/berth/ca.pem`,
      `printf '%s\\n' "BERTH_NODE='n1'" "BERTH_SERVER='https://127.0.0.1:${daemon.httpsPort}'" "BERTH_IMAGE='img@1'" "BERTH_PROFILE='disk'" "BERTH_METHOD='installtodisk'" "BERTH_DISK='/dev/vda'" "BERTH_KEY_POLICY='${env['POLICY'] ?? 'tpm'}'" > /etc/berth/node.env`,
      `(umask 077; printf '%s\\n' '${key}' > /etc/berth/node.key)`,
      'set +e',
    ].join('\n');
    const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', `${setup}\n${body}`], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: `${join(dir, 'bin')}:/usr/sbin:/usr/bin:/sbin:/bin`, BERTH_LIB: join(NODE_SIDE, 'core') },
    });
    rmSync(work, { recursive: true, force: true });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  before(async () => {
    daemon = await startDaemon();
    dir = mkdtempSync(join(tmpdir(), 'berth-booted-tools-'));
    mkdirSync(join(dir, 'bin'));
    writeFileSync(join(dir, 'bin/curl'), `#!/bin/sh\nprintf '%s\\n' "curl $*" >> '${dir}/argv.log'\nexec '${CURL}' "$@"\n`);
    writeFileSync(join(dir, 'bin/systemctl'), `#!/bin/sh\necho "systemctl $*" >> '${dir}/systemctl.log'\n`);
    chmodSync(join(dir, 'bin/curl'), 0o755);
    chmodSync(join(dir, 'bin/systemctl'), 0o755);
    await writeFakeImageVersion(daemon.stateDir, 'img', 1);
    cli(['profile', 'define', 'disk', '--image', 'img@1', '--boot-method', 'installtodisk']);
    cli(['node', 'define', 'n1', 'net.eth0.ipv4_address=127.0.0.1/8']);
    cli(['deploy', 'n1', 'disk', '--no-wait']);
    const ca = readFileSync(join(daemon.stateDir, 'public/ca.pem'));
    key = await new Promise<string>((resolveKey, reject) => {
      const req = request(
        { host: '127.0.0.1', port: daemon.httpsPort, path: '/node/v1/key', method: 'POST', ca, servername: 'localhost', checkServerIdentity: () => undefined, headers: { 'content-type': 'application/json' } },
        (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => resolveKey(JSON.parse(text).key));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ node: 'n1' }));
    });
  });
  after(async () => {
    await daemon?.stop();
    daemon?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('berth-report: an installed system says booted as installed; with rearm the key is dropped afterwards', () => {
    const r = onNode(`sh '${NODE_SIDE}/bin/berth-report' booted booted 'up and running'; echo "status $?"; [ -e /etc/berth/node.key ] && echo kept || echo dropped`, { POLICY: 'rearm' });
    assert.equal(r.out, 'status 0\ndropped\n', r.err);
    assert.equal(JSON.parse(cli(['deploy', 'status', 'n1', '--json']))[0].state, 'installed');
    assert.deepEqual(steps().find((e) => e.step === 'booted')?.detail, { image: 'img@1', message: 'up and running' });
  });

  test('berth-report: berth refusing the report is its exit status, with the reason on stderr', () => {
    const r = onNode(`printf 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\\n' > /etc/berth/node.key; sh '${NODE_SIDE}/bin/berth-report' booted; echo "status $?"`);
    assert.equal(r.out, 'status 3\n');
    assert.match(r.err, /berth-api: POST \/node\/v1\/nodes\/n1\/events: HTTP 401 from berth/);
  });

  test('berth-ssh-renew: a certificate near its end is signed again from the text answer, and sshd reloaded', () => {
    const r = onNode(
      [
        'ssh-keygen -q -t ed25519 -N "" -f /etc/ssh/ssh_host_ed25519_key',
        'echo "not a certificate" > /etc/ssh/ssh_host_ed25519_key-cert.pub',
        `sh '${NODE_SIDE}/bin/berth-ssh-renew'; echo "status $?"`,
        'ssh-keygen -L -f /etc/ssh/ssh_host_ed25519_key-cert.pub | grep -c "host certificate"',
      ].join('\n'),
    );
    assert.equal(r.out, 'berth-ssh-renew: 1 certificate(s) renewed\nstatus 0\n1\n', r.err);
    assert.match(readFileSync(join(dir, 'systemctl.log'), 'utf8'), /^systemctl reload ssh\.service$/m);
  });

  test('berth-firstboot: firstboot.d by name through the one runner; done once; a failure is kept and reported', () => {
    const scripts = [
      'mkdir -p /var/lib/berth/firstboot.d',
      `printf '#!/bin/sh\\necho "one $BERTH_NODE $BERTH_DISK" >> /var/log/order\\n' > /var/lib/berth/firstboot.d/10-one`,
      `printf '#!/bin/sh\\necho two >> /var/log/order\\n' > /var/lib/berth/firstboot.d/20-two`,
      'chmod 755 /var/lib/berth/firstboot.d/*',
    ];
    const ok = onNode([...scripts, `sh '${NODE_SIDE}/bin/berth-firstboot'; echo "status $?"`, 'cat /var/log/order', 'ls /var/lib/berth'].join('\n'));
    assert.equal(ok.out, 'status 0\none n1 /dev/vda\ntwo\n', ok.err);
    assert.equal(steps().find((e) => e.step === 'firstboot-done')?.detail?.message, '2 firstboot.d scripts ran');

    const failed = onNode(
      [
        ...scripts,
        `printf '#!/bin/sh\\necho "no license"\\nexit 4\\n' > /var/lib/berth/firstboot.d/15-fail`,
        'chmod 755 /var/lib/berth/firstboot.d/15-fail',
        `sh '${NODE_SIDE}/bin/berth-firstboot'; echo "status $?"`,
        'cat /var/log/order',
        'ls /var/lib/berth',
      ].join('\n'),
    );
    assert.equal(failed.out, 'status 1\none n1 /dev/vda\nfirstboot.d.failed\n', failed.err);
    assert.match(steps().find((e) => e.step === 'firstboot-failed')?.detail?.message ?? '', /^firstboot\.d\/15-fail exited with 4: (.|\n)*no license/);
  });

  test('the key was on no command line', () => {
    const calls = readFileSync(join(dir, 'argv.log'), 'utf8').trim().split('\n');
    assert.ok(calls.length >= 4, calls.join('\n'));
    for (const call of calls) assert.ok(!call.includes(key), `the key is on a command line: ${call}`);
  });
});

/**
 * The life of a real image, through the CLI as an administrator drives it:
 * build Debian 12 with mmdebstrap (packages cached in .cache/packages between
 * runs), exec in its namespaces, pack, verify with veritysetup, compare the
 * manifest with dpkg-query, pack again (same content), unpack, change,
 * diff, capture it from a real sshd, and refuse to remove a version in use.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { indexTree } from '../../src/images/pack/file-index.ts';
import { ROOT, startDaemon } from '../helpers/daemon.ts';
import type { Daemon } from '../helpers/daemon.ts';
import { missingSshPrerequisite, startSshServer } from './capture/ssh-server.ts';
import type { TestSshServer } from './capture/ssh-server.ts';

const skip = process.getuid?.() !== 0 ? 'needs root (mmdebstrap, namespaces)' : spawnSync('mmdebstrap', ['--version']).status !== 0 ? 'mmdebstrap is not installed' : false;
const CACHE = join(ROOT, '.cache/packages/debian-12-amd64');

describe('image lifecycle on a real Debian 12 build', { skip, timeout: 30 * 60_000 }, () => {
  let daemon: Daemon;
  let ssh: TestSshServer | undefined;
  const berth = (args: string[]) => {
    const r = daemon.cli(args, { env: { BERTH_STATE_DIR: daemon.stateDir } });
    return r;
  };
  const tree = (name: string) => join(daemon.stateDir, 'trees', name, 'root');
  const ok = (args: string[]) => {
    const r = berth(args);
    assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}`);
    return r;
  };

  before(async () => {
    mkdirSync(CACHE, { recursive: true });
    daemon = await startDaemon();
  });
  after(async () => {
    await ssh?.stop();
    await daemon?.stop();
    daemon?.cleanup();
  });

  test('build: mmdebstrap tree with berth node-side support in its initramfs', () => {
    const r = ok(['image', 'build', 'deb', '--distro', 'debian-12', '--package-cache', CACHE, '--json']);
    const info = JSON.parse(r.stdout);
    assert.equal(info.distro, 'debian-12');
    assert.ok(existsSync(join(tree('deb'), 'usr/sbin/sshd')));
    assert.ok(readdirSync(CACHE).some((f) => f.endsWith('.deb')), 'packages kept for the next build');
    assert.ok(!readdirSync(join(tree('deb'), 'var/cache/apt/archives')).some((f) => f.endsWith('.deb')), 'the image does not carry them');
    const lsinitramfs = ok(['image', 'exec', 'deb', '--', 'sh', '-c', 'lsinitramfs /boot/initrd.img-*']);
    for (const file of ['usr/lib/berth/berth-boot.sh', 'scripts/berth', 'usr/sbin/veritysetup']) assert.ok(lsinitramfs.stdout.split('\n').includes(file), `initramfs has ${file}`);
  });

  test("exec: the command's exit status is berth's, in its own namespaces, nothing left mounted", async () => {
    assert.equal(berth(['image', 'exec', 'deb', '--', 'sh', '-c', 'exit 42']).code, 42);
    const shell = daemon.cli(['image', 'shell', 'deb'], { input: 'echo "inside $(hostname)"; exit 3\n', env: { BERTH_STATE_DIR: daemon.stateDir } });
    assert.equal(shell.code, 3);
    assert.match(shell.stdout, /inside deb/);
    const apt = berth(['image', 'exec', 'deb', '--', 'apt-get', 'install', '-y', '--no-download', 'no-such-package-berth']);
    assert.equal(apt.code, 100, "apt's own failure status comes through");
    const inside = ok(['image', 'exec', 'deb', '--', 'sh', '-c', 'echo $$; hostname; grep -c . /proc/mounts; ls /dev; test -r /etc/resolv.conf && echo resolv']);
    const [pid, hostname] = inside.stdout.split('\n');
    assert.equal(pid, '1', 'new PID namespace');
    assert.equal(hostname, 'deb', 'new UTS namespace');
    assert.match(inside.stdout, /\nresolv\n/);
    assert.doesNotMatch(inside.stdout, /\bsda|vda|nvme/, 'no host disks in its /dev');
    // While a command runs inside, the host's mount table does not show its mounts.
    const running = spawn(join(ROOT, 'bin/berth'), ['image', 'exec', 'deb', '--', 'sleep', '3'], { env: { ...process.env, BERTH_STATE_DIR: daemon.stateDir, BERTH_SOCKET: daemon.socket } });
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(daemon.stateDir), 'mounts stay in the namespace');
    assert.equal(await new Promise((r) => running.once('exit', r)), 0);
    assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(daemon.stateDir));
  });

  test('pack: a version that veritysetup verifies', () => {
    const m = JSON.parse(ok(['image', 'pack', 'deb', '--level', '3', '--json']).stdout);
    assert.equal(m.version, 1);
    const artifact = join(daemon.stateDir, 'images/deb/1/root.img');
    const verify = spawnSync('veritysetup', ['verify', artifact, artifact, m.verity.rootHash, `--hash-offset=${m.verity.hashOffset}`], { encoding: 'utf8' });
    assert.equal(verify.status, 0, verify.stderr);
    const show = ok(['image', 'show', 'deb@1']).stdout;
    assert.match(show, /aes-xts-plain64, 512-bit key, sector 4096 --iv-large-sectors/);
  });

  test('pack again: same content digest (reproducible), new key', () => {
    const m2 = JSON.parse(ok(['image', 'pack', 'deb', '--level', '3', '--json']).stdout);
    const m1 = JSON.parse(ok(['image', 'show', 'deb@1', '--json']).stdout);
    assert.equal(m2.version, 2);
    assert.equal(m2.squashfs.sha256, m1.squashfs.sha256);
    assert.notEqual(m2.verity.rootHash, m1.verity.rootHash);
  });

  test("manifest matches dpkg-query run inside the image", () => {
    const manifest = JSON.parse(readFileSync(join(daemon.stateDir, 'images/deb/1/manifest.json'), 'utf8'));
    const dpkg = ok(['image', 'exec', 'deb', '--', 'dpkg-query', '-W', '-f=${db:Status-Abbrev} ${binary:Package} ${Version} ${source:Package} ${source:Version}\n']).stdout;
    const expected = dpkg.split('\n').filter((l) => l.startsWith('ii ')).map((l) => l.slice(4).replace(/:amd64|:all/, '')).sort();
    const got = manifest.packages.map((p: any) => `${p.name} ${p.version} ${p.source} ${p.sourceVersion}`).sort();
    assert.ok(got.length > 100);
    assert.deepEqual(got, expected);
    assert.ok(manifest.packages.some((p: any) => p.name === 'libssl3' && p.source === 'openssl'), 'binary and source names differ where they should');
  });

  test('unpack gives back the same tree', async () => {
    ok(['image', 'unpack', 'deb@1', '--as', 'deb-copy']);
    const [a, b] = await Promise.all([indexTree(tree('deb')), indexTree(tree('deb-copy'))]);
    assert.equal(b.entries.length, a.entries.length);
    assert.deepEqual(b.entries, a.entries, 'same paths, types, modes, owners, sizes, times (device nodes included)');
    const diff = spawnSync('diff', ['-r', '--no-dereference', '--exclude=dev', tree('deb'), tree('deb-copy')], { encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.equal(diff.status, 0, diff.stdout.slice(0, 2000));
  });

  test('diff: a package removed inside the image shows at package and file level', () => {
    ok(['image', 'exec', 'deb', '--', 'apt-get', 'remove', '--purge', '-y', 'xfsprogs']);
    ok(['image', 'pack', 'deb', '--level', '3']);
    const diff = JSON.parse(ok(['image', 'diff', 'deb@1', 'deb@3', '--json']).stdout);
    assert.deepEqual(diff.packages.removed.map((p: any) => p.name), ['xfsprogs']);
    assert.equal(diff.packages.added.length + diff.packages.upgraded.length, 0);
    assert.ok(diff.files.removed > 10 && diff.files.byFolder['/usr'].removed > 0);
    assert.match(ok(['image', 'diff', 'deb@1', 'deb@3']).stdout, /- xfsprogs /);
  });

  test('capture over ssh from a real sshd; the captured tree packs like any other', { skip: false }, async (t) => {
    const missing = await missingSshPrerequisite();
    if (missing) return t.skip(missing);
    ssh = await startSshServer();
    assert.ok(readdirSync(join(tree('deb'), 'etc/ssh')).some((f) => f.startsWith('ssh_host_')), 'the source has host keys');
    const r = ok(['image', 'capture', 'n1', 'cap', '--host', ssh.host, '--port', String(ssh.port), '--identity', ssh.clientKey, '--known-hosts', ssh.knownHosts, '--source-root', tree('deb')]);
    assert.match(r.stdout, /captured n1 into image cap/);
    assert.ok(!readdirSync(join(tree('cap'), 'etc/ssh')).some((f) => f.startsWith('ssh_host_')), 'no host keys captured');
    assert.equal(statSync(join(tree('cap'), 'etc/machine-id')).size, 0);
    const m = JSON.parse(ok(['image', 'pack', 'cap', '--level', '3', '--json']).stdout);
    assert.equal(m.source.origin, 'capture');
    assert.equal(m.source.capturedFrom.node, 'n1');
  });

  test('a version in use cannot be removed; one not in use can', () => {
    ok(['profile', 'define', 'compute', '--image', 'deb@1']);
    ok(['node', 'define', 'n[1-3]', 'deployment.pending_profile=compute']);
    const refused = berth(['image', 'remove', 'deb@1']);
    assert.equal(refused.code, 4);
    assert.match(refused.stderr, /in use by nodes n\[1-3\]/);
    assert.ok(existsSync(join(daemon.stateDir, 'images/deb/1/root.img')));
    assert.match(ok(['image', 'versions', 'deb']).stdout, /deb@1 .* n\[1-3\]/);
    ok(['image', 'remove', 'deb@2']);
    assert.ok(!existsSync(join(daemon.stateDir, 'images/deb/2')));
    assert.ok(!existsSync(join(daemon.stateDir, 'private/images/deb/2.key')), 'its key is gone too');
    assert.match(ok(['image', 'remove', 'deb@1', '--force']).stdout, /although nodes n\[1-3\] use it/);
  });

  test('bad input: unknown distro, missing package, bad name; nothing made', () => {
    const distro = berth(['image', 'build', 'x', '--distro', 'debian-99']);
    assert.equal(distro.code, 2);
    assert.match(distro.stderr, /debian-99/);
    assert.match(distro.stderr, /debian-12/);
    const pkg = berth(['image', 'build', 'x', '--distro', 'debian-12', '--package-cache', CACHE, '--packages', 'no-such-package-berth']);
    assert.equal(pkg.code, 2, pkg.stderr);
    assert.match(pkg.stderr, /no-such-package-berth/);
    for (const bad of ['a/b', '../x', '..']) {
      const r = berth(['image', 'build', bad, '--distro', 'debian-12']);
      assert.equal(r.code, 2, bad);
    }
    assert.deepEqual(readdirSync(join(daemon.stateDir, 'trees')).sort(), ['cap', 'deb', 'deb-copy']);
  });
});

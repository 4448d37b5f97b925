/**
 * captureTree against a real OpenSSH server in a network namespace
 * (ssh-server.ts), capturing a fixture root with everything a real root has
 * that is easy to lose: owners, setuid, hard links, symlinks, sparse files,
 * file capabilities, odd names, mount points, secrets.
 */
import { randomBytes } from 'node:crypto';
import { appendFile, chmod, chown, link, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, truncate, utimes, writeFile } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isBerthError } from '../../../src/errors.ts';
import { captureTree } from '../../../src/images/capture/capture-tree.ts';
import type { CaptureOptions, CaptureResult } from '../../../src/images/capture/capture-tree.ts';
import { run } from '../../../src/util/run.ts';
import { missingSshPrerequisite, startSshServer } from './ssh-server.ts';
import type { TestSshServer } from './ssh-server.ts';

const skip = await missingSshPrerequisite();

const shadowBefore = [
  'root:$6$saltsalt$AbCdEfGhIjKlMnOpQrStUvWxYz0123456789./abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQR:19700:0:99999:7:::',
  'daemon:*:19700:0:99999:7:::',
  'alice:!$6$pepper$ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210./zyxwvutsrqponmlkjihgfedcbaZYXWVUTSRQPONML:19701:0:99999:7:::',
  'bob:!:19702:0:99999:7:::',
  'kiosk::19703:0:99999:7:::',
  '',
].join('\n');
const shadowAfter = [
  'root:*:19700:0:99999:7:::',
  'daemon:*:19700:0:99999:7:::',
  'alice:*:19701:0:99999:7:::',
  'bob:!:19702:0:99999:7:::',
  'kiosk::19703:0:99999:7:::',
  '',
].join('\n');
const oddName = 'name with spaces\nand a newline';
const sparseSize = 256 * 1024 * 1024;
const oldTime = new Date('2001-02-03T04:05:06Z');

async function put(root: string, path: string, content: string | Buffer, mode = 0o644): Promise<void> {
  const full = join(root, path);
  await mkdir(dirname(full), { recursive: true });
  await writeFile(full, content);
  await chmod(full, mode);
}

async function dir(root: string, path: string, mode: number): Promise<void> {
  await mkdir(join(root, path), { recursive: true });
  await chmod(join(root, path), mode);
}

async function buildFixture(root: string, scratchMount: string): Promise<void> {
  await dir(root, '', 0o755);
  await put(root, 'etc/hostname', 'captured\n');
  await put(root, 'etc/ssh/sshd_config', 'PermitRootLogin prohibit-password\n');
  await put(root, 'etc/ssh/ssh_host_ed25519_key', 'PRIVATE HOST KEY\n', 0o600);
  await put(root, 'etc/ssh/ssh_host_ed25519_key.pub', 'ssh-ed25519 AAAA host\n');
  await put(root, 'etc/machine-id', '0123456789abcdef0123456789abcdef\n', 0o444);
  await put(root, 'etc/shadow', shadowBefore, 0o640);
  await chown(join(root, 'etc/shadow'), 0, 42);
  await put(root, 'etc/berth/node.key', 'NODE KEY\n', 0o600);
  await put(root, 'etc/berth/node-key.csr', 'NODE CSR\n');
  await put(root, 'etc/berth/berth.conf', 'server=https://berth\n');
  await put(root, 'var/lib/dbus/machine-id', '0123456789abcdef0123456789abcdef\n');
  await put(root, 'root/.bash_history', 'mysql -p hunter2\n', 0o600);
  await put(root, 'root/.profile', '# profile\n');
  await put(root, 'home/alice/.bash_history', 'ls\n', 0o600);
  await put(root, 'home/alice/notes.txt', 'keep\n');

  await dir(root, 'proc', 0o555);
  await put(root, 'proc/cpuinfo', 'processor: 0\n');
  await dir(root, 'sys', 0o555);
  await put(root, 'sys/kernel/uevent_helper', '\n');
  await put(root, 'dev/console', 'not a device\n');
  await put(root, 'run/lock/some.lock', '1\n');
  await put(root, 'tmp/scratch', 'x\n');
  await put(root, 'tmp/.X11-unix/X0', 'x\n');
  await chmod(join(root, 'tmp'), 0o1777);
  await put(root, 'var/tmp/scratch', 'x\n');
  await chmod(join(root, 'var/tmp'), 0o1777);
  await put(root, 'mnt/usb/file', 'x\n');
  await put(root, 'media/cdrom/file', 'x\n');
  await put(root, 'lost+found/#1234', 'x\n');
  await chmod(join(root, 'lost+found'), 0o700);
  await put(root, 'home/lost+found/#99', 'x\n');
  await put(root, 'swapfile', Buffer.alloc(64 * 1024, 7), 0o600);
  await put(root, 'var/cache/apt/archives/hello_2.10_amd64.deb', 'deb\n');
  await put(root, 'var/cache/apt/archives/lock', '');
  await dir(root, 'var/cache/apt/archives/partial', 0o700);
  await put(root, 'var/lib/dhcp/dhclient.eth0.leases', 'lease { fixed-address 10.0.0.5; }\n');
  await put(root, 'var/log/journal/0123456789abcdef0123456789abcdef/system.journal', 'journal\n', 0o640);
  await put(root, 'var/log/syslog', 'log line\n', 0o640);
  await put(root, 'srv/data/skip-me', 'x\n');
  await put(root, 'srv/data/keep-me', 'x\n');

  await put(root, 'data/hard-a', 'linked twice\n');
  await link(join(root, 'data/hard-a'), join(root, 'data/hard-b'));
  await symlink('hard-a', join(root, 'data/link-relative'));
  await symlink('/etc/hostname', join(root, 'data/link-absolute'));
  await put(root, 'usr/bin/setuid-tool', '#!/bin/sh\n', 0o4755);
  await put(root, 'data/owned-by-1234', 'mine\n', 0o640);
  await chown(join(root, 'data/owned-by-1234'), 1234, 2345);
  await put(root, `data/${oddName}`, 'odd\n');
  await put(root, 'data/old-mtime', 'old\n');
  await utimes(join(root, 'data/old-mtime'), oldTime, oldTime);
  await put(root, 'data/cap-tool', '#!/bin/sh\n', 0o755);
  await run('setcap', ['cap_net_raw+ep', join(root, 'data/cap-tool')], { timeoutMs: 10_000 });

  const sparse = join(root, 'data/sparse');
  await writeFile(sparse, 'head');
  await truncate(sparse, sparseSize);
  const handle = await open(sparse, 'r+');
  await handle.write('tail', sparseSize - 4);
  await handle.close();

  // A tmpfs mounted inside the tree, as /run/user or an NFS home would be:
  // found in /proc/mounts by the survey and its contents left out.
  await mkdir(join(root, scratchMount), { recursive: true });
  await run('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0750', 'berth-cap-test', join(root, scratchMount)], { timeoutMs: 10_000 });
  await put(root, `${scratchMount}/in-tmpfs`, 'x\n');
}

async function expectRejects(promise: Promise<unknown>, code: string, messagePattern: RegExp): Promise<Error> {
  try {
    await promise;
  } catch (e) {
    assert.ok(isBerthError(e), `expected a BerthError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, messagePattern);
    return e;
  }
  assert.fail('expected the capture to fail');
}

/** Nothing named like the destination (or its partial directory) in its parent. */
async function assertNothingLeft(destination: string): Promise<void> {
  const base = destination.split('/').pop()!;
  const left = (await readdir(dirname(destination))).filter((n) => n === base || n.startsWith(`${base}.partial-`));
  assert.deepEqual(left, [], `left behind: ${left.join(', ')}`);
}

describe('captureTree over ssh from a real sshd', { skip: skip ?? false }, () => {
  let server: TestSshServer;
  let work = '';
  let source = '';
  let big = '';
  let tinyDisk = '';
  const scratchMount = 'srv/scratch';
  const mounted: string[] = [];

  const optionsFor = (destination: string, extra: Partial<CaptureOptions> = {}): CaptureOptions => ({
    host: server.host,
    port: server.port,
    identityFile: server.clientKey,
    knownHostsFile: server.knownHosts,
    sourceRoot: source,
    destination,
    timeoutMs: 120_000,
    ...extra,
  });

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'berth-cap-'));
    source = join(work, 'source root');
    await buildFixture(source, scratchMount);
    mounted.push(join(source, scratchMount));
    big = join(work, 'big');
    await put(big, 'random.bin', randomBytes(96 * 1024 * 1024));
    tinyDisk = join(work, 'tiny-disk');
    await mkdir(tinyDisk);
    await run('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'berth-cap-test', tinyDisk], { timeoutMs: 10_000 });
    mounted.push(tinyDisk);
    await mkdir(join(work, 'out'));
    server = await startSshServer();
  });

  after(async () => {
    await server?.stop();
    for (const path of mounted) await run('umount', [path], { timeoutMs: 10_000 }).catch(() => {});
    if (work) await rm(work, { recursive: true, force: true });
  });

  describe('a successful capture', () => {
    let result: CaptureResult;
    let out = '';
    const sightings = { partialTree: 0, both: 0, partialMode: new Set<number>() };

    before(async () => {
      out = join(work, 'out', 'captured');
      // Watch the destination's directory while the capture runs: the destination
      // must never exist while the partial tree still does.
      let capturing = true;
      const watch = (async () => {
        while (capturing) {
          const names = await readdir(join(work, 'out'));
          const partial = names.find((n) => n.startsWith('captured.partial-'));
          const partialTree = partial !== undefined && names.includes(partial) && (await lstat(join(work, 'out', partial, 'tree')).catch(() => undefined)) !== undefined;
          if (partialTree) {
            sightings.partialTree++;
            const mode = (await lstat(join(work, 'out', partial!)).catch(() => undefined))?.mode;
            if (mode !== undefined) sightings.partialMode.add(mode & 0o7777);
          }
          if (partialTree && names.includes('captured')) sightings.both++;
          await new Promise((r) => setTimeout(r, 1));
        }
      })();
      try {
        result = await captureTree(optionsFor(out, { extraExcludes: ['/srv/data/skip-*'] }));
      } finally {
        capturing = false;
        await watch;
      }
    });

    it('appears only when complete, from a private partial directory', async () => {
      assert.equal(result.destination, out);
      assert.ok(sightings.partialTree > 0, 'the partial tree was seen during the capture');
      assert.equal(sightings.both, 0, 'destination and partial tree never existed at the same time');
      assert.deepEqual([...sightings.partialMode], [0o700]);
      await assertNothingLeft(join(work, 'out', 'captured-not-there'));
      assert.deepEqual((await readdir(join(work, 'out'))).sort(), ['captured']);
    });

    it('keeps contents, modes, owners and times', async () => {
      assert.equal(await readFile(join(out, 'etc/hostname'), 'utf8'), 'captured\n');
      assert.equal((await stat(out)).mode & 0o7777, 0o755);
      assert.equal((await stat(join(out, 'usr/bin/setuid-tool'))).mode & 0o7777, 0o4755);
      const owned = await stat(join(out, 'data/owned-by-1234'));
      assert.equal(owned.uid, 1234);
      assert.equal(owned.gid, 2345);
      assert.equal(owned.mode & 0o7777, 0o640);
      assert.equal((await stat(join(out, 'data/old-mtime'))).mtime.getTime(), oldTime.getTime());
      assert.equal(await readFile(join(out, `data/${oddName}`), 'utf8'), 'odd\n');
      assert.equal(await readFile(join(out, 'home/alice/notes.txt'), 'utf8'), 'keep\n');
      assert.equal(await readFile(join(out, 'var/log/syslog'), 'utf8'), 'log line\n');
      assert.equal(await readFile(join(out, 'etc/berth/berth.conf'), 'utf8'), 'server=https://berth\n');
    });

    it('keeps hard links, symlinks, sparse files and file capabilities', async () => {
      const a = await stat(join(out, 'data/hard-a'));
      const b = await stat(join(out, 'data/hard-b'));
      assert.equal(a.ino, b.ino);
      assert.equal(a.nlink, 2);
      assert.equal(await readlink(join(out, 'data/link-relative')), 'hard-a');
      assert.equal(await readlink(join(out, 'data/link-absolute')), '/etc/hostname');

      const sparse = await stat(join(out, 'data/sparse'));
      assert.equal(sparse.size, sparseSize);
      assert.ok(sparse.blocks * 512 < 1024 * 1024, `sparse file allocated ${sparse.blocks * 512} bytes`);
      const handle = await open(join(out, 'data/sparse'), 'r');
      const head = Buffer.alloc(4);
      const tail = Buffer.alloc(4);
      await handle.read(head, 0, 4, 0);
      await handle.read(tail, 0, 4, sparseSize - 4);
      await handle.close();
      assert.equal(head.toString(), 'head');
      assert.equal(tail.toString(), 'tail');

      const { stdout } = await run('getcap', [join(out, 'data/cap-tool')], { timeoutMs: 10_000 });
      assert.match(stdout, /cap_net_raw[=+]ep/);
    });

    it('keeps mount points and scratch directories empty, with their modes', async () => {
      const emptyDirs: Array<[string, number]> = [
        ['proc', 0o555],
        ['sys', 0o555],
        ['dev', 0o755],
        ['run', 0o755],
        ['tmp', 0o1777],
        ['var/tmp', 0o1777],
        ['mnt', 0o755],
        ['media', 0o755],
        ['lost+found', 0o700],
        ['home/lost+found', 0o755],
        ['var/log/journal', 0o755],
        // A mount point shows its filesystem's root: the tmpfs was mounted with mode=0750.
        [scratchMount, 0o750],
      ];
      for (const [path, mode] of emptyDirs) {
        const stats = await lstat(join(out, path));
        assert.ok(stats.isDirectory(), `${path} is a directory`);
        assert.equal(stats.mode & 0o7777, mode, `${path} mode`);
        assert.deepEqual(await readdir(join(out, path)), [], `${path} is empty`);
      }
    });

    it('leaves out swap, caches, leases and secrets, keeping their neighbours', async () => {
      const gone = [
        'swapfile',
        'var/cache/apt/archives/hello_2.10_amd64.deb',
        'var/lib/dhcp/dhclient.eth0.leases',
        'etc/ssh/ssh_host_ed25519_key',
        'etc/ssh/ssh_host_ed25519_key.pub',
        'etc/berth/node.key',
        'etc/berth/node-key.csr',
        'var/lib/dbus/machine-id',
        'root/.bash_history',
        'home/alice/.bash_history',
        'srv/data/skip-me',
      ];
      for (const path of gone) {
        await assert.rejects(lstat(join(out, path)), { code: 'ENOENT' }, `${path} is not captured`);
      }
      const kept = ['etc/ssh/sshd_config', 'var/cache/apt/archives/lock', 'var/cache/apt/archives/partial', 'root/.profile', 'srv/data/keep-me'];
      for (const path of kept) await lstat(join(out, path));
      assert.ok(result.excluded.includes('/etc/ssh/ssh_host_*'));
      assert.ok(result.excluded.includes('/proc/*'));
      assert.ok(result.excluded.includes('/srv/data/skip-*'));
      assert.ok(result.excluded.includes(`/${scratchMount}/*`), `the tmpfs mount is excluded: ${result.excluded.join(' ')}`);
    });

    it('empties machine-id and blanks password hashes, keeping owner and mode', async () => {
      const machineId = await stat(join(out, 'etc/machine-id'));
      assert.equal(machineId.size, 0);
      assert.equal(machineId.mode & 0o7777, 0o444);
      assert.equal(await readFile(join(out, 'etc/shadow'), 'utf8'), shadowAfter);
      const shadow = await stat(join(out, 'etc/shadow'));
      assert.equal(shadow.mode & 0o7777, 0o640);
      assert.equal(shadow.gid, 42);
      assert.deepEqual(result.scrubbed, ['/etc/machine-id', '/etc/shadow']);
      // The source is untouched.
      assert.equal(await readFile(join(source, 'etc/shadow'), 'utf8'), shadowBefore);
    });

    it('reports files and bytes, hard links once', async () => {
      // The 19 non-directories that survive the exclusions; hard-b is hard-a again.
      assert.equal(result.files, 19);
      assert.ok(result.bytes >= sparseSize && result.bytes < sparseSize + 4096, `bytes: ${result.bytes}`);
      assert.deepEqual(result.warnings, []);
    });
  });

  it('refuses a destination that exists', async () => {
    const existing = join(work, 'out', 'exists');
    await mkdir(existing);
    await expectRejects(captureTree(optionsFor(existing)), 'BERTH_EXISTS', /already exists/);
    assert.deepEqual(await readdir(existing), []);
    await rm(existing, { recursive: true });
  });

  it('says what failed when the port is wrong, and leaves nothing', async () => {
    const destination = join(work, 'out', 'wrong-port');
    await expectRejects(captureTree(optionsFor(destination, { port: 2222 })), 'BERTH_SUBPROCESS', /could not connect; check the address and port[^]*Connection refused/);
    await assertNothingLeft(destination);
  });

  it('says what failed when the key is not accepted, and leaves nothing', async () => {
    const destination = join(work, 'out', 'wrong-key');
    await expectRejects(captureTree(optionsFor(destination, { identityFile: server.otherKey })), 'BERTH_SUBPROCESS', /refused the login[^]*Permission denied \(publickey\)/);
    await assertNothingLeft(destination);
  });

  it('refuses a node whose host key does not match the known hosts file', async () => {
    const destination = join(work, 'out', 'wrong-host-key');
    await expectRejects(
      captureTree(optionsFor(destination, { knownHostsFile: server.wrongKnownHosts })),
      'BERTH_SUBPROCESS',
      /host key is not the one[^]*Host key verification failed/,
    );
    await assertNothingLeft(destination);
  });

  it('says when the source root does not exist on the node', async () => {
    const destination = join(work, 'out', 'no-source');
    await expectRejects(captureTree(optionsFor(destination, { sourceRoot: join(work, 'nowhere') })), 'BERTH_NOT_FOUND', /does not exist/);
    await assertNothingLeft(destination);
  });

  it('removes the partial directory when the local disk fills up mid-transfer', async () => {
    const destination = join(tinyDisk, 'captured');
    const error = await expectRejects(captureTree(optionsFor(destination, { sourceRoot: big })), 'BERTH_NO_SPACE', /local tar --extract .* exited with code 2/);
    assert.match(error.message, /Wrote only|No space left on device/);
    // GNU tar reads on past a failed write, so ssh usually finishes cleanly and only tar is blamed.
    assert.doesNotMatch(error.message, /could not connect/);
    await assertNothingLeft(destination);
  });

  it('succeeds with a warning when a file changes while it is read, as logs on a running node do', async () => {
    const growing = join(work, 'growing');
    await put(growing, 'var/log/app.log', randomBytes(48 * 1024 * 1024));
    // Appends every millisecond while the capture runs, like a busy log.
    let appending = true;
    const appender = (async () => {
      while (appending) {
        await appendFile(join(growing, 'var/log/app.log'), 'one more line\n');
        await new Promise((r) => setTimeout(r, 1));
      }
    })();
    let result: CaptureResult;
    try {
      result = await captureTree(optionsFor(join(work, 'out', 'growing'), { sourceRoot: growing }));
    } finally {
      appending = false;
      await appender;
    }
    assert.ok(
      result.warnings.some((w) => /\.\/var\/log\/app\.log: file changed as we read it/.test(w)),
      `warnings: ${JSON.stringify(result.warnings)}`,
    );
    assert.ok((await stat(join(work, 'out', 'growing', 'var/log/app.log'))).size >= 48 * 1024 * 1024);
    await rm(join(work, 'out', 'growing'), { recursive: true });
  });

  it('removes the partial directory when aborted mid-transfer', async () => {
    const destination = join(work, 'out', 'aborted');
    const controller = new AbortController();
    let sawData = false;
    const watch = (async () => {
      for (let i = 0; i < 20_000 && !controller.signal.aborted; i++) {
        const partial = (await readdir(join(work, 'out'))).find((n) => n.startsWith('aborted.partial-'));
        if (partial !== undefined && (await readdir(join(work, 'out', partial, 'tree')).catch(() => [])).length > 0) {
          sawData = true;
          controller.abort();
          return;
        }
        await new Promise((r) => setTimeout(r, 1));
      }
    })();
    await assert.rejects(captureTree(optionsFor(destination, { sourceRoot: big, signal: controller.signal })), { name: 'AbortError' });
    await watch;
    assert.ok(sawData, 'the abort came while data was arriving');
    await assertNothingLeft(destination);
  });
});

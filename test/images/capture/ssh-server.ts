/**
 * A real OpenSSH server for capture tests, alone in a network namespace this
 * test makes (`berth-cap-<pid>-<hex>`), reached from the test process over a
 * veth pair with a private /30. It has its own host key, config, PID file and
 * authorized_keys, all in a temp directory; nothing of the machine's own sshd
 * setup is used or changed (except /run/sshd, sshd's privilege separation
 * directory, made if missing and left: other sshd instances need it too).
 *
 * stop() ends sshd by the PID we started and deletes the namespace by name,
 * which takes the veth pair with it.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../../src/util/run.ts';

export interface TestSshServer {
  namespace: string;
  /** The server's address, as the test process reaches it. */
  host: string;
  port: number;
  /** Private key whose public half is in authorized_keys. */
  clientKey: string;
  /** A key sshd does not accept. */
  otherKey: string;
  /** known_hosts naming `host` with the server's real key. */
  knownHosts: string;
  /** known_hosts naming `host` with some other key. */
  wrongKnownHosts: string;
  dir: string;
  stop(): Promise<void>;
}

export async function missingSshPrerequisite(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'needs root (ip netns, sshd, chown in fixtures)';
  for (const [tool, args] of [
    ['/usr/sbin/sshd', ['-V']],
    ['ssh', ['-V']],
    ['ssh-keygen', ['-?']],
    ['ip', ['-V']],
  ] as const) {
    try {
      await run(tool, [...args], { timeoutMs: 10_000, allowedExitCodes: [0, 1, 255] });
    } catch {
      return `${tool} is not installed (Debian: openssh-server, openssh-client, iproute2)`;
    }
  }
  return undefined;
}

export async function startSshServer(): Promise<TestSshServer> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-cap-ssh-'));
  const tag = randomBytes(3).toString('hex');
  const namespace = `berth-cap-${process.pid}-${tag}`;
  const hostInterface = `bcap${tag}h`;
  const namespaceInterface = `bcap${tag}n`;
  const subnet = await freeSubnet();
  const host = `${subnet}.2`;
  let sshd: ChildProcess | undefined;
  let namespaceMade = false;

  const stop = async () => {
    if (sshd?.pid !== undefined && sshd.exitCode === null && sshd.signalCode === null) {
      const exited = new Promise((resolve) => sshd!.once('exit', resolve));
      process.kill(sshd.pid, 'SIGTERM');
      await exited;
    }
    if (namespaceMade) await run('ip', ['netns', 'delete', namespace], { timeoutMs: 10_000 });
    await rm(dir, { recursive: true, force: true });
  };

  try {
    for (const name of ['host_key', 'client_key', 'other_key']) {
      await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `berth-test-${name}`, '-f', join(dir, name)], { timeoutMs: 10_000 });
    }
    await writeFile(join(dir, 'authorized_keys'), await readFile(join(dir, 'client_key.pub')), { mode: 0o600 });
    const hostPublic = (await readFile(join(dir, 'host_key.pub'), 'utf8')).split(' ').slice(0, 2).join(' ');
    const otherPublic = (await readFile(join(dir, 'other_key.pub'), 'utf8')).split(' ').slice(0, 2).join(' ');
    await writeFile(join(dir, 'known_hosts'), `${host} ${hostPublic}\n`);
    await writeFile(join(dir, 'wrong_known_hosts'), `${host} ${otherPublic}\n`);

    await run('ip', ['netns', 'add', namespace], { timeoutMs: 10_000 });
    namespaceMade = true;
    await run('ip', ['link', 'add', hostInterface, 'type', 'veth', 'peer', 'name', namespaceInterface, 'netns', namespace], { timeoutMs: 10_000 });
    await run('ip', ['addr', 'add', `${subnet}.1/30`, 'dev', hostInterface], { timeoutMs: 10_000 });
    await run('ip', ['link', 'set', hostInterface, 'up'], { timeoutMs: 10_000 });
    await run('ip', ['-n', namespace, 'addr', 'add', `${host}/30`, 'dev', namespaceInterface], { timeoutMs: 10_000 });
    await run('ip', ['-n', namespace, 'link', 'set', namespaceInterface, 'up'], { timeoutMs: 10_000 });
    await run('ip', ['-n', namespace, 'link', 'set', 'lo', 'up'], { timeoutMs: 10_000 });

    await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
    const config = join(dir, 'sshd_config');
    await writeFile(
      config,
      [
        `ListenAddress ${host}:22`,
        `HostKey ${join(dir, 'host_key')}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        'PermitRootLogin prohibit-password',
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        // The keys live under /tmp, which is world-writable: StrictModes would refuse them.
        'StrictModes no',
        'LogLevel VERBOSE',
        '',
      ].join('\n'),
    );
    // `ip netns exec` execs sshd, so the PID we get is sshd's own.
    sshd = spawn('ip', ['netns', 'exec', namespace, '/usr/sbin/sshd', '-D', '-e', '-f', config], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    await waitForListening(sshd);
  } catch (e) {
    await stop();
    throw e;
  }

  return {
    namespace,
    host,
    port: 22,
    clientKey: join(dir, 'client_key'),
    otherKey: join(dir, 'other_key'),
    knownHosts: join(dir, 'known_hosts'),
    wrongKnownHosts: join(dir, 'wrong_known_hosts'),
    dir,
    stop,
  };
}

/** "10.254.x" with no address or route on this machine in it; the test uses .1 and .2 of its first /30. */
async function freeSubnet(): Promise<string> {
  const { stdout: addresses } = await run('ip', ['-4', '-o', 'addr', 'show'], { timeoutMs: 10_000 });
  const { stdout: routes } = await run('ip', ['-4', 'route', 'show'], { timeoutMs: 10_000 });
  for (let attempt = 0; attempt < 50; attempt++) {
    const subnet = `10.254.${randomInt(0, 256)}`;
    if (!addresses.includes(`${subnet}.`) && !routes.includes(`${subnet}.`)) return subnet;
  }
  throw new Error('no free 10.254.x.0/24 for the test sshd');
}

function waitForListening(sshd: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`sshd did not start listening within 10 s:\n${log}`)), 10_000);
    sshd.stderr!.on('data', (b: Buffer) => {
      log += b.toString();
      if (log.includes('Server listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    sshd.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`sshd exited (${code ?? signal}) before listening:\n${log}`));
    });
  });
}

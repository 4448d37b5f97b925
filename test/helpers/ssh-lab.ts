/**
 * Real OpenSSH servers for tests (the SSH CA tests, the capture tests).
 * One network namespace per lab (`berth-sshca-<pid>-<hex>`), reached over a
 * veth pair with a private /30; inside it, any number of sshd instances, each
 * on its own port with its own host key and, optionally, certificate, so each
 * case (good certificate, wrong principal, expired, other CA) can have a
 * server of its own. Nothing of the machine's own sshd setup is used.
 *
 * Each sshd is stopped by the PID we started; the namespace is deleted by
 * name, which takes the veth pair with it. /run/sshd (sshd's privilege
 * separation directory) is made if missing and left for other sshd instances.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/util/run.ts';

export interface SshLab {
  namespace: string;
  /** The address sshd listens on inside the namespace. */
  host: string;
  dir: string;
  /** Private key root may log in with (its public half is every server's authorized_keys). */
  clientKey: string;
  /** Starts an sshd on `port` serving `hostKey` (private key file) and, when given, `certificate` (the -cert.pub text). */
  startSshd(options: { port: number; hostKey: string; certificate?: string }): Promise<void>;
  /** Runs the real ssh client against `port`; `knownHosts` is the only known_hosts it reads. */
  ssh(options: { port: number; knownHosts: string; alias?: string }): Promise<{ code: number; stderr: string; stdout: string }>;
  stop(): Promise<void>;
}

export async function missingSshPrerequisite(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'needs root (ip netns, sshd)';
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

export async function startSshLab(): Promise<SshLab> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-sshca-'));
  const tag = randomBytes(3).toString('hex');
  const namespace = `berth-sshca-${process.pid}-${tag}`;
  const hostInterface = `bsca${tag}h`;
  const namespaceInterface = `bsca${tag}n`;
  const subnet = await freeSubnet();
  const host = `${subnet}.2`;
  const servers: ChildProcess[] = [];
  let namespaceMade = false;

  const stop = async () => {
    for (const sshd of servers) {
      if (sshd.pid !== undefined && sshd.exitCode === null && sshd.signalCode === null) {
        const exited = new Promise((resolve) => sshd.once('exit', resolve));
        process.kill(sshd.pid, 'SIGTERM');
        await exited;
      }
    }
    if (namespaceMade) await run('ip', ['netns', 'delete', namespace], { timeoutMs: 10_000 });
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'berth-test-client', '-f', join(dir, 'client_key')], { timeoutMs: 10_000 });
    await writeFile(join(dir, 'authorized_keys'), await readFile(join(dir, 'client_key.pub')), { mode: 0o600 });
    await run('ip', ['netns', 'add', namespace], { timeoutMs: 10_000 });
    namespaceMade = true;
    await run('ip', ['link', 'add', hostInterface, 'type', 'veth', 'peer', 'name', namespaceInterface, 'netns', namespace], { timeoutMs: 10_000 });
    await run('ip', ['addr', 'add', `${subnet}.1/30`, 'dev', hostInterface], { timeoutMs: 10_000 });
    await run('ip', ['link', 'set', hostInterface, 'up'], { timeoutMs: 10_000 });
    await run('ip', ['-n', namespace, 'addr', 'add', `${host}/30`, 'dev', namespaceInterface], { timeoutMs: 10_000 });
    await run('ip', ['-n', namespace, 'link', 'set', namespaceInterface, 'up'], { timeoutMs: 10_000 });
    await run('ip', ['-n', namespace, 'link', 'set', 'lo', 'up'], { timeoutMs: 10_000 });
    await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  } catch (e) {
    await stop();
    throw e;
  }

  return {
    namespace,
    host,
    dir,
    clientKey: join(dir, 'client_key'),
    async startSshd({ port, hostKey, certificate }) {
      const config = join(dir, `sshd_config.${port}`);
      const lines = [
        `ListenAddress ${host}:${port}`,
        `HostKey ${hostKey}`,
        `PidFile ${join(dir, `sshd.${port}.pid`)}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        'PermitRootLogin prohibit-password',
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        // Keys live under /tmp, which is world-writable: StrictModes would refuse them.
        'StrictModes no',
        'LogLevel VERBOSE',
      ];
      if (certificate !== undefined) {
        const certFile = join(dir, `host_cert.${port}.pub`);
        await writeFile(certFile, `${certificate}\n`);
        lines.push(`HostCertificate ${certFile}`);
      }
      await writeFile(config, `${lines.join('\n')}\n`);
      // `ip netns exec` execs sshd, so the PID we get is sshd's own.
      const sshd = spawn('ip', ['netns', 'exec', namespace, '/usr/sbin/sshd', '-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
      servers.push(sshd);
      await waitForListening(sshd);
    },
    async ssh({ port, knownHosts, alias }) {
      const file = join(dir, `known_hosts.${randomBytes(4).toString('hex')}`);
      await writeFile(file, knownHosts);
      const result = await run(
        'ssh',
        [
          '-F', '/dev/null',
          '-i', join(dir, 'client_key'),
          '-p', String(port),
          '-o', 'BatchMode=yes',
          '-o', 'IdentitiesOnly=yes',
          '-o', 'StrictHostKeyChecking=yes',
          '-o', `UserKnownHostsFile=${file}`,
          '-o', 'GlobalKnownHostsFile=/dev/null',
          '-o', 'HostKeyAlgorithms=ssh-ed25519-cert-v01@openssh.com',
          '-o', 'ConnectTimeout=10',
          ...(alias === undefined ? [] : ['-o', `HostKeyAlias=${alias}`]),
          `root@${host}`,
          'echo berth-ssh-ok',
        ],
        { timeoutMs: 30_000, allowedExitCodes: [0, 255] },
      );
      return { code: result.code, stdout: result.stdout, stderr: result.stderr };
    },
    stop,
  };
}

/** "10.253.x" with no address or route on this machine in it; the lab uses .1 and .2 of its first /30. */
async function freeSubnet(): Promise<string> {
  const { stdout: addresses } = await run('ip', ['-4', '-o', 'addr', 'show'], { timeoutMs: 10_000 });
  const { stdout: routes } = await run('ip', ['-4', 'route', 'show'], { timeoutMs: 10_000 });
  for (let attempt = 0; attempt < 50; attempt++) {
    const subnet = `10.253.${randomInt(0, 256)}`;
    if (!addresses.includes(`${subnet}.`) && !routes.includes(`${subnet}.`)) return subnet;
  }
  throw new Error('no free 10.253.x.0/24 for the test sshd');
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

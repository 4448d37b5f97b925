/**
 * `berth image exec` and `berth image shell`: run a command inside an image
 * tree in new mount, PID, UTS and IPC namespaces, with private /proc, /sys,
 * /dev (and /dev/pts), a tmpfs /run and the host's resolv.conf read-only.
 *
 * Why namespaces rather than a plain chroot: package scripts start daemons,
 * mount things and set the hostname. In a PID namespace every process dies
 * with the command, in a mount namespace every mount dies with it too, and
 * the UTS namespace keeps `hostname` from renaming the server.
 *
 * The command's exit status is the caller's exit status, unchanged: a build
 * that lost apt's failure would publish a half-installed image. Exit 125 is
 * the namespace set-up failing before the command ran.
 */
import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { BerthError } from '../../errors.ts';
import { NAMESPACE_SCRIPT } from './namespace-script.ts';

export interface NamespaceExecOptions {
  root: string;
  /** The hostname inside (UTS namespace); the image name by default. */
  hostname: string;
  command: string[];
  /** 'inherit' for interactive use; 'pipe' collects output (for berth's own steps). */
  stdio?: 'inherit' | 'pipe';
  /** Host resolver to mount read-only; /etc/resolv.conf by default. */
  resolvConf?: string;
  /** apt's front end inside: noninteractive for berth's own steps. */
  debianFrontend?: 'noninteractive' | 'dialog' | 'readline';
}

export interface NamespaceExecResult {
  code: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export async function namespaceExec(options: NamespaceExecOptions): Promise<NamespaceExecResult> {
  const st = await stat(options.root).catch(() => undefined);
  if (!st?.isDirectory()) throw new BerthError('BERTH_NOT_FOUND', `image tree ${options.root} does not exist`);
  if (options.command.length === 0) throw new BerthError('BERTH_BAD_INPUT', 'no command to run in the image');
  if (process.getuid?.() !== 0) throw new BerthError('BERTH_FORBIDDEN', 'running commands in an image needs root (namespaces, mounts and chroot)');
  const args = [
    '--mount', '--uts', '--ipc', '--pid', '--fork', '--propagation', 'private',
    '--', '/bin/sh', '-c', NAMESPACE_SCRIPT, 'berth-image-exec',
    options.root, options.hostname, options.resolvConf ?? '/etc/resolv.conf', ...options.command,
  ];
  const piped = options.stdio === 'pipe';
  const child = spawn('unshare', args, {
    stdio: piped ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    env: {
      PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
      BERTH_TERM: process.env['TERM'] ?? 'dumb',
      BERTH_DEBIAN_FRONTEND: options.debianFrontend ?? (piped || !process.stdin.isTTY ? 'noninteractive' : 'dialog'),
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => (stdout = (stdout + c).slice(-1_000_000)));
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (stderr = (stderr + c).slice(-1_000_000)));
  // While a command runs interactively, Ctrl-C belongs to it, not to berth.
  const ignore = () => {};
  if (!piped) process.on('SIGINT', ignore);
  try {
    return await new Promise((resolve, reject) => {
      child.once('error', (e) => reject(new BerthError('BERTH_SUBPROCESS', `cannot start unshare (util-linux): ${e.message}`)));
      child.once('close', (code, signal) => resolve({ code: code ?? 128 + signalNumber(signal), signal, stdout, stderr }));
    });
  } finally {
    if (!piped) process.off('SIGINT', ignore);
  }
}

/** Runs a step of berth's own inside the tree and throws with its output if it fails. */
export async function namespaceRun(root: string, hostname: string, command: string[]): Promise<string> {
  const result = await namespaceExec({ root, hostname, command, stdio: 'pipe' });
  if (result.code !== 0) {
    const tail = (result.stderr || result.stdout).trimEnd().split('\n').slice(-20).join('\n');
    throw new BerthError('BERTH_SUBPROCESS', `'${command.join(' ')}' failed inside image ${hostname} with exit code ${result.code}:\n${tail}`);
  }
  return result.stdout;
}

function signalNumber(signal: NodeJS.Signals | null): number {
  if (!signal) return 0;
  const { signals } = process.getBuiltinModule('node:os').constants;
  return (signals as Record<string, number>)[signal] ?? 0;
}

/**
 * Moves the node's tree to a local directory: `ssh node tar --create` piped
 * into a local `tar --extract`.
 *
 * Why tar over ssh and not rsync: GNU tar is Essential in Debian, so it is on
 * every node, while rsync is often missing from minimal installs and would
 * have to be on both ends. One tar stream keeps hard links, sparse files
 * (SEEK_HOLE), xattrs (file capabilities such as ping's cap_net_raw live in
 * security.capability) and ACLs, with numeric owners so no name is mapped
 * through the server's /etc/passwd. rsync's strengths (resuming, deltas
 * against an older copy) do not help a capture into an empty directory, and
 * its -H on a whole root filesystem costs memory per inode.
 *
 * Exit statuses: ssh returns the remote tar's status, or 255 for its own
 * failures. GNU tar's status 1 when creating means "a file changed while it
 * was read", which on a running node is normal (a log was appended to); the
 * capture succeeds and the lines are returned as warnings. Anything else from
 * either side fails the capture with both sides' stderr tails: BERTH_NO_SPACE
 * when the local disk filled up, BERTH_SUBPROCESS otherwise.
 *
 * Extraction safety: the archive comes from the node, which may not deserve
 * trust. GNU tar strips leading "/" and refuses ".." members, and creates
 * symlinks that point outside the tree only after all files are written, so
 * an archive cannot write through its own symlinks onto the server.
 *
 * Both children get their own process group (as in util/run.ts) so timeout
 * and abort can stop each with everything it started.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { pipeline } from 'node:stream/promises';
import { BerthError } from '../../errors.ts';
import { escapeTarPattern, tarExcludeArgs } from './capture-exclusions.ts';
import { describeSource, describeTarget, sshArgs } from './ssh-command.ts';
import type { SshTarget } from './ssh-command.ts';

export interface TransferOptions {
  target: SshTarget;
  /** Directory on the node. */
  sourceRoot: string;
  /** Image-path patterns (capture-exclusions.ts). */
  excludes: string[];
  /** Existing, empty local directory. */
  into: string;
  /** Epoch milliseconds after which both sides are killed. */
  deadline?: number;
  signal?: AbortSignal;
}

export interface TransferResult {
  /** stderr lines of a transfer that succeeded ("file changed as we read it", "socket ignored"). */
  warnings: string[];
}

/** Enough stderr to explain a failure; a chatty tar cannot grow memory without bound. */
const stderrKeepBytes = 64 * 1024;
const stderrTailLines = 15;
const killGraceMs = 2000;
const maxWarnings = 50;

/** The tar flags both sides share, so what is written is what is read back. */
const metadataFlags = ['--numeric-owner', '--xattrs', '--xattrs-include=*', '--acls'];

export function remoteTarArgv(sourceRoot: string, excludes: string[]): string[] {
  // LC_ALL=C: stderr is quoted to people and matched by nobody, but a fixed
  // language keeps it the same in every log. `env` works in any login shell.
  return ['env', 'LC_ALL=C', 'tar', '--create', '--file=-', `--directory=${sourceRoot}`, ...metadataFlags, '--sparse', ...tarExcludeArgs(excludes), '.'];
}

export function localTarArgs(into: string): string[] {
  return ['--extract', '--file=-', `--directory=${into}`, '--preserve-permissions', '--same-owner', ...metadataFlags];
}

interface Side {
  label: string;
  child: ChildProcess;
  stderr: StderrTail;
  done: Promise<void>;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  spawnError?: Error;
}

export async function transferTree(options: TransferOptions): Promise<TransferResult> {
  const where = describeSource(options.target, options.sourceRoot);
  const sshArgv = sshArgs(options.target, remoteTarArgv(options.sourceRoot, options.excludes));
  const tarArgv = localTarArgs(options.into);

  // The labels name what each side did, not its whole command line: the
  // exclusion list alone is a screenful. The patterns are in `excluded`.
  const ssh = startSide(`ssh ${describeTarget(options.target)} (tar --create on the node)`, 'ssh', sshArgv, ['ignore', 'pipe', 'pipe']);
  const tar = startSide(`local tar --extract into ${options.into}`, 'tar', tarArgv, ['pipe', 'ignore', 'pipe']);
  // Errors of the pipe itself (EPIPE when tar died) are not the story; the exit statuses are.
  pipeline(ssh.child.stdout!, tar.child.stdin!).catch(() => {});

  let stopped: 'timeout' | 'abort' | undefined;
  const stopBoth = (why: 'timeout' | 'abort') => {
    if (stopped !== undefined) return;
    stopped = why;
    for (const side of [ssh, tar]) stopSide(side);
  };
  const timer =
    options.deadline !== undefined ? setTimeout(() => stopBoth('timeout'), Math.max(0, options.deadline - Date.now())) : undefined;
  const onAbort = () => stopBoth('abort');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();

  // A local tar that failed (disk full, say) makes the rest of the stream
  // pointless; whatever ssh then reports is a consequence, not a cause.
  let sshStoppedForTar = false;
  tar.done.then(() => {
    if (tar.exitCode !== 0 && ssh.exitCode === null && ssh.signal === null) {
      sshStoppedForTar = true;
      stopSide(ssh);
    }
  });

  try {
    await Promise.all([ssh.done, tar.done]);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }

  if (stopped === 'abort') {
    options.signal!.throwIfAborted();
  }
  if (stopped === 'timeout') {
    throw new BerthError(
      'BERTH_SUBPROCESS',
      `capture of ${where} did not finish in time and was stopped; nothing was kept. Raise the timeout for large trees or slow links.`,
    );
  }

  const sshOk = ssh.spawnError === undefined && (ssh.exitCode === 0 || ssh.exitCode === 1);
  const tarOk = tar.spawnError === undefined && tar.exitCode === 0;
  if (sshOk && tarOk) {
    const lines = [...ssh.stderr.lines().filter((l) => !isNoise(l, options.excludes)), ...tar.stderr.lines().map((l) => `local: ${l}`)];
    const warnings = lines.slice(0, maxWarnings);
    if (lines.length > maxWarnings) warnings.push(`... and ${lines.length - maxWarnings} more`);
    return { warnings };
  }

  const parts = [`capture of ${where} failed; nothing was kept.`];
  if (!tarOk) parts.push(describeSide(tar));
  if (sshStoppedForTar) {
    parts.push('ssh was stopped after the local tar failed.');
  } else if (!sshOk) {
    const hint =
      ssh.exitCode === 255
        ? ' (ssh could not connect or log in, or lost the connection)'
        : ssh.exitCode !== null && ssh.exitCode >= 2
          ? ' (the tar on the node failed; capturing / needs user root)'
          : '';
    parts.push(describeSide(ssh) + hint);
  }
  // GNU tar reports a full disk as ENOSPC, or as a short write ("Wrote only 9216 of 10240 bytes").
  const diskFull = !tarOk && tar.stderr.lines().some((l) => /No space left on device|Wrote only \d+ of \d+ bytes/.test(l));
  throw new BerthError(diskFull ? 'BERTH_NO_SPACE' : 'BERTH_SUBPROCESS', parts.join('\n'));
}

/**
 * "file changed as we read it" about a directory whose contents are excluded
 * (./sys, ./run: their mount's root changes all the time) says nothing about
 * the captured tree.
 */
function isNoise(line: string, excludes: string[]): boolean {
  const changed = /^tar: \.(\/.*): file changed as we read it$/.exec(line);
  return changed !== null && excludes.includes(`${escapeTarPattern(changed[1]!)}/*`);
}

function startSide(label: string, command: string, args: string[], stdio: ['ignore' | 'pipe', 'ignore' | 'pipe', 'pipe']): Side {
  const child = spawn(command, args, { stdio, detached: true, shell: false });
  const side: Side = { label, child, stderr: new StderrTail(), done: Promise.resolve(), exitCode: null, signal: null };
  child.stderr!.on('data', (b: Buffer) => side.stderr.push(b));
  side.done = new Promise<void>((resolve) => {
    child.on('error', (e) => {
      side.spawnError = e;
      // A child that never started emits no 'close'.
      if (child.pid === undefined) resolve();
    });
    child.on('close', (code, signal) => {
      side.exitCode = code;
      side.signal = signal;
      resolve();
    });
  });
  return side;
}

function stopSide(side: Side): void {
  const pid = side.child.pid;
  if (pid === undefined || side.exitCode !== null || side.signal !== null) return;
  killGroup(pid, 'SIGTERM');
  const grace = setTimeout(() => killGroup(pid, 'SIGKILL'), killGraceMs);
  side.done.then(() => clearTimeout(grace));
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: already gone.
  }
}

function describeSide(side: Side): string {
  let how: string;
  if (side.spawnError !== undefined) how = `could not start: ${side.spawnError.message}`;
  else if (side.signal !== null) how = `was killed by ${side.signal}`;
  else how = `exited with code ${side.exitCode}`;
  const tail = side.stderr.lines().slice(-stderrTailLines);
  return `${side.label} ${how}` + (tail.length > 0 ? `\n${tail.map((l) => `  ${l}`).join('\n')}` : '');
}

/** The last `stderrKeepBytes` of a stream, as lines. */
class StderrTail {
  #chunks: Buffer[] = [];
  #size = 0;
  #dropped = false;

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    while (this.#size > stderrKeepBytes && this.#chunks.length > 1) {
      this.#size -= this.#chunks.shift()!.length;
      this.#dropped = true;
    }
  }

  lines(): string[] {
    const lines = Buffer.concat(this.#chunks).toString('utf8').split('\n').filter((l) => l.trim() !== '');
    // The first line after dropping is likely cut in the middle.
    return this.#dropped ? lines.slice(1) : lines;
  }
}

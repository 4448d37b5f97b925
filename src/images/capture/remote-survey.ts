/**
 * One short ssh round trip before any byte of the tree moves: it proves the
 * connection and the login work, that the source root exists, that the node
 * has GNU tar (the transfer relies on its --xattrs, --acls and --sparse), and
 * reads the node's /proc/swaps and /proc/mounts so the exclusions can cover
 * swap files and filesystems that are not part of the installed system
 * (tmpfs, NFS homes, snap squashfs, ...) wherever they are mounted.
 *
 * A failure here leaves nothing on the server's disk: the partial directory
 * is only made after the survey passes.
 */
import { BerthError } from '../../errors.ts';
import { run, SubprocessError } from '../../util/run.ts';
import { describeSource, describeTarget, sshArgs } from './ssh-command.ts';
import type { SshTarget } from './ssh-command.ts';

export interface RemoteMount {
  /** Absolute path on the node. */
  path: string;
  type: string;
}

export interface RemoteSurvey {
  /** The source root with symlinks resolved (`pwd -P`), which is how /proc/mounts names paths. */
  physicalRoot: string;
  /** First line of `tar --version`, e.g. "tar (GNU tar) 1.34". */
  tarVersion: string;
  /** Active swap files (not partitions), absolute paths on the node. */
  swapFiles: string[];
  mounts: RemoteMount[];
}

/** Exit status of the survey script when the source root cannot be entered. */
const noSourceRootStatus = 3;

/**
 * POSIX sh, one line, run as `sh -c <script> berth-survey <root>` so it
 * means the same whatever the remote user's login shell is. Markers split
 * the output; the values after them are the kernel's own escaped formats.
 */
const surveyScript = [
  `cd -- "$1" 2>/dev/null || { echo "source root $1 does not exist or is not a directory" >&2; exit ${noSourceRootStatus}; }`,
  'echo "root=$(pwd -P)"',
  'echo "tar=$(tar --version 2>/dev/null | head -n 1)"',
  'echo @swaps',
  'cat /proc/swaps 2>/dev/null',
  'echo @mounts',
  'cat /proc/mounts 2>/dev/null',
].join('; ');

export async function surveyRemote(target: SshTarget, sourceRoot: string, timeoutMs: number): Promise<RemoteSurvey> {
  const args = sshArgs(target, ['sh', '-c', surveyScript, 'berth-survey', sourceRoot]);
  let stdout: string;
  try {
    ({ stdout } = await run('ssh', args, { timeoutMs }));
  } catch (e) {
    throw surveyError(e, target, sourceRoot, timeoutMs);
  }
  const survey = parseSurvey(stdout);
  if (!/\bGNU tar\b/.test(survey.tarVersion)) {
    throw new BerthError(
      'BERTH_UNAVAILABLE',
      `${describeTarget(target)} has no GNU tar (tar --version said ${JSON.stringify(survey.tarVersion || 'nothing')}); ` +
        'capture needs GNU tar on the node for xattrs, ACLs and sparse files (Debian: apt-get install tar)',
    );
  }
  return survey;
}

function surveyError(e: unknown, target: SshTarget, sourceRoot: string, timeoutMs: number): BerthError {
  if (!(e instanceof SubprocessError)) return e as BerthError;
  const where = describeTarget(target);
  const tail = e.stderr.trim();
  if (e.exitCode === noSourceRootStatus) {
    return new BerthError('BERTH_NOT_FOUND', `cannot capture ${describeSource(target, sourceRoot)}: ${tail || 'no such directory'}`);
  }
  if (e.timedOut) {
    return new BerthError('BERTH_SUBPROCESS', `ssh to ${where} did not finish logging in within ${timeoutMs} ms; is the node up and sshd answering?`);
  }
  // 255 is ssh's own failure (connect, host key, login); anything else came from the remote shell.
  const cause = e.exitCode === 255 ? sshFailureCause(tail) : `the remote shell failed (exit ${e.exitCode ?? e.signal})`;
  const quoted = tail ? `\n  ${tail.split('\n').slice(-10).join('\n  ')}` : '';
  return new BerthError('BERTH_SUBPROCESS', `ssh to ${where} failed: ${cause}${quoted}`);
}

/** What to check, from ssh's own words; exported for tests. */
export function sshFailureCause(stderr: string): string {
  if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/.test(stderr)) {
    return "the node's host key is not the one the known hosts file holds for it (or is not in it at all)";
  }
  if (/Permission denied/.test(stderr)) {
    return "the node refused the login; the identity file's public key must be in the node's authorized_keys for this user";
  }
  if (/Could not resolve hostname/.test(stderr)) return 'the host name does not resolve';
  if (/Connection refused|Connection timed out|No route to host|Network is unreachable/.test(stderr)) {
    return 'could not connect; check the address and port, and that sshd runs on the node';
  }
  return 'could not connect or log in';
}

/** Parses the survey script's output. Exported for tests. */
export function parseSurvey(stdout: string): RemoteSurvey {
  const lines = stdout.split('\n');
  const value = (prefix: string) => lines.find((l) => l.startsWith(prefix))?.slice(prefix.length) ?? '';
  const swapsAt = lines.indexOf('@swaps');
  const mountsAt = lines.indexOf('@mounts');
  if (swapsAt < 0 || mountsAt < swapsAt || !lines.some((l) => l.startsWith('root=/'))) {
    throw new BerthError('BERTH_SUBPROCESS', `the node's answer to the capture survey is not what berth sent for:\n${stdout.slice(0, 2000)}`);
  }
  return {
    physicalRoot: value('root='),
    tarVersion: value('tar='),
    swapFiles: parseSwaps(lines.slice(swapsAt + 1, mountsAt)),
    mounts: parseMounts(lines.slice(mountsAt + 1)),
  };
}

/** /proc/swaps: a header, then "Filename Type Size Used Priority"; only type "file" lives in a filesystem. */
export function parseSwaps(lines: string[]): string[] {
  const files: string[] = [];
  for (const line of lines.slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length >= 2 && fields[1] === 'file') files.push(decodeProcPath(fields[0]!));
  }
  return files;
}

/** /proc/mounts: "device path type options 0 0". */
export function parseMounts(lines: string[]): RemoteMount[] {
  const mounts: RemoteMount[] = [];
  for (const line of lines) {
    const fields = line.split(' ');
    if (fields.length >= 3 && fields[1]!.startsWith('/')) mounts.push({ path: decodeProcPath(fields[1]!), type: fields[2]! });
  }
  return mounts;
}

/** The kernel writes space, tab, newline and backslash in paths as \040, \011, \012 and \134. */
export function decodeProcPath(escaped: string): string {
  return escaped.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/**
 * The `ssh` command line for reaching the node being captured, and the one way
 * a remote command is written onto it.
 *
 * ssh does not pass an argument vector to the remote side: it joins the words
 * after the destination with spaces and the remote login shell parses the
 * result. So every remote word is shell-quoted here (the same quoting `run`
 * uses to print a reproducible command line), and the remote command is
 * handed to ssh as one argument. Callers keep newlines out of remote words
 * (capture-tree.ts refuses them), so the command stays on one line, which
 * POSIX shells, bash, zsh and csh all parse the same way.
 *
 * Option order matters: ssh keeps the *first* value it sees for an option, so
 * the caller's `sshOptions` come before berth's defaults and win over them.
 */
import { BerthError } from '../../errors.ts';
import { formatCommandLine } from '../../util/run.ts';

export interface SshTarget {
  /** Address or name to ssh to. */
  host: string;
  /** Default root: capturing a whole root filesystem needs to read every file. */
  user?: string;
  /** Default 22. */
  port?: number;
  /** `ssh -i`; with it, only this key is offered (IdentitiesOnly), not every key in an agent. */
  identityFile?: string;
  /**
   * Pins the node's host key: StrictHostKeyChecking=yes against exactly this
   * file. Without it the user's ssh configuration decides, and in BatchMode an
   * unknown host key fails rather than prompts; pass
   * `sshOptions: ['StrictHostKeyChecking=accept-new', 'UserKnownHostsFile=<file>']`
   * to trust a node on first use.
   */
  knownHostsFile?: string;
  /** Extra `-o` options, `Name=value`; they override berth's defaults below. */
  sshOptions?: string[];
}

/**
 * berth's defaults. BatchMode: never prompt (a password prompt would hang a
 * server-side capture forever). ServerAlive: a node that dies mid-transfer
 * fails the capture within a minute instead of hanging it. LogLevel=ERROR:
 * "Permanently added ... to the list of known hosts" is not a problem worth
 * an error message line.
 */
const defaultOptions = [
  'BatchMode=yes',
  'ConnectTimeout=20',
  'ServerAliveInterval=15',
  'ServerAliveCountMax=4',
  'LogLevel=ERROR',
];

/** Host names, IPv4, IPv6 (with %zone); nothing ssh could read as an option or a user@. */
const hostPattern = /^[A-Za-z0-9_.:%-]+$/;
const optionPattern = /^[A-Za-z][A-Za-z0-9]*[= ]\S/;
const userPattern = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*\$?$/;

/** "root@node1", or "root@node1 (port 2222)", for messages. */
export function describeTarget(target: SshTarget): string {
  return `${target.user ?? 'root'}@${target.host}${portNote(target)}`;
}

/** "root@node1:/srv/chroot", scp-style, for messages about what is captured. */
export function describeSource(target: SshTarget, sourceRoot: string): string {
  return `${target.user ?? 'root'}@${target.host}:${sourceRoot}${portNote(target)}`;
}

function portNote(target: SshTarget): string {
  return target.port !== undefined && target.port !== 22 ? ` (port ${target.port})` : '';
}

/** Refuses what ssh would misread; BERTH_BAD_INPUT says which field. */
export function validateTarget(target: SshTarget): void {
  if (!hostPattern.test(target.host) || target.host.startsWith('-')) {
    throw new BerthError(
      'BERTH_BAD_INPUT',
      `ssh host ${JSON.stringify(target.host)} is not a host name or address (letters, digits, ".", ":", "-", "_", "%"; not starting with "-")`,
    );
  }
  if (target.user !== undefined && !userPattern.test(target.user)) {
    throw new BerthError('BERTH_BAD_INPUT', `ssh user ${JSON.stringify(target.user)} is not a valid user name`);
  }
  if (target.port !== undefined && !(Number.isInteger(target.port) && target.port >= 1 && target.port <= 65535)) {
    throw new BerthError('BERTH_BAD_INPUT', `ssh port ${target.port} is not a port number (1-65535)`);
  }
  for (const option of target.sshOptions ?? []) {
    if (!optionPattern.test(option)) {
      throw new BerthError(
        'BERTH_BAD_INPUT',
        `ssh option ${JSON.stringify(option)} is not of the form Name=value (as given to ssh -o)`,
      );
    }
  }
}

/** ssh's arguments (without "ssh") to run `remoteArgv` on the target. */
export function sshArgs(target: SshTarget, remoteArgv: string[]): string[] {
  validateTarget(target);
  const args = ['-T', '-e', 'none'];
  for (const option of target.sshOptions ?? []) args.push('-o', option);
  if (target.knownHostsFile !== undefined) {
    args.push('-o', `UserKnownHostsFile=${target.knownHostsFile}`, '-o', 'StrictHostKeyChecking=yes');
  }
  if (target.identityFile !== undefined) {
    args.push('-i', target.identityFile, '-o', 'IdentitiesOnly=yes');
  }
  for (const option of defaultOptions) args.push('-o', option);
  args.push('-p', String(target.port ?? 22), '-l', target.user ?? 'root', '--', target.host);
  args.push(remoteCommand(remoteArgv));
  return args;
}

/** One line the remote shell splits back into exactly `argv`. */
export function remoteCommand(argv: string[]): string {
  return formatCommandLine(argv);
}

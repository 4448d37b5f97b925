/**
 * A TPM 2.0 for a lab VM: swtpm (the software TPM QEMU's `-tpmdev emulator`
 * talks to) on a unix control socket, its state in a directory of its own.
 *
 * - One swtpm per VM boot: QEMU sends it CMD_SHUTDOWN when the VM ends, and
 *   swtpm exits then; the next boot starts a new one on the same state
 *   directory. That is a power cycle: PCRs back to zero, persistent objects
 *   (a sealed node key) kept, as on a real machine.
 * - The state directory belongs to the node, not to the boot, and lives in
 *   the lab's directory, so it goes away with the lab.
 * - It runs through the lab namespace's spawn, so it is recorded in the lab's
 *   state file and stopped by `lab.down()` or `berth lab down` even when
 *   QEMU was killed before it could tell swtpm to exit.
 */
import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { BerthError } from '../errors.ts';
import type { LabNamespace } from './namespace.ts';

export interface SwtpmOptions {
  /** For logs and the process record: "swtpm <name>". */
  name: string;
  /** Kept between boots of the same node: the TPM's NVRAM and persistent objects. */
  stateDir: string;
  /** The control socket QEMU connects to (VmOptions.tpm.socket). */
  socket: string;
  /** swtpm's own log. */
  logFile: string;
  namespace: LabNamespace;
  /** How long to wait for the socket; default 10 s. */
  timeoutMs?: number;
}

export interface SwtpmHandle {
  readonly name: string;
  readonly pid: number;
  readonly socket: string;
  readonly stateDir: string;
  /** Settles when swtpm ends (normally when its VM does). */
  readonly exited: Promise<void>;
  /** SIGTERM (swtpm saves its state and exits), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** swtpm's command line. Pure, so it can be tested without starting it. */
export function swtpmArgs(options: Pick<SwtpmOptions, 'stateDir' | 'socket' | 'logFile'>): string[] {
  return [
    'socket', '--tpm2',
    '--tpmstate', `dir=${swtpmOptionValue(options.stateDir)}`,
    '--ctrl', `type=unixio,path=${swtpmOptionValue(options.socket)}`,
    '--log', `file=${swtpmOptionValue(options.logFile)},level=1`,
  ];
}

/** swtpm's `key=value,...` options, like QEMU's, take a comma in a value written twice. */
function swtpmOptionValue(value: string): string {
  return value.replaceAll(',', ',,');
}

export async function startSwtpm(options: SwtpmOptions): Promise<SwtpmHandle> {
  mkdirSync(options.stateDir, { recursive: true, mode: 0o700 });
  // A socket left by a swtpm that was killed would make QEMU connect to nothing.
  rmSync(options.socket, { force: true });
  closeSync(openSync(options.logFile, 'a'));
  const child: ChildProcess = options.namespace.spawn('swtpm', swtpmArgs(options), { label: `swtpm ${options.name}`, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 10_000) stderr += chunk.toString('utf8');
  });
  let ended = false;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  void exited.then(() => {
    ended = true;
  });
  const failed = async (why: string) => {
    child.kill('SIGKILL');
    const log = (await readFile(options.logFile, 'utf8').catch(() => '')).trim().split('\n').slice(-10).join('\n');
    return new BerthError('BERTH_SUBPROCESS', `swtpm for ${options.name} ${why}: ${stderr.trim() || log || 'no output'} (state ${options.stateDir}, log ${options.logFile})`, { node: options.name });
  };
  if (child.pid === undefined) {
    await exited;
    throw await failed('could not be started (is the swtpm package installed?)');
  }
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  while (!existsSync(options.socket)) {
    if (ended) throw await failed('ended before it listened');
    if (Date.now() > deadline) throw await failed(`did not create ${options.socket}`);
    await sleep(50);
  }
  return {
    name: options.name,
    pid: child.pid,
    socket: options.socket,
    stateDir: options.stateDir,
    exited,
    async stop(graceMs = 5000) {
      if (ended) return;
      child.kill('SIGTERM');
      if (await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)])) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * What an end-to-end test does with a berth lab (src/lab/berth-lab.ts), in
 * one place: the real CLI against the lab's berth (its socket, and its state
 * dir for local commands such as `image pack`), a node's deployment state and
 * timeline, waiting for a condition with the timeline (and the console) in
 * the failure, SSH into a booted node trusted by the @cert-authority line
 * alone, and the node's iPXE script as its firmware fetches it.
 *
 * The session is made when the describe block is, so a test can take
 * `cli`, `ok`, `waitFor`, `ssh` from it at once; `start` (in before()) brings
 * the lab up and binds them to it. Every function is a plain closure, safe to
 * destructure.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { SpawnSyncReturns } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBerthLab } from '../../src/lab/berth-lab.ts';
import type { BerthLab, BerthLabOptions } from '../../src/lab/berth-lab.ts';
import type { VmHandle } from '../../src/lab/vm.ts';
import { runBerth, succeeded } from './daemon.ts';
import type { CliResult } from './daemon.ts';
import { sshKeyPair } from './ssh-key.ts';

/** One entry of `berth node timeline --json`. */
export interface TimelineEvent {
  time: string;
  source: string;
  step: string;
  detail?: Record<string, unknown>;
}

export interface LabSessionOptions {
  /** The node the test is about: `state()` and `timeline()` default to it, and a `waitFor` timeout prints its timeline. */
  node?: string;
  /** Its address on the lab network, for `ssh` (the lab gives node n 10.99.0.(n+10)); default 10.99.0.11. */
  address?: string;
  /** How often `waitFor` probes; default 3 s. */
  pollMs?: number;
  /** How many lines of the console a `waitFor` timeout shows when it is given the VM; default 40. */
  consoleLines?: number;
}

export interface LabSession {
  /** Brings the lab up (startBerthLab) and binds the session to it. */
  start(options: BerthLabOptions): Promise<BerthLab>;
  /** The real CLI against the lab's berth. */
  cli(args: string[]): CliResult;
  /** `cli` that must exit 0: its stdout. */
  ok(args: string[]): string;
  /** `ok` with --json, parsed. */
  json(args: string[]): any;
  /** The node's row of `berth deploy status --json`. */
  state(node?: string): any;
  /** The node's events, oldest first. */
  timeline(node?: string): TimelineEvent[];
  /**
   * Probes every `pollMs` until `probe` gives something other than false or
   * undefined, and returns it; past `timeoutMs` it fails, with the node's
   * timeline and, given the VM, the end of its console.
   */
  waitFor<T>(what: string, probe: () => T | false | undefined, timeoutMs: number, vm?: VmHandle): Promise<T>;
  /** The last `consoleLines` lines of the VM's console ('' without a VM). */
  consoleTail(vm?: VmHandle): string;
  /** Makes the administrator's key pair in the lab dir (what `ssh` logs in with); returns the public key line for ssh.admin_keys. */
  adminKey(): string;
  /** Writes `berth ssh known-hosts` (the @cert-authority line) as the only known_hosts `ssh` reads. */
  writeKnownHosts(): void;
  /** Runs `command` on the node as root over SSH from inside the lab network. */
  ssh(command: string, timeoutMs?: number): SpawnSyncReturns<string>;
  /** The iPXE script of lab machine `index`, fetched as its firmware would. */
  ipxeScript(index?: number): string;
  /** Writes an executable script into a profile's folder (post.d, firstboot.d...). */
  profileScript(profile: string, folder: string, name: string, text: string): void;
}

export function labSession(options: LabSessionOptions = {}): LabSession {
  let current: BerthLab | undefined;
  let env: Record<string, string> = {};
  const pollMs = options.pollMs ?? 3000;
  const consoleLines = options.consoleLines ?? 40;
  const address = options.address ?? '10.99.0.11';
  const lab = (): BerthLab => {
    if (!current) throw new Error('the lab session has not started: call start() in before()');
    return current;
  };
  const nodeOf = (node: string | undefined): string => {
    const name = node ?? options.node;
    if (name === undefined) throw new Error('no node given, and the lab session has none');
    return name;
  };
  const cli = (args: string[]) => runBerth(args, env);
  const ok = (args: string[]) => succeeded(args, cli(args));
  const consoleTail = (vm?: VmHandle) => (vm ? readFileSync(vm.consoleLog, 'utf8').split('\n').slice(-consoleLines).join('\n') : '');

  return {
    async start(labOptions) {
      current = await startBerthLab(labOptions);
      env = { ...current.cliEnv, BERTH_STATE_DIR: current.stateDir };
      return current;
    },
    cli,
    ok,
    json: (args) => JSON.parse(ok([...args, '--json'])),
    state: (node) => JSON.parse(ok(['deploy', 'status', nodeOf(node), '--json']))[0],
    timeline: (node) => JSON.parse(ok(['node', 'timeline', nodeOf(node), '--json'])).events as TimelineEvent[],
    async waitFor(what, probe, timeoutMs, vm) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = probe();
        if (value !== false && value !== undefined) return value;
        if (Date.now() > deadline) {
          const timeline = options.node === undefined ? '' : `; timeline:\n${cli(['node', 'timeline', options.node]).stdout}`;
          throw new Error(`timed out waiting for ${what}${timeline}${vm ? `\nconsole:\n${consoleTail(vm)}` : ''}`);
        }
        await new Promise((r) => setTimeout(r, pollMs));
      }
    },
    consoleTail,
    adminKey: () => sshKeyPair(join(lab().lab.dir, 'admin-key')),
    writeKnownHosts: () => writeFileSync(join(lab().lab.dir, 'known_hosts'), ok(['ssh', 'known-hosts'])),
    ssh(command, timeoutMs = 120_000) {
      const { lab: l } = lab();
      return spawnSync(
        'ip',
        ['netns', 'exec', l.name, 'ssh', '-i', join(l.dir, 'admin-key'), '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${join(l.dir, 'known_hosts')}`, '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=30', `root@${address}`, command],
        { encoding: 'utf8', timeout: timeoutMs },
      );
    },
    ipxeScript(index = 0) {
      const berthLab = lab();
      const r = spawnSync('ip', ['netns', 'exec', berthLab.lab.name, 'curl', '--silent', '--fail', `http://${berthLab.serverAddress}:8080/boot/ipxe/${berthLab.lab.nodes[index]!.mac}`], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 0, `GET the iPXE script: ${r.stderr}`);
      return r.stdout;
    },
    profileScript(profile, folder, name, text) {
      const dir = join(lab().stateDir, 'profiles', profile, folder);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, name), text);
      chmodSync(join(dir, name), 0o755);
    },
  };
}

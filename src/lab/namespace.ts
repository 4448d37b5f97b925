/**
 * A lab network: one network namespace named by us, a bridge inside it with
 * an address (the "provisioning network" the VMs boot from), tap devices on
 * the bridge for the VMs, and optionally a veth pair to the host.
 *
 * Everything lives inside the namespace, so deleting the namespace removes the
 * bridge, the taps and the veth pair with it, and nothing on the host's own
 * network changes. Teardown touches only what a record says we made: the
 * namespace by name *and* inode (a namespace recreated under the same name is
 * someone else's), processes by PID *and* start time (process-record.ts).
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess, StdioOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, statSync } from 'node:fs';
import { BerthError } from '../errors.ts';
import type { Logger } from '../util/logger.ts';
import { nullLogger } from '../util/logger.ts';
import { run } from '../util/run.ts';
import { labNamePattern, namespacePrefix } from './paths.ts';
import { isRunning, killNow, processStartTime, terminate } from './process-record.ts';
import type { ProcessRecord } from './process-record.ts';

export interface NamespaceState {
  name: string;
  /** Inode of /run/netns/<name> when we made it: proves a namespace of that name is still ours. */
  inode: string;
  bridge: { name: string; address: string; address6?: string };
  taps: string[];
  hostLink?: { hostInterface: string; namespaceInterface: string; hostAddress?: string };
  processes: ProcessRecord[];
}

export interface CreateNamespaceOptions {
  /** The bridge's address and prefix; the VMs' DHCP server answers from it. Default 10.99.0.1/24. */
  bridgeAddress?: string;
  /**
   * An IPv6 address for the bridge too (e.g. fd99::1/64), so a service on it
   * can send router advertisements. iPXE (Debian 12's 2019 build) configures
   * IPv4 and IPv6 together and reports "ok" only when both are done: with no
   * router advertisement on the link it waits about 13 s for one on every boot.
   */
  bridgeAddress6?: string;
  logger?: Logger;
  /** Called whenever the state changes (a tap, a process started or ended), to persist it. */
  onChange?: (state: NamespaceState) => void;
}

export interface SpawnInNamespaceOptions {
  /** For people and the state file: "vm node1", "dnsmasq", "berth serve". */
  label?: string;
  /** Default: stdin ignored, stdout and stderr piped. Pass file descriptors to send output to files. */
  stdio?: StdioOptions;
  env?: Record<string, string>;
  cwd?: string;
}

export interface TeardownReport {
  namespace: string;
  namespaceDeleted: boolean;
  /** Processes we started that were still running and were stopped. */
  stopped: ProcessRecord[];
  /** PIDs still inside the namespace that we did not start: reported, never signalled. */
  foreignPids: number[];
  /** Why something was left alone, when it was. */
  refused?: string;
}

const bridgeName = 'br0';
const uplinkName = 'uplink';

export class LabNamespace {
  readonly name: string;
  readonly bridge: { name: string; address: string; address6?: string };
  readonly #inode: string;
  readonly #taps: string[] = [];
  #hostLink: NamespaceState['hostLink'];
  readonly #processes = new Map<number, ProcessRecord>();
  readonly #logger: Logger;
  readonly #onChange: ((state: NamespaceState) => void) | undefined;
  #destroyed = false;

  private constructor(name: string, inode: string, bridgeAddress: string, options: CreateNamespaceOptions) {
    this.name = name;
    this.#inode = inode;
    this.bridge = { name: bridgeName, address: bridgeAddress };
    if (options.bridgeAddress6 !== undefined) this.bridge.address6 = options.bridgeAddress6;
    this.#logger = options.logger ?? nullLogger();
    this.#onChange = options.onChange;
  }

  /** Makes a new namespace `berth-lab-<6 hex>` with its bridge up and addressed, and lo up. */
  static async create(options: CreateNamespaceOptions = {}): Promise<LabNamespace> {
    const bridgeAddress = options.bridgeAddress ?? '10.99.0.1/24';
    if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(bridgeAddress)) {
      throw new BerthError('BERTH_BAD_INPUT', `bridge address ${JSON.stringify(bridgeAddress)} is not an IPv4 address with a prefix like 10.99.0.1/24`, {
        attribute: 'bridgeAddress',
      });
    }
    const name = namespacePrefix + randomBytes(3).toString('hex');
    await run('ip', ['netns', 'add', name], { timeoutMs: 10_000 });
    const ns = new LabNamespace(name, namespaceInode(name)!, bridgeAddress, options);
    try {
      const inNs = (...args: string[]) => run('ip', ['-n', name, ...args], { timeoutMs: 10_000 });
      await inNs('link', 'set', 'lo', 'up');
      // No STP and no forwarding delay: a freshly attached VM port must forward
      // at once, or the firmware's first DHCP DISCOVERs are dropped.
      await inNs('link', 'add', bridgeName, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0');
      await inNs('addr', 'add', bridgeAddress, 'dev', bridgeName);
      // nodad: usable at once, rather than after duplicate address detection.
      if (options.bridgeAddress6 !== undefined) await inNs('addr', 'add', options.bridgeAddress6, 'dev', bridgeName, 'nodad');
      await inNs('link', 'set', bridgeName, 'up');
    } catch (e) {
      await ns.destroy().catch(() => {});
      throw e;
    }
    ns.#logger.info('lab namespace created', { namespace: name, bridge: bridgeAddress });
    ns.#changed();
    return ns;
  }

  /** Adds a tap device on the bridge, for one VM; returns its name (tap0, tap1...). */
  async addTap(name = `tap${this.#taps.length}`): Promise<string> {
    this.#assertLive();
    if (!/^[a-z][a-z0-9-]{0,14}$/.test(name)) {
      throw new BerthError('BERTH_BAD_INPUT', `tap name ${JSON.stringify(name)} is not a valid interface name (a-z, 0-9, -; 15 characters at most)`);
    }
    await run('ip', ['-n', this.name, 'tuntap', 'add', 'dev', name, 'mode', 'tap'], { timeoutMs: 10_000 });
    this.#taps.push(name);
    await run('ip', ['-n', this.name, 'link', 'set', name, 'master', bridgeName, 'up'], { timeoutMs: 10_000 });
    this.#changed();
    return name;
  }

  /**
   * Joins the bridge to the host with a veth pair, so the host can reach the
   * VMs (give it `hostAddress`, e.g. 10.99.0.254/24). The host end is named
   * `blab<suffix>`; it goes away with the namespace.
   */
  async addHostLink(options: { hostAddress?: string } = {}): Promise<{ hostInterface: string }> {
    this.#assertLive();
    if (this.#hostLink) return { hostInterface: this.#hostLink.hostInterface };
    const hostInterface = 'blab' + this.name.slice(namespacePrefix.length);
    await run('ip', ['link', 'add', hostInterface, 'type', 'veth', 'peer', 'name', uplinkName, 'netns', this.name], { timeoutMs: 10_000 });
    this.#hostLink = { hostInterface, namespaceInterface: uplinkName };
    if (options.hostAddress !== undefined) this.#hostLink.hostAddress = options.hostAddress;
    this.#changed();
    await run('ip', ['-n', this.name, 'link', 'set', uplinkName, 'master', bridgeName, 'up'], { timeoutMs: 10_000 });
    if (options.hostAddress !== undefined) await run('ip', ['addr', 'add', options.hostAddress, 'dev', hostInterface], { timeoutMs: 10_000 });
    await run('ip', ['link', 'set', hostInterface, 'up'], { timeoutMs: 10_000 });
    return { hostInterface };
  }

  /**
   * Starts `cmd args` inside the namespace (through `ip netns exec`, which
   * execs in place: the child's PID is the command's). The child leads its own
   * process group and is recorded until it exits, so teardown, the exit hooks
   * and `berth lab down` can stop it. This is the hook `berth lab up` uses to
   * run `berth serve` on the lab network.
   */
  spawn(cmd: string, args: string[], options: SpawnInNamespaceOptions = {}): ChildProcess {
    this.#assertLive();
    const command = [cmd, ...args];
    const child = spawn('ip', ['netns', 'exec', this.name, ...command], {
      stdio: options.stdio ?? ['ignore', 'pipe', 'pipe'],
      env: options.env ? { ...process.env, ...options.env } : process.env,
      cwd: options.cwd,
      detached: true,
    });
    const pid = child.pid;
    if (pid !== undefined) {
      const startTime = processStartTime(pid);
      if (startTime !== undefined) {
        const record: ProcessRecord = { pid, startTime, label: options.label ?? cmd, command };
        this.#processes.set(pid, record);
        this.#changed();
        child.once('exit', () => {
          this.#processes.delete(pid);
          this.#changed();
        });
      }
      this.#logger.debug('started in lab namespace', { namespace: this.name, pid, command });
    }
    return child;
  }

  state(): NamespaceState {
    const state: NamespaceState = {
      name: this.name,
      inode: this.#inode,
      bridge: { ...this.bridge },
      taps: [...this.#taps],
      processes: [...this.#processes.values()],
    };
    if (this.#hostLink) state.hostLink = { ...this.#hostLink };
    return state;
  }

  get destroyed(): boolean {
    return this.#destroyed;
  }

  /** Stops the processes it started, then deletes the namespace (and with it the bridge, taps and veth pair). */
  async destroy(options: { graceMs?: number } = {}): Promise<TeardownReport> {
    const state = this.state();
    this.#destroyed = true;
    const report = await destroyNamespace(state, { logger: this.#logger, ...options });
    this.#processes.clear();
    this.#changed();
    return report;
  }

  /** The synchronous last resort for process exit: SIGKILL and delete. */
  destroyImmediately(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    destroyNamespaceSync(this.state());
  }

  #changed(): void {
    try {
      this.#onChange?.(this.state());
    } catch (e) {
      this.#logger.warn('could not record lab state', { namespace: this.name, error: e as Error });
    }
  }

  #assertLive(): void {
    if (this.#destroyed) throw new BerthError('BERTH_CONFLICT', `lab namespace ${this.name} has been torn down`);
  }
}

/** Inode of the namespace's bind mount under /run/netns, or undefined when there is none. */
export function namespaceInode(name: string): string | undefined {
  try {
    return statSync(`/run/netns/${name}`, { bigint: true }).ino.toString();
  } catch {
    return undefined;
  }
}

/**
 * Tears down what `state` records, from a live handle or from a state file
 * left by a crashed run. Refuses (and says why in the report) to delete a
 * namespace whose name we would not have chosen or whose inode differs.
 */
export async function destroyNamespace(
  state: NamespaceState,
  options: { logger?: Logger; graceMs?: number } = {},
): Promise<TeardownReport> {
  const logger = options.logger ?? nullLogger();
  const report: TeardownReport = { namespace: state.name, namespaceDeleted: false, stopped: [], foreignPids: [] };
  if (!labNamePattern.test(state.name)) {
    report.refused = `${JSON.stringify(state.name)} is not a name berth's lab gives its namespaces (berth-lab-<6 hex digits>)`;
    return report;
  }
  const stops = state.processes.map(async (p) => {
    if (await terminate(p, options.graceMs)) report.stopped.push(p);
  });
  await Promise.all(stops);

  const inode = namespaceInode(state.name);
  if (inode !== undefined && inode !== state.inode) {
    report.refused = `namespace ${state.name} exists but is not the one this lab created (inode ${inode}, recorded ${state.inode})`;
    return report;
  }
  if (inode !== undefined) {
    const pids = await run('ip', ['netns', 'pids', state.name], { timeoutMs: 10_000 }).catch(() => ({ stdout: '' }));
    report.foreignPids = pids.stdout.split(/\s+/).filter(Boolean).map(Number);
    if (report.foreignPids.length > 0) {
      // Deleting only unmounts the name; the namespace lives on until these end.
      logger.warn('processes berth did not start are still in the lab namespace; not signalling them', {
        namespace: state.name,
        pids: report.foreignPids,
      });
    }
    await run('ip', ['netns', 'delete', state.name], { timeoutMs: 10_000 });
    report.namespaceDeleted = true;
  }
  // The veth pair normally dies with the namespace; if foreign processes keep
  // the namespace alive, the host end would linger, so remove it by its name.
  if (state.hostLink && existsSync(`/sys/class/net/${state.hostLink.hostInterface}`)) {
    await run('ip', ['link', 'delete', state.hostLink.hostInterface], { timeoutMs: 10_000 }).catch(() => {});
  }
  logger.info('lab namespace removed', { namespace: state.name, stopped: report.stopped.map((p) => p.pid) });
  return report;
}

/** Synchronous teardown for the 'exit' event, where nothing asynchronous runs. */
export function destroyNamespaceSync(state: NamespaceState): void {
  if (!labNamePattern.test(state.name)) return;
  for (const p of state.processes) if (isRunning(p)) killNow(p);
  if (namespaceInode(state.name) === state.inode) {
    // The one synchronous subprocess in berth: run.ts is asynchronous, and the
    // process is exiting.
    spawnSync('ip', ['netns', 'delete', state.name], { stdio: 'ignore', timeout: 5000 });
  }
  if (state.hostLink && existsSync(`/sys/class/net/${state.hostLink.hostInterface}`)) {
    spawnSync('ip', ['link', 'delete', state.hostLink.hostInterface], { stdio: 'ignore', timeout: 5000 });
  }
}

/**
 * Whether this machine can run a lab at all: undefined when it can, else the
 * reason for people (tests skip with it). Only the two things that no package
 * can fix are probed: a usable /dev/net/tun and permission to make namespaces.
 */
export async function labUnsupportedReason(): Promise<string | undefined> {
  try {
    closeSync(openSync('/dev/net/tun', 'r+'));
  } catch (e) {
    return `cannot open /dev/net/tun (${(e as NodeJS.ErrnoException).code}): VMs need tap devices`;
  }
  let probe: LabNamespace;
  try {
    probe = await LabNamespace.create();
  } catch (e) {
    return `cannot create a network namespace with a bridge: ${(e as Error).message.split('\n').slice(0, 3).join(' ')}`;
  }
  try {
    await probe.addTap();
  } catch (e) {
    return `cannot create a tap device in a network namespace: ${(e as Error).message.split('\n').slice(0, 3).join(' ')}`;
  } finally {
    await probe.destroy();
  }
  return undefined;
}

/**
 * A lab: one namespace with its bridge, N tap devices, one planned node per
 * tap (name, MAC, SMBIOS UUID), and a state file. This is what `berth lab up`,
 * `berth lab down` and `berth lab status` call.
 *
 * A lab is removed by whoever comes first: `lab.down()`, the exit hooks of the
 * process that made it (normal exit, uncaught exception, SIGINT, SIGTERM), or
 * `labDown()` from another process, reading the state file, when the owner
 * died without cleaning up (kill -9, power loss is handled by /run being a tmpfs).
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError } from '../errors.ts';
import type { Logger } from '../util/logger.ts';
import { nullLogger } from '../util/logger.ts';
import { onProcessExit } from './exit-cleanup.ts';
import { LabNamespace, destroyNamespace, namespaceInode } from './namespace.ts';
import type { SpawnInNamespaceOptions, TeardownReport } from './namespace.ts';
import { defaultLabsRoot, namespacePrefix, stateFileOf } from './paths.ts';
import { isRunning, processStartTime } from './process-record.ts';
import { listLabStateFiles, readLabState, writeLabState } from './state-file.ts';
import type { LabNodeState, LabState } from './state-file.ts';
import { startSwtpm } from './swtpm.ts';
import type { SwtpmHandle } from './swtpm.ts';
import { startVm } from './vm.ts';
import type { Firmware, VmHandle, VmOptions } from './vm.ts';

export interface LabUpOptions {
  /** How many nodes (tap devices, planned VMs): 1..250. */
  nodes: number;
  /** Firmware of the planned nodes; default 'bios'. `bootVm` can override it per VM. */
  firmware?: Firmware;
  /** Default 10.99.0.1/24. */
  bridgeAddress?: string;
  /** An IPv6 address for the bridge as well (see CreateNamespaceOptions.bridgeAddress6 for why). */
  bridgeAddress6?: string;
  /** When set, a veth pair joins the bridge to the host and the host end gets this address (e.g. 10.99.0.254/24). */
  hostAddress?: string;
  /** VM memory; default 384 MiB. */
  memoryMb?: number;
  /** Parent of the lab's directory; default /run/berth-lab. */
  labsRoot?: string;
  logger?: Logger;
}

export type BootVmOverrides = Partial<Pick<VmOptions, 'firmware' | 'memoryMb' | 'tpm' | 'extraArgs' | 'accel' | 'directBoot' | 'nicRom' | 'disk' | 'bootFrom'>> & {
  /**
   * A TPM 2.0 (swtpm.ts) for this boot. Its state is the node's, kept in the
   * lab directory from one boot of the node to the next (a sealed key
   * survives a power cycle); swtpm is stopped when the VM ends.
   */
  swtpm?: boolean;
};

export interface Lab {
  /** Also the namespace name: berth-lab-<6 hex>. */
  readonly name: string;
  readonly dir: string;
  readonly stateFile: string;
  readonly namespace: LabNamespace;
  /** The bridge's address with prefix, e.g. 10.99.0.1/24: where services for the nodes listen. */
  readonly bridgeAddress: string;
  readonly nodes: readonly LabNodeState[];
  /** Powers on node `index` (0-based) on its tap; it network-boots from whatever serves DHCP on the bridge. */
  bootVm(index: number, overrides?: BootVmOverrides): Promise<VmHandle>;
  /**
   * Starts a process on the lab network (e.g. `berth serve` with DHCP on br0,
   * dnsmasq, an HTTP server). It is recorded in the state file and stopped
   * by `down()`.
   */
  runInNamespace(cmd: string, args: string[], options?: SpawnInNamespaceOptions): ChildProcess;
  /** Stops every VM and process, deletes the namespace and the lab's directory. Safe to call twice. */
  down(): Promise<TeardownReport>;
}

export async function labUp(options: LabUpOptions): Promise<Lab> {
  const logger = (options.logger ?? nullLogger()).child({ component: 'lab' });
  if (!Number.isInteger(options.nodes) || options.nodes < 1 || options.nodes > 250) {
    throw new BerthError('BERTH_BAD_INPUT', `a lab has 1 to 250 nodes, not ${options.nodes}`, { attribute: 'nodes' });
  }
  const firmware = options.firmware ?? 'bios';
  if (firmware !== 'bios' && firmware !== 'uefi') {
    throw new BerthError('BERTH_BAD_INPUT', `firmware must be bios or uefi, not ${JSON.stringify(firmware)}`, { attribute: 'firmware' });
  }
  const labsRoot = options.labsRoot ?? defaultLabsRoot;
  const ownerStart = processStartTime(process.pid)!;

  let state: LabState | undefined;
  let dir = '';
  let stateFile = '';
  const persist = () => {
    if (state && !namespace?.destroyed) writeLabState(stateFile, state);
  };
  let namespace: LabNamespace | undefined;
  namespace = await LabNamespace.create({
    ...(options.bridgeAddress !== undefined ? { bridgeAddress: options.bridgeAddress } : {}),
    ...(options.bridgeAddress6 !== undefined ? { bridgeAddress6: options.bridgeAddress6 } : {}),
    logger,
    onChange: (nsState) => {
      if (!state) return;
      state.namespace = nsState;
      persist();
    },
  });
  const ns = namespace;
  const name = ns.name;
  dir = join(labsRoot, name);
  stateFile = stateFileOf(dir);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    state = {
      format: 1,
      name,
      dir,
      createdAt: new Date().toISOString(),
      owner: { pid: process.pid, startTime: ownerStart },
      namespace: ns.state(),
      nodes: [],
    };
    persist();
  } catch (e) {
    await ns.destroy();
    throw e;
  }

  let tornDown: Promise<TeardownReport> | undefined;
  const down = () => {
    tornDown ??= (async () => {
      unregister();
      const report = await ns.destroy();
      rmSync(dir, { recursive: true, force: true });
      return report;
    })();
    return tornDown;
  };
  const unregister = onProcessExit({
    graceful: async () => {
      await down();
    },
    immediate: () => {
      ns.destroyImmediately();
      rmSync(dir, { recursive: true, force: true });
    },
  });

  try {
    // The lab suffix goes into the MACs, so nodes of two labs registered in one
    // berth store do not collide. 52:54:00 is QEMU's locally administered prefix.
    const suffix = name.slice(namespacePrefix.length);
    for (let i = 0; i < options.nodes; i++) {
      const tap = await ns.addTap();
      const mac = `52:54:00:${suffix.slice(0, 2)}:${suffix.slice(2, 4)}:${(i + 1).toString(16).padStart(2, '0')}`;
      const nodeName = `node${i + 1}`;
      state.nodes.push({ name: nodeName, mac, uuid: randomUUID(), tap, firmware, consoleLog: join(dir, `${nodeName}.console.log`) });
    }
    if (options.hostAddress !== undefined) await ns.addHostLink({ hostAddress: options.hostAddress });
    persist();
  } catch (e) {
    await down();
    throw e;
  }
  logger.info('lab up', { lab: name, nodes: options.nodes, stateFile });

  const labState = state;
  /** One swtpm per node at a time: a VM that is still ending must not share the state directory with the next boot. */
  const tpms = new Map<string, SwtpmHandle>();
  const nodeTpm = async (nodeName: string) => {
    await tpms.get(nodeName)?.stop();
    const tpm = await startSwtpm({ name: nodeName, stateDir: join(dir, `${nodeName}.tpm`), socket: join(dir, `${nodeName}.swtpm.sock`), logFile: join(dir, `${nodeName}.swtpm.log`), namespace: ns });
    tpms.set(nodeName, tpm);
    return tpm;
  };
  return {
    name,
    dir,
    stateFile,
    namespace: ns,
    bridgeAddress: ns.bridge.address,
    nodes: labState.nodes,
    async bootVm(index, { swtpm, ...overrides } = {}) {
      const node = labState.nodes[index];
      if (!node) throw new BerthError('BERTH_NOT_FOUND', `lab ${name} has no node ${index} (it has 0..${labState.nodes.length - 1})`);
      const tpm = swtpm ? await nodeTpm(node.name) : undefined;
      if (tpm) overrides.tpm = { socket: tpm.socket };
      const vm = startVm({
        name: node.name,
        mac: node.mac,
        uuid: node.uuid,
        firmware: overrides.firmware ?? node.firmware,
        consoleLog: node.consoleLog,
        namespace: ns,
        tap: node.tap,
        logger,
        ...(options.memoryMb !== undefined ? { memoryMb: options.memoryMb } : {}),
        ...overrides,
      });
      if (tpm) void vm.then((v) => v.exited, () => undefined).then(() => tpm.stop());
      return vm;
    },
    runInNamespace: (cmd, args, spawnOptions) => ns.spawn(cmd, args, spawnOptions),
    down,
  };
}

export interface LabDownOptions {
  /** Remove exactly this lab. */
  stateFile?: string;
  /** Without `stateFile`: also labs whose owner is still running (default: only abandoned ones). */
  all?: boolean;
  labsRoot?: string;
  logger?: Logger;
}

export interface LabDownResult {
  name: string;
  stateFile: string;
  /** Present when the lab was torn down. */
  report?: TeardownReport;
  /** Present when it was left alone, saying why. */
  skipped?: string;
}

/**
 * Removes labs from their state files: the one named, or every lab under the
 * labs root whose owning process is gone (a crashed test, a killed `berth lab
 * up`), or with `all` every lab.
 */
export async function labDown(options: LabDownOptions = {}): Promise<LabDownResult[]> {
  const logger = (options.logger ?? nullLogger()).child({ component: 'lab' });
  const files = options.stateFile !== undefined ? [options.stateFile] : listLabStateFiles(options.labsRoot ?? defaultLabsRoot);
  const results: LabDownResult[] = [];
  for (const file of files) {
    const state = readLabState(file);
    const ownerAlive = isRunning({ pid: state.owner.pid, startTime: state.owner.startTime, label: 'owner', command: [] });
    if (options.stateFile === undefined && !options.all && ownerAlive) {
      results.push({ name: state.name, stateFile: file, skipped: `its owner (pid ${state.owner.pid}) is still running; use --all to remove it anyway` });
      continue;
    }
    const report = await destroyNamespace(state.namespace, { logger });
    if (report.refused === undefined) rmSync(state.dir, { recursive: true, force: true });
    results.push({ name: state.name, stateFile: file, report });
  }
  return results;
}

export interface LabStatus {
  name: string;
  stateFile: string;
  dir: string;
  createdAt: string;
  owner: { pid: number; running: boolean };
  /** The namespace exists and is the one the lab created. */
  namespaceUp: boolean;
  bridgeAddress: string;
  processes: { pid: number; label: string; running: boolean }[];
  nodes: LabNodeState[];
}

export async function labStatus(options: { labsRoot?: string } = {}): Promise<LabStatus[]> {
  return listLabStateFiles(options.labsRoot ?? defaultLabsRoot).map((file) => {
    const state = readLabState(file);
    return {
      name: state.name,
      stateFile: file,
      dir: state.dir,
      createdAt: state.createdAt,
      owner: { pid: state.owner.pid, running: isRunning({ ...state.owner, label: 'owner', command: [] }) },
      namespaceUp: namespaceInode(state.name) === state.namespace.inode,
      bridgeAddress: state.namespace.bridge.address,
      processes: state.namespace.processes.map((p) => ({ pid: p.pid, label: p.label, running: isRunning(p) })),
      nodes: state.nodes,
    };
  });
}

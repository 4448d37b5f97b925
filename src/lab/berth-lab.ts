/**
 * A lab with berth in it: the lab network, `berth serve` inside the
 * namespace serving DHCP (full or proxy mode), TFTP and boot HTTP on the
 * bridge, and the lab's nodes defined in berth's inventory with a profile
 * that boots the test kernel and initramfs. Used by `berth lab up` and by
 * the end-to-end tests, so what a new user tries is what CI proves.
 */
import type { ChildProcess } from 'node:child_process';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { BerthError } from '../errors.ts';
import type { Logger } from '../util/logger.ts';
import { debianKernel } from './kernel.ts';
import { labUp } from './lab.ts';
import type { Lab } from './lab.ts';
import { buildTestInitramfs } from './test-initramfs.ts';
import type { Firmware } from './vm.ts';

const BERTH = resolve(import.meta.dirname, '../../bin/berth');
export const LAB_PROFILE = 'lab-marker';

export interface BerthLabOptions {
  nodes: number;
  firmware?: Firmware;
  /** DHCP mode of berth on the lab network. In `proxy` mode the caller runs the site's DHCP server (e.g. dnsmasq). */
  mode?: 'full' | 'proxy';
  /** Define the lab's VMs as nodes lab1..labN (default), or leave some unknown for discovery. */
  defineNodes?: number;
  /** More keys of the config file's `boot:` section, as YAML lines indented by two (e.g. `  nbd_peers: [...]`). */
  bootConfig?: string[];
  logger?: Logger;
}

export interface BerthLab {
  lab: Lab;
  berth: ChildProcess;
  stateDir: string;
  socket: string;
  serverAddress: string;
  /** Runs the real CLI against the lab's berth. */
  cliEnv: Record<string, string>;
  down(): Promise<void>;
}

export async function startBerthLab(options: BerthLabOptions): Promise<BerthLab> {
  const mode = options.mode ?? 'full';
  const [kernel, initramfs] = await Promise.all([debianKernel(), buildTestInitramfs()]);
  // The IPv6 address lets a router advertisement be sent: iPXE waits ~13 s for one otherwise.
  const lab = await labUp({ nodes: options.nodes, firmware: options.firmware ?? 'bios', bridgeAddress6: 'fd99::1/64', ...(options.logger ? { logger: options.logger } : {}) });
  try {
    const serverAddress = lab.bridgeAddress.split('/')[0]!;
    const prefix = serverAddress.split('.').slice(0, 3).join('.');
    const stateDir = join(lab.dir, 'berth');
    const profileDir = join(stateDir, 'profiles', LAB_PROFILE);
    await mkdir(profileDir, { recursive: true });
    await copyFile(kernel.vmlinuz, join(profileDir, 'vmlinuz'));
    await copyFile(initramfs.path, join(profileDir, 'initrd.gz'));
    await writeFile(join(profileDir, 'profile.yaml'), 'kernel: vmlinuz\ninitrds: [initrd.gz]\nkernel_args: console=ttyS0 panic=5 berth.node={node}\n');
    const network = [
      `  - name: lab`,
      `    interface: ${lab.namespace.bridge.name}`,
      `    subnet: ${prefix}.0/24`,
      `    mode: ${mode}`,
      `    server_address: ${serverAddress}`,
      ...(mode === 'full' ? [`    pool: ${prefix}.100-${prefix}.199`, `    gateway: ${serverAddress}`, `    dns_servers: [${serverAddress}]`] : []),
    ];
    const config = join(lab.dir, 'berth.yaml');
    await writeFile(config, `state_dir: ${stateDir}\nlog:\n  format: json\nboot:\n${(options.bootConfig ?? []).map((l) => `${l}\n`).join('')}  networks:\n${network.join('\n')}\n`);
    const socket = join(stateDir, 'admin.sock');
    const berth = lab.runInNamespace(BERTH, ['serve', '--config', config, '--listen', '127.0.0.1:0', '--listen', `${serverAddress}:8443`], {
      label: 'berth serve',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, BERTH_CONFIG: config, BERTH_LOG_LEVEL: 'info' } as Record<string, string>,
    });
    await waitForOutput(berth, /berth serve started/, join(lab.dir, 'berth.log'));
    // Router advertisements only (no DHCPv4, no DHCPv6): dnsmasq is the lab's IPv6 router, not a DHCP server.
    const ra = lab.runInNamespace('dnsmasq', ['--no-daemon', '--conf-file=/dev/null', '--port=0', '--log-facility=-', '--pid-file=', `--interface=${lab.namespace.bridge.name}`, '--bind-interfaces', '--enable-ra', `--dhcp-range=::,constructor:${lab.namespace.bridge.name},ra-only`], { label: 'router advertisements', stdio: ['ignore', 'pipe', 'pipe'] });
    await waitForOutput(ra, /started/, join(lab.dir, 'ra.log'));
    const cliEnv = { BERTH_SOCKET: socket, BERTH_SERVER: '', BERTH_TOKEN: '' };
    const { runCli } = await import('./lab-cli.ts');
    await runCli(cliEnv, ['group', 'define', 'lab', `net.boot.ipv4_address=${prefix}.{n1 + 10}/24`, `deployment.pending_profile=${LAB_PROFILE}`]);
    const defined = options.defineNodes ?? options.nodes;
    for (const node of lab.nodes.slice(0, defined)) {
      await runCli(cliEnv, ['node', 'define', node.name, 'groups=lab', `net.boot.hwaddr=${node.mac}`, `id.uuid=${node.uuid}`]);
    }
    return {
      lab,
      berth,
      stateDir,
      socket,
      serverAddress,
      cliEnv,
      down: () => lab.down().then(() => undefined),
    };
  } catch (e) {
    await lab.down().catch(() => undefined);
    throw e;
  }
}

/** Copies the child's output to a log file and resolves once `ready` appears; rejects if it exits first. */
export function waitForOutput(child: ChildProcess, ready: RegExp, logFile: string, timeoutMs = 30_000): Promise<void> {
  return import('node:fs').then(({ createWriteStream }) => {
    const log = createWriteStream(logFile, { flags: 'a' });
    let output = '';
    return new Promise<void>((resolvePromise, reject) => {
      const timer = setTimeout(() => reject(new BerthError('BERTH_UNAVAILABLE', `no ${ready} within ${timeoutMs / 1000} s; see ${logFile}`)), timeoutMs);
      const onData = (chunk: Buffer) => {
        log.write(chunk);
        if (output.length < 1_000_000) output += chunk.toString('utf8');
        if (ready.test(output)) {
          clearTimeout(timer);
          resolvePromise();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new BerthError('BERTH_UNAVAILABLE', `the process ended (${signal ?? code}) before it was ready; see ${logFile}:\n${output.slice(-2000)}`));
      });
    });
  });
}

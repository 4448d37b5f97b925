/**
 * The boot services of `berth serve`, started together: boot HTTP (iPXE
 * scripts, loaders, kernels, initrds), TFTP (loaders for PXE ROMs) and DHCP
 * on each configured network. They share one view of the inventory and
 * write one timeline.
 */
import { copyFile, mkdir, readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthError } from '../errors.ts';
import type { EventLog } from '../events/event-log.ts';
import { ImageRepository } from '../images/repository/image-repository.ts';
import { compileExpression } from '../inventory/expressions/index.ts';
import type { Inventory } from '../inventory/inventory.ts';
import { profileBoot } from '../profiles/profile-boot.ts';
import { ProfileRepository } from '../profiles/profile-repository.ts';
import type { BootNetworkConfig } from '../server/boot-network-config.ts';
import { stateDirLayout } from '../server/state-dir.ts';
import type { Store } from '../store/store.ts';
import type { Logger } from '../util/logger.ts';
import type { DiscoveryService } from './discovery/discovery.ts';
import { DhcpServer } from './dhcp/dhcp-server.ts';
import { BootHttpServer } from './http/boot-http-server.ts';
import { SiteInitrd } from './site/site-initrd.ts';
import { TftpServer } from './tftp/tftp-server.ts';
import type { BootHttpTarget } from './http/boot-http-server.ts';
import { InventoryBootBackend } from './inventory-backend.ts';
import { installedDiskReason } from './installed-disk.ts';
import { InstallHttp } from '../installs/install-http.ts';
import type { InstallService } from '../installs/install-service.ts';
import { imageExports } from './nbd/image-exports.ts';
import { NbdServer } from './nbd/nbd-server.ts';

/** Debian's `ipxe` package puts its loaders here. */
export const IPXE_DIR = '/usr/lib/ipxe';
const LOADERS = ['undionly.kpxe', 'snponly.efi', 'ipxe.efi'];

export interface BootServicesOptions {
  stateDir: string;
  profilesDir: string;
  httpPort: number;
  tftpPort: number;
  dhcpPort: number;
  proxyPort: number;
  networks: BootNetworkConfig[];
  loaderDir?: string;
  inventory: Inventory;
  discovery: DiscoveryService;
  events: EventLog;
  store: Store;
  log: Logger;
  /** NBD port for tethered roots (0: any free one); null: no NBD server. */
  nbdPort: number | null;
  /** Other servers serving the same versions over NBD: every tethered node gets a path to each. */
  nbdPeers: { host: string; port: number }[];
  /** HTTPS port of the API on a local address, once it listens (image boots pass it to the node). */
  apiPort?: (localAddress: string) => number | undefined;
  /** Scripted installs (src/installs): their boot scripts, answer files and media over HTTP. */
  installs?: InstallService;
}

export class BootServices {
  readonly #options: BootServicesOptions;
  readonly backend: InventoryBootBackend;
  readonly http: BootHttpServer;
  readonly tftpRoot: string;
  dhcp: DhcpServer | undefined;
  readonly tftp: TftpServer;
  readonly nbd: NbdServer | undefined;
  readonly #profiles: ProfileRepository;
  readonly #images: ImageRepository;

  constructor(options: BootServicesOptions) {
    this.#options = options;
    this.#profiles = new ProfileRepository(options.profilesDir);
    this.#images = new ImageRepository(stateDirLayout(options.stateDir));
    this.backend = new InventoryBootBackend(options.inventory, options.discovery);
    this.tftpRoot = join(options.stateDir, 'tftp');
    this.tftp = new TftpServer({
      root: this.tftpRoot,
      port: options.tftpPort,
      events: options.events,
      log: options.log.child({ component: 'tftp' }),
      resolveNode: (ip) => this.nodeByIp(ip),
    });
    this.http = new BootHttpServer({
      port: options.httpPort,
      loaderDir: this.tftpRoot,
      profilesDir: options.profilesDir,
      images: this.#images,
      site: new SiteInitrd(stateDirLayout(options.stateDir).tls.publicCaCert),
      ...(options.apiPort ? { apiPort: options.apiPort } : {}),
      target: this.#httpTarget(),
      ...(options.installs ? { installs: this.#installHttp(options.installs) } : {}),
      events: options.events,
      log: options.log.child({ component: 'boot-http' }),
    });
    this.nbd =
      options.nbdPort === null
        ? undefined
        : new NbdServer({
            host: '0.0.0.0',
            port: options.nbdPort,
            ...imageExports(this.#images),
            log: options.log.child({ component: 'nbd' }),
            events: { emit: (e) => options.events.emit({ ...e, ...(e.ip ? { node: this.nodeByIp(e.ip) } : {}) }) },
          });
  }

  async start(): Promise<void> {
    const { networks, store, events, log, dhcpPort, proxyPort } = this.#options;
    await this.#prepareLoaders();
    await this.tftp.start();
    await this.http.start();
    await this.nbd?.start();
    if (networks.length > 0) {
      // After HTTP, so the loader and script URLs DHCP hands out carry the real port.
      const dhcp = new DhcpServer({ networks, backend: this.backend, store, events, log, httpPort: this.http.port, ports: { server: dhcpPort, client: 68, proxy: proxyPort } });
      await dhcp.start();
      this.dhcp = dhcp;
    }
  }

  async stop(): Promise<void> {
    await this.dhcp?.stop();
    await this.nbd?.stop();
    await this.http.stop();
    await this.tftp.stop();
  }

  /**
   * The NBD endpoints a tethered node attaches, one path each: this server as
   * the node reached it (`localAddress`), then every peer. Empty when this
   * server runs no NBD.
   */
  nbdEndpoints(localAddress: string): string[] {
    if (!this.nbd) return [];
    const endpoint = (host: string, port: number) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);
    const local = localAddress.startsWith('::ffff:') ? localAddress.slice(7) : localAddress;
    return [endpoint(local, this.nbd.port), ...this.#options.nbdPeers.map((p) => endpoint(p.host, p.port))];
  }

  /** Node name for a client address, from its live DHCP lease. */
  nodeByIp(ip: string): string | undefined {
    const mac = this.dhcp?.leases.boundTo(ip, Date.now());
    return mac === undefined ? undefined : this.backend.nodeByMac(mac)?.node;
  }

  status(): Record<string, unknown> {
    return {
      httpPort: this.http.port,
      tftpPort: this.tftp.port,
      tftpRoot: this.tftpRoot,
      leases: this.dhcp?.leases.leaseCount() ?? 0,
      nbd: this.nbd ? { port: this.nbd.port, peers: this.nbdEndpoints('').slice(1), ...this.nbd.stats(), clients: this.nbd.clients().map((c) => ({ ...c, node: this.nodeByIp(c.ip) ?? null })) } : null,
      networks: this.#options.networks.map((n) => ({ name: n.name, subnet: n.subnet, mode: n.mode, serverAddress: n.serverAddress })),
    };
  }

  /**
   * Copies the iPXE loaders into the TFTP root: the TFTP server refuses
   * symlinks that leave its root, and a copy keeps serving even while the
   * package is being upgraded.
   */
  async #prepareLoaders(): Promise<void> {
    const source = this.#options.loaderDir ?? IPXE_DIR;
    await mkdir(this.tftpRoot, { recursive: true, mode: 0o755 });
    const found: string[] = [];
    for (const loader of LOADERS) {
      const from = join(source, loader);
      const to = join(this.tftpRoot, loader);
      const [a, b] = await Promise.all([stat(from).catch(() => undefined), stat(to).catch(() => undefined)]);
      if (!a) continue;
      found.push(loader);
      if (b && b.size === a.size && (await readFile(from)).equals(await readFile(to))) continue;
      await copyFile(from, `${to}.tmp`);
      await rename(`${to}.tmp`, to);
    }
    if (found.length === 0) {
      this.#options.log.warn('no iPXE loaders found; PXE clients cannot boot (install the Debian package ipxe)', { dir: source });
    }
  }

  #installHttp(installs: InstallService): InstallHttp {
    const { apiPort } = this.#options;
    const caFile = stateDirLayout(this.#options.stateDir).tls.publicCaCert;
    return new InstallHttp({
      installs,
      media: installs.media,
      inventory: this.#options.inventory,
      events: this.#options.events,
      caPem: () => readFile(caFile, 'utf8'),
      nodeByIp: (ip) => this.nodeByIp(ip),
      apiUrl: (local) => {
        const port = apiPort?.(local);
        return port && local ? `https://${local.includes(':') ? `[${local}]` : local}:${port}` : undefined;
      },
    });
  }

  #httpTarget(): BootHttpTarget {
    const { inventory } = this.#options;
    return {
      nodeByMac: (mac) => this.backend.nodeByMac(mac)?.node,
      nodeByUuid: (uuid) => this.backend.nodeByUuid(uuid),
      nodeByIp: (ip) => this.nodeByIp(ip),
      pendingProfile: async (name) => {
        const node = inventory.node(name);
        if (!node) return { local: 'no longer in the inventory' };
        const resolver = inventory.resolver();
        const pending = resolver.value(node, 'deployment.pending_profile');
        if (!pending) return { local: 'no deployment is pending' };
        try {
          // Read at every boot: an edited profile or a newly packed `latest` applies to the next boot.
          const profile = await this.#profiles.read(pending);
          if (profile.kind === 'image' || profile.kind === 'install') {
            const method = profile.kind === 'image' ? profile.bootMethod : 'installtodisk';
            const onDisk = installedDiskReason({ pendingProfile: pending, profile: resolver.value(node, 'deployment.profile'), state: resolver.value(node, 'deployment.state') }, method);
            if (onDisk) return { local: onDisk };
          }
          if (profile.kind === 'install') {
            const token = await this.#options.installs?.tokens.token(name, pending);
            if (!token) return { local: `profile ${pending} is a scripted install that was not deployed to it (berth deploy ${name} ${pending})` };
            return { install: { profile: pending, token } };
          }
          const boot = await profileBoot(profile, this.#profiles.folder(pending), this.#images);
          const own = compileExpression(profile.kernelArgs).evaluate({ node: name, attribute: (a) => resolver.value(node, a) });
          return { boot, kernelArgs: [boot.berthArgs, own].filter((a) => a !== '').join(' ') };
        } catch (e) {
          if (!(e instanceof BerthError)) throw e;
          this.#options.events.emit({ source: 'http', step: 'profile-error', node: name, detail: { profile: pending, reason: e.message } });
          return { local: `profile ${pending} cannot be booted: ${e.message}` };
        }
      },
    };
  }
}

/**
 * The boot services of `berth serve`, started together: boot HTTP (iPXE
 * scripts, loaders, kernels, initrds), TFTP (loaders for PXE ROMs) and DHCP
 * on each configured network. They share one view of the inventory and
 * write one timeline.
 *
 * HTTP, TFTP and NBD listen on the `boot.listen` addresses (by default the
 * boot networks' server addresses), each on one port across them; DHCP
 * listens everywhere, since requests arrive as broadcasts. Their connection
 * caps come from the daemon's descriptor budget (util/connection-limits.ts).
 */
import { copyFile, mkdir, readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DhcpServer } from '../boot/dhcp/dhcp-server.ts';
import type { DiscoveryService } from '../boot/discovery/discovery.ts';
import { BootHttpServer } from '../boot/http/boot-http-server.ts';
import type { BootHttpTarget } from '../boot/http/boot-http-server.ts';
import { BootHttpsListener } from '../boot/http/boot-https-listener.ts';
import { InstallHttp } from '../boot/http/install-http.ts';
import { InventoryBootBackend } from '../boot/inventory-backend.ts';
import { currentTrustingBuild } from '../boot/ipxe/build/trusting-loaders.ts';
import { imageExports } from '../boot/nbd/image-exports.ts';
import type { NbdClientStatus } from '../boot/nbd/nbd-connection.ts';
import { NbdServer } from '../boot/nbd/nbd-server.ts';
import type { NbdServerStats } from '../boot/nbd/nbd-server.ts';
import { SiteInitrd } from '../boot/site/site-initrd.ts';
import { TftpServer } from '../boot/tftp/tftp-server.ts';
import { bootChoice } from '../deploy/boot-choice.ts';
import type { InstallTokens } from '../deploy/install-tokens.ts';
import { requesterCheck } from '../deploy/provisioning.ts';
import type { RequesterCheck } from '../deploy/provisioning.ts';
import type { EventLog } from '../events/event-log.ts';
import type { ImageRepository } from '../images/repository/image-repository.ts';
import type { InstallService } from '../installs/install-service.ts';
import type { Inventory } from '../inventory/inventory.ts';
import type { ProfileRepository } from '../profiles/profile-repository.ts';
import type { BootNetworkConfig } from './boot-network-config.ts';
import type { StateDirLayout } from '../state/state-dir.ts';
import type { Store } from '../store/store.ts';
import { descriptorBudget, openFileLimit } from '../util/connection-limits.ts';
import type { DescriptorBudget } from '../util/connection-limits.ts';
import type { Logger } from '../util/logger.ts';

/** Debian's `ipxe` package puts its loaders here. */
export const IPXE_DIR = '/usr/lib/ipxe';
const LOADERS = ['undionly.kpxe', 'snponly.efi', 'ipxe.efi'];

export interface BootServicesOptions {
  layout: StateDirLayout;
  images: ImageRepository;
  profiles: ProfileRepository;
  httpPort: number;
  tftpPort: number;
  dhcpPort: number;
  proxyPort: number;
  networks: BootNetworkConfig[];
  /** Addresses HTTP, TFTP and NBD listen on (config boot.listen); empty: every address. */
  listen: string[];
  /** Connection caps; default: this process's share of its descriptor limit. */
  budget?: DescriptorBudget;
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
  installs: InstallService;
  installTokens: InstallTokens;
}

export class BootServices {
  readonly #options: BootServicesOptions;
  readonly backend: InventoryBootBackend;
  readonly http: BootHttpServer;
  /** Boot HTTPS for a trusting iPXE build (boot/ipxe/build/), when one for the current CA is there. */
  https: BootHttpsListener | undefined;
  readonly tftpRoot: string;
  dhcp: DhcpServer | undefined;
  /** On the first `listen` address (or every address). */
  readonly tftp: TftpServer;
  readonly nbd: NbdServer | undefined;
  /** The same on the other `listen` addresses, made at start() on the first one's port. */
  readonly #tftpAlso: TftpServer[] = [];
  readonly #nbdAlso: NbdServer[] = [];
  readonly #budget: DescriptorBudget;
  readonly #profiles: ProfileRepository;
  readonly #images: ImageRepository;

  constructor(options: BootServicesOptions) {
    this.#options = options;
    this.#profiles = options.profiles;
    this.#images = options.images;
    this.backend = new InventoryBootBackend(options.inventory, options.discovery);
    this.tftpRoot = options.layout.tftp;
    this.#budget = options.budget ?? descriptorBudget(openFileLimit() ?? 1024);
    // Each listener gets its share of the cap, so all of them together stay within the budget.
    const listeners = Math.max(1, options.listen.length);
    this.tftp = this.#tftpServer(options.listen[0], options.tftpPort, listeners);
    this.http = new BootHttpServer({
      hosts: options.listen,
      port: options.httpPort,
      limits: this.#budget.bootHttp,
      loaderDir: this.tftpRoot,
      profilesDir: options.layout.profiles,
      images: this.#images,
      site: new SiteInitrd(options.layout.tls.publicCaCert),
      ...(options.apiPort ? { apiPort: options.apiPort } : {}),
      target: this.#httpTarget(),
      installs: this.#installHttp(options.installs),
      events: options.events,
      log: options.log.child({ component: 'boot-http' }),
    });
    this.nbd = options.nbdPort === null ? undefined : this.#nbdServer(options.listen[0] ?? '0.0.0.0', options.nbdPort, listeners);
  }

  #tftpServer(address: string | undefined, port: number, listeners: number): TftpServer {
    const { events, log } = this.#options;
    return new TftpServer({
      root: this.tftpRoot,
      port,
      ...(address !== undefined ? { address } : {}),
      maxTransfers: Math.max(1, Math.floor(this.#budget.tftpTransfers / listeners)),
      events,
      log: log.child({ component: 'tftp' }),
      resolveNode: (ip) => this.nodeByIp(ip),
    });
  }

  #nbdServer(host: string, port: number, listeners: number): NbdServer {
    const { events, log } = this.#options;
    return new NbdServer({
      host,
      port,
      maxConnections: Math.max(1, Math.floor(this.#budget.nbdConnections / listeners)),
      ...imageExports(this.#images),
      log: log.child({ component: 'nbd' }),
      events: { emit: (e) => events.emit({ ...e, ...(e.ip ? { node: this.nodeByIp(e.ip) } : {}) }) },
    });
  }

  async start(): Promise<void> {
    const { networks, store, events, log, dhcpPort, proxyPort } = this.#options;
    await this.#prepareLoaders();
    const { listen } = this.#options;
    await this.tftp.start();
    for (const address of listen.slice(1)) {
      const tftp = this.#tftpServer(address, this.tftp.port, listen.length);
      this.#tftpAlso.push(tftp);
      await tftp.start();
    }
    await this.http.start();
    await this.https?.start();
    if (this.nbd) {
      await this.nbd.start();
      for (const host of listen.slice(1)) {
        const nbd = this.#nbdServer(host, this.nbd.port, listen.length);
        this.#nbdAlso.push(nbd);
        await nbd.start();
      }
    }
    if (networks.length > 0) {
      // After HTTP, so the loader and script URLs DHCP hands out carry the real port.
      const dhcp = new DhcpServer({ networks, backend: this.backend, store, events, log, httpPort: this.http.port, ports: { server: dhcpPort, client: 68, proxy: proxyPort } });
      await dhcp.start();
      this.dhcp = dhcp;
    }
  }

  async stop(): Promise<void> {
    await this.dhcp?.stop();
    for (const nbd of [...this.#nbdAlso, ...(this.nbd ? [this.nbd] : [])]) await nbd.stop();
    await this.https?.stop();
    await this.http.stop();
    for (const tftp of [...this.#tftpAlso, this.tftp]) await tftp.stop();
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

  /** Clients of the NBD server on every listen address. */
  nbdClients(): NbdClientStatus[] {
    return [...(this.nbd ? [this.nbd] : []), ...this.#nbdAlso].flatMap((nbd) => nbd.clients());
  }

  /** The NBD servers' counters added up over the listen addresses. */
  #nbdStats(): NbdServerStats {
    const all = [...(this.nbd ? [this.nbd] : []), ...this.#nbdAlso].map((nbd) => nbd.stats());
    return all.reduce((sum, s) => {
      const refused = { ...sum.refused };
      for (const [reason, n] of Object.entries(s.refused)) refused[reason] = (refused[reason] ?? 0) + n;
      const out = { ...sum, refused };
      for (const key of Object.keys(s) as (keyof NbdServerStats)[]) if (key !== 'refused') (out[key] as number) = (sum[key] as number) + (s[key] as number);
      return out;
    });
  }

  /** Node name for a client address, from its live DHCP lease. */
  nodeByIp(ip: string): string | undefined {
    const mac = this.dhcp?.leases.boundTo(ip, Date.now());
    return mac === undefined ? undefined : this.backend.nodeByMac(mac)?.node;
  }

  status(): Record<string, unknown> {
    return {
      httpPort: this.http.port,
      // Only while a trusting iPXE build is served (docs/boot.md, "A trusting iPXE").
      httpsPort: this.https?.port ?? null,
      loaders: this.https ? 'trusting' : 'debian',
      tftpPort: this.tftp.port,
      tftpRoot: this.tftpRoot,
      leases: this.dhcp?.leases.leaseCount() ?? 0,
      nbd: this.nbd ? { port: this.nbd.port, peers: this.nbdEndpoints('').slice(1), ...this.#nbdStats(), clients: this.nbdClients().map((c) => ({ ...c, node: this.nodeByIp(c.ip) ?? null })) } : null,
      networks: this.#options.networks.map((n) => ({ name: n.name, subnet: n.subnet, mode: n.mode, serverAddress: n.serverAddress })),
    };
  }

  /**
   * Copies the iPXE loaders into the TFTP root: the TFTP server refuses
   * symlinks that leave its root, and a copy keeps serving even while the
   * package is being upgraded. A trusting build for berth's current CA
   * (boot/ipxe/build/, `berth boot build-ipxe`) replaces Debian's loaders,
   * and its HTTPS endpoint is started with the other services.
   */
  async #prepareLoaders(): Promise<void> {
    const trusting = await this.#trustingBuild();
    const source = trusting?.dir ?? this.#options.loaderDir ?? IPXE_DIR;
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

  /** The trusting iPXE build to serve, with its HTTPS listener made (not started); undefined: Debian's loaders. */
  async #trustingBuild(): Promise<{ dir: string } | undefined> {
    const { log, listen, layout } = this.#options;
    const build = await currentTrustingBuild(layout);
    if (build === undefined) return undefined;
    if ('unused' in build) {
      log.warn('not serving the trusting iPXE build; serving Debian\'s loaders', { reason: build.unused });
      return undefined;
    }
    const [cert, key] = await Promise.all([readFile(layout.tls.serverCert, 'utf8'), readFile(layout.tls.serverKey, 'utf8')]);
    this.https = new BootHttpsListener({
      hosts: listen,
      port: build.metadata.httpsPort,
      tls: { cert, key },
      limits: this.#budget.bootHttp,
      handle: this.http.handle,
      events: this.#options.events,
      log: log.child({ component: 'boot-https' }),
    });
    log.info('serving the trusting iPXE build', { dir: build.dir, ca: build.metadata.caFingerprintSha256, chain: build.metadata.chainUrl, source: build.metadata.source.version });
    return build;
  }

  /** The node key's rule (deploy/provisioning.ts) for install files and timelines: the node's lease or its own address, on a boot network. */
  #requester(): RequesterCheck {
    const { inventory, networks } = this.#options;
    return requesterCheck(inventory, () => networks.map((n) => n.subnet), () => this.dhcp?.leases.all() ?? []);
  }

  #installHttp(installs: InstallService): InstallHttp {
    const { apiPort, installTokens } = this.#options;
    const caFile = this.#options.layout.tls.publicCaCert;
    const requester = this.#requester();
    return new InstallHttp({
      installs,
      tokens: installTokens,
      media: installs.media,
      inventory: this.#options.inventory,
      events: this.#options.events,
      caPem: () => readFile(caFile, 'utf8'),
      nodeByIp: (ip) => this.nodeByIp(ip),
      notOwnAddress: (node, ip) => requester.notOwnAddress(node, ip),
      apiUrl: (local) => {
        const port = apiPort?.(local);
        return port && local ? `https://${local.includes(':') ? `[${local}]` : local}:${port}` : undefined;
      },
    });
  }

  #httpTarget(): BootHttpTarget {
    const { inventory } = this.#options;
    const requester = this.#requester();
    return {
      nodeByMac: (mac) => this.backend.nodeByMac(mac)?.node,
      nodeByUuid: (uuid) => this.backend.nodeByUuid(uuid),
      nodeByIp: (ip) => this.nodeByIp(ip),
      isNodesOwnAddress: (node, ip) => requester.isNodesOwnAddress(node, ip),
      profileFiles: async (name) => {
        const profile = await this.#profiles.read(name).catch(() => undefined);
        return profile?.kind === 'kernel' ? [profile.kernel, ...profile.initrds] : undefined;
      },
      pendingProfile: async (name) => {
        const choice = await bootChoice({ inventory, profiles: this.#profiles, images: this.#images, installTokens: this.#options.installTokens }, name);
        if ('profileError' in choice && choice.profileError) {
          this.#options.events.emit({ source: 'http', step: 'profile-error', node: name, detail: choice.profileError });
          return { local: choice.local };
        }
        return choice;
      },
    };
  }
}

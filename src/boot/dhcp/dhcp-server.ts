/**
 * The DHCP service: sockets around dispatch.ts.
 *
 * - One socket on 0.0.0.0:67 (SO_REUSEADDR, broadcast on) receives the
 *   broadcasts; Linux only delivers broadcasts to wildcard-bound sockets.
 * - One socket per directly attached network, bound to its serverAddress:67.
 *   Replies of that network leave through it, because Linux routes a
 *   limited broadcast (255.255.255.255) out of the interface that owns the
 *   socket's source address; from the wildcard socket every broadcast would
 *   leave through the default route's interface. It also receives unicasts
 *   to that address (renewals), which tells which network they are for.
 * - In proxy mode, 0.0.0.0:4011 for PXE boot server requests.
 *
 * A reply that promises a lease (DHCPACK) is sent only after the lease
 * table's group commit has put it in the store.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { EventSink } from '../../events/boot-event.ts';
import type { Store } from '../../store/store.ts';
import type { Logger } from '../../util/logger.ts';
import { AddressPool } from './address-pool.ts';
import { dispatch, type DispatchContext, type Outgoing } from './dispatch.ts';
import type { DhcpBackend, DhcpPorts, DhcpTimings } from './handler/context.ts';
import { LeaseTable } from './leases.ts';
import { isLocalAddress } from './local-addresses.ts';
import { resolveNetworks, type DhcpNetwork, type DhcpNetworkConfig } from './network.ts';
import { NewClientLimit, type NewClientLimitOptions } from './new-client-limit.ts';
import type { Port } from './request.ts';

export interface DhcpServerOptions {
  networks: DhcpNetworkConfig[];
  backend: DhcpBackend;
  store: Store;
  events: EventSink;
  log: Logger;
  /** Port of berth's boot HTTP server, for loader and script URLs. */
  httpPort: number;
  /** Default 67 / 68 / 4011; tests use unprivileged ones. */
  ports?: DhcpPorts;
  /** Group-commit window for leases; default 5 ms. */
  commitWindowMs?: number;
  /** Default 60 s; a full pool takes back offers older than 5 s (handler/full.ts). */
  offerSeconds?: number;
  /** Machines never seen before: default 50 a second, bursts of 200 (new-client-limit.ts). */
  newClients?: NewClientLimitOptions;
  /** Default 3600 s. */
  declineSeconds?: number;
  /** Is an address assigned to this host (on that interface)? Default: the kernel's list (local-addresses.ts). */
  isLocalAddress?: (address: string, iface?: string) => boolean;
}

const DEFAULT_PORTS: DhcpPorts = { server: 67, client: 68, proxy: 4011 };
const SWEEP_INTERVAL_MS = 30_000;

export class DhcpServer {
  readonly networks: readonly DhcpNetwork[];
  readonly leases: LeaseTable;
  readonly #ports: DhcpPorts;
  readonly #log: Logger;
  readonly #events: EventSink;
  readonly #context: DispatchContext;
  readonly #sockets: Socket[] = [];
  /** Network name → socket bound to its server address. */
  readonly #networkSockets = new Map<string, Socket>();
  #main: Socket | undefined;
  #proxy: Socket | undefined;
  #sweep: NodeJS.Timeout | undefined;

  /** Validates the networks; throws BERTH_CONFIG naming the bad field. */
  constructor(options: DhcpServerOptions) {
    this.#ports = options.ports ?? DEFAULT_PORTS;
    this.#log = options.log.child({ component: 'dhcp' });
    this.#events = options.events;
    this.networks = resolveNetworks(options.networks, options.isLocalAddress ?? isLocalAddress);
    this.leases = new LeaseTable(options.store, options.commitWindowMs === undefined ? {} : { commitWindowMs: options.commitWindowMs });
    const timings: DhcpTimings = { offerSeconds: options.offerSeconds ?? 60, declineSeconds: options.declineSeconds ?? 3600 };
    this.#context = {
      networks: this.networks,
      backend: options.backend,
      leases: this.leases,
      pools: new Map(this.networks.filter((n) => n.pool).map((n) => [n.name, new AddressPool(n, this.leases)])),
      newClients: new NewClientLimit(options.newClients),
      events: options.events,
      log: this.#log,
      httpPort: options.httpPort,
      ports: this.#ports,
      timings,
      now: Date.now,
    };
  }

  async start(): Promise<void> {
    await this.leases.load();
    this.#main = await this.#bind('0.0.0.0', this.#ports.server, 'server');
    if (this.networks.some((n) => n.mode === 'proxy')) this.#proxy = await this.#bind('0.0.0.0', this.#ports.proxy, 'proxy');
    const byAddress = new Map<string, DhcpNetwork[]>();
    for (const n of this.networks.filter((n) => n.direct)) byAddress.set(n.serverAddress, [...(byAddress.get(n.serverAddress) ?? []), n]);
    for (const [address, networks] of byAddress) {
      try {
        const socket = await this.#bind(address, this.#ports.server, 'server', networks.length === 1 ? networks[0]!.name : undefined);
        for (const n of networks) this.#networkSockets.set(n.name, socket);
      } catch (e) {
        this.#log.warn('cannot bind the network address; its broadcasts will leave through the default route interface', { address, error: e });
      }
    }
    this.#sweep = setInterval(() => this.leases.sweep(Date.now()), SWEEP_INTERVAL_MS).unref();
    this.#log.info('dhcp listening', {
      port: this.#ports.server,
      networks: this.networks.map((n) => `${n.name}:${n.mode}${n.direct ? '' : ' (relayed)'}`).join(', '),
    });
  }

  async stop(): Promise<void> {
    if (this.#sweep) clearInterval(this.#sweep);
    await Promise.all(this.#sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    this.#sockets.length = 0;
    this.#networkSockets.clear();
    this.#main = this.#proxy = undefined;
    await this.leases.flush();
  }

  #bind(address: string, port: number, kind: Port, network?: string): Promise<Socket> {
    const socket = createSocket({ type: 'udp4', reuseAddr: true });
    socket.on('message', (buf, rinfo) => this.#receive(buf, rinfo, kind, network));
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address, port, exclusive: true }, () => {
        socket.off('error', reject);
        socket.on('error', (e) => this.#log.error('dhcp socket error', { address, port, error: e }));
        socket.setBroadcast(true);
        this.#sockets.push(socket);
        resolve(socket);
      });
    });
  }

  #receive(buf: Buffer, rinfo: RemoteInfo, port: Port, arrivedOn: string | undefined): void {
    let out: Outgoing | undefined;
    try {
      out = dispatch(buf, port, { address: rinfo.address, port: rinfo.port }, this.#context, arrivedOn);
    } catch (e) {
      // A bug, not a bad packet: keep serving everyone else.
      this.#log.error('dhcp handler failed', { error: e, from: `${rinfo.address}:${rinfo.port}` });
      this.#events.countDropped('dhcp', 'internal-error');
      return;
    }
    if (!out) return;
    const reply = out;
    if (!reply.persist) return this.#send(reply, port);
    this.leases.persisted().then(
      () => this.#send(reply, port),
      (e: unknown) => {
        this.#log.error('lease not stored; reply withheld (the client will retry)', { error: e, network: reply.network });
        this.#events.countDropped('dhcp', 'store-failed');
      },
    );
  }

  #send(out: Outgoing, port: Port): void {
    const socket = port === 'proxy' ? this.#proxy : (this.#networkSockets.get(out.network) ?? this.#main);
    if (!socket) return; // stopped meanwhile
    socket.send(out.bytes, out.to.port, out.to.address, (e) => {
      if (!e) return;
      this.#log.warn('dhcp reply not sent', { to: `${out.to.address}:${out.to.port}`, error: e });
      this.#events.countDropped('dhcp', 'send-failed');
    });
  }
}

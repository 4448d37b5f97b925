/**
 * berth's NBD server: serves packed image versions, read-only, to tethered
 * diskless nodes. Each node's kernel NBD client attaches one path per berth
 * server and stacks dm-multipath, dm-verity and dm-crypt on top, so this
 * server only ever has to hand out bytes of immutable files, fast, to many
 * nodes, and survive whatever arrives on the port.
 *
 * The server owns the listening socket, the connection limits (in all and
 * per client address), the server-wide budget of reply bytes, the counters
 * and shutdown; each client is an NbdConnection. Which exports exist is not
 * its business: `exportFor(name)` answers (a store lookup in the daemon, a
 * Map in tests), and is asked again on every connection, so a version
 * published or withdrawn takes effect for the next client without a restart.
 *
 * Spec: the NBD project's doc/proto.md. What berth implements of it is
 * listed in README.md.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { BerthError } from '../../errors.ts';
import type { Logger } from '../../util/logger.ts';
import { ByteBudget } from './byte-budget.ts';
import { replyPieceBytes, wire, type RefusalReason } from './nbd-constants.ts';
import { clientAddress, NbdConnection } from './nbd-connection.ts';
import type { NbdClientStatus } from './nbd-connection.ts';
import { PositionalReader } from './positional-reader.ts';
import { ReplyBuffers } from './reply-buffers.ts';

/** IANA-registered NBD port. */
export const defaultNbdPort = 10809;

export interface NbdExport {
  /** What the client asks for (NBD_OPT_GO / NBD_OPT_EXPORT_NAME). */
  name: string;
  /** The file served; opened once per connection, read with positional reads. */
  path: string;
  /** Bytes served; the file must hold at least this many. */
  size: number;
  /** Shown by `nbdinfo --list` and in NBD_INFO_DESCRIPTION. */
  description?: string;
}

export interface NbdEvent {
  source: 'nbd';
  /** attach {export, via, size} | detach {export, requests, bytes, durationMs, reason} | refused {reason, export?, why?} */
  step: string;
  ip?: string;
  detail?: Record<string, string | number | boolean>;
}

export interface NbdServerOptions {
  /** Address to listen on ('0.0.0.0', '::', '127.0.0.1', ...). */
  host: string;
  /** TCP port; 0 picks a free one (see `port` after start()). Default 10809. */
  port?: number;
  /** The export a client names, or undefined when there is none. The empty name is the default export. */
  exportFor(name: string): Promise<NbdExport | undefined> | NbdExport | undefined;
  /** Answers NBD_OPT_LIST; without it listing is refused with NBD_REP_ERR_POLICY. */
  listExports?(): Promise<NbdExport[]> | NbdExport[];
  log: Logger;
  events?: { emit(e: NbdEvent): void };
  /** Open connections; more are closed at once and counted as refused 'max-connections'. Default 1024. */
  maxConnections?: number;
  /** From connect to the transmission phase. Default 10 s. */
  handshakeTimeoutMs?: number;
  /**
   * Open connections from one client address; more are closed at once and
   * counted as refused 'max-connections-per-address'. A tethered node opens
   * one per server, and a few more linger across fast reboots until TCP
   * keepalive notices them. Default 16.
   */
  maxConnectionsPerAddress?: number;
  /** Reply bytes all connections together may hold in memory; reads wait in line when it is spent. Default 256 MiB. */
  maxQueuedBytes?: number;
  /** Reply bytes one connection may hold (being read, waiting, unsent); beyond it the connection reads no new requests. Default 8 MiB. */
  maxQueuedBytesPerConnection?: number;
  /** Replies waiting in a socket and none taken by the client for this long: closed ('drain-timeout'). Default 30 s. */
  drainTimeoutMs?: number;
}

export interface NbdServerStats {
  /** Connections open now. */
  connections: number;
  /** Connections accepted since start (refused ones not included). */
  connectionsTotal: number;
  /** Transmission requests received (READ, DISC, refused ones...). */
  requests: number;
  /** Export bytes sent in READ replies. */
  bytesRead: number;
  /** Refusals by reason (see RefusalReason in nbd-constants.ts). */
  refused: Record<string, number>;
  /** Reply bytes held now (being read, waiting their turn, or in sockets' buffers), bounded by maxQueuedBytes. */
  queuedBytes: number;
  /** Most reply bytes held at once since start. */
  queuedBytesPeak: number;
}

/** How long stop() lets transmission-phase clients get their outstanding replies. */
const stopGraceMs = 2000;

type Resolved = 'port' | 'maxConnections' | 'handshakeTimeoutMs' | 'maxConnectionsPerAddress' | 'maxQueuedBytes' | 'maxQueuedBytesPerConnection' | 'drainTimeoutMs';

export class NbdServer {
  private readonly options: NbdServerOptions & Required<Pick<NbdServerOptions, Resolved>>;
  private readonly callerOptions: NbdServerOptions;
  private readonly log: Logger;
  private server: Server | undefined;
  private readonly connections = new Set<NbdConnection>();
  private readonly counters = { connectionsTotal: 0, requests: 0, bytesRead: 0 };
  private readonly refusals = new Map<string, number>();
  private readonly files = new PositionalReader();
  private readonly buffers = new ReplyBuffers();
  private readonly budget: ByteBudget;
  /** Open connections by client address. */
  private readonly perAddress = new Map<string, number>();
  /** Limits being hit now ('max-connections', or the address at its cap): one event and one warning per episode, not one per connection of a flood. */
  private readonly flooding = new Set<string>();

  constructor(o: NbdServerOptions) {
    const options = {
      ...o,
      port: o.port ?? defaultNbdPort,
      maxConnections: o.maxConnections ?? 1024,
      handshakeTimeoutMs: o.handshakeTimeoutMs ?? 10_000,
      maxConnectionsPerAddress: o.maxConnectionsPerAddress ?? 16,
      maxQueuedBytes: o.maxQueuedBytes ?? 256 * 1024 * 1024,
      maxQueuedBytesPerConnection: o.maxQueuedBytesPerConnection ?? 8 * 1024 * 1024,
      drainTimeoutMs: o.drainTimeoutMs ?? 30_000,
    };
    const bad = (what: string) => new BerthError('BERTH_CONFIG', `NBD server: ${what}`, { attribute: what.split(' ')[0] });
    if (typeof options.host !== 'string' || options.host === '') throw bad('host must be an address to listen on, such as 0.0.0.0');
    if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) throw bad(`port must be 0..65535, not ${options.port}`);
    if (!Number.isInteger(options.maxConnections) || options.maxConnections < 1) throw bad(`maxConnections must be 1 or more, not ${options.maxConnections}`);
    if (!(options.handshakeTimeoutMs > 0)) throw bad(`handshakeTimeoutMs must be positive, not ${options.handshakeTimeoutMs}`);
    if (!Number.isInteger(options.maxConnectionsPerAddress) || options.maxConnectionsPerAddress < 1) throw bad(`maxConnectionsPerAddress must be 1 or more, not ${options.maxConnectionsPerAddress}`);
    // One READ piece with its header must fit, or a connection could never start a read.
    const piece = replyPieceBytes + wire.simpleReply;
    if (!Number.isSafeInteger(options.maxQueuedBytesPerConnection) || options.maxQueuedBytesPerConnection < piece) throw bad(`maxQueuedBytesPerConnection must be at least ${piece} bytes (one READ piece), not ${options.maxQueuedBytesPerConnection}`);
    if (!Number.isSafeInteger(options.maxQueuedBytes) || options.maxQueuedBytes < options.maxQueuedBytesPerConnection) throw bad(`maxQueuedBytes must be at least maxQueuedBytesPerConnection (${options.maxQueuedBytesPerConnection}), not ${options.maxQueuedBytes}`);
    if (!(options.drainTimeoutMs > 0)) throw bad(`drainTimeoutMs must be positive, not ${options.drainTimeoutMs}`);
    if (typeof options.exportFor !== 'function') throw bad('exportFor must be a function');
    this.options = options;
    this.budget = new ByteBudget(options.maxQueuedBytes);
    this.callerOptions = o;
    this.log = o.log.child({ component: 'nbd' });
  }

  async start(): Promise<void> {
    if (this.server) throw new BerthError('BERTH_CONFLICT', 'NBD server: start() called twice');
    // allowHalfOpen: a client that shuts down its sending side still gets the replies it asked for.
    // noDelay: replies are whole messages, written once each; Nagle would only hold them back.
    // keepAlive: a node that vanished (power cut) is noticed and its connection and file released.
    const server = createServer({ allowHalfOpen: true, noDelay: true, keepAlive: true, keepAliveInitialDelay: 60_000 }, (socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      const failed = (e: NodeJS.ErrnoException) => {
        this.server = undefined;
        reject(new BerthError('BERTH_UNAVAILABLE', `NBD server cannot listen on ${this.options.host}:${this.options.port}: ${e.code ?? e.message}${e.code === 'EADDRINUSE' ? ' (another NBD server, e.g. nbd-server or nbdkit, may hold the port; stop it or choose another port)' : ''}`));
      };
      server.once('error', failed);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', failed);
        server.on('error', (e) => this.log.error('NBD server socket error', { error: e }));
        resolve();
      });
    });
    this.log.info('NBD server listening', { host: this.options.host, port: this.port });
  }

  /** The port listened on (the real one when started with port 0). */
  get port(): number {
    const address = this.server?.address();
    return address && typeof address === 'object' ? address.port : this.options.port;
  }

  /** Stops accepting; clients in transmission get their outstanding replies (up to 2 s), then every connection is closed. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const c of this.connections) c.shutdown(stopGraceMs);
    await Promise.all([...this.connections].map((c) => c.closed));
    await closed;
    this.log.info('NBD server stopped');
  }

  stats(): NbdServerStats {
    return {
      connections: this.connections.size,
      connectionsTotal: this.counters.connectionsTotal,
      requests: this.counters.requests,
      bytesRead: this.counters.bytesRead,
      refused: Object.fromEntries(this.refusals),
      queuedBytes: this.budget.held,
      queuedBytesPeak: this.budget.peak,
    };
  }

  /** Clients attached to an export now, with what each has read: how much of an image a tethered node really fetches. */
  clients(): NbdClientStatus[] {
    return [...this.connections].flatMap((c) => c.status() ?? []);
  }

  private accept(socket: Socket): void {
    socket.on('error', () => {}); // until the connection takes over; a reset before then must not crash us
    if (!this.server) {
      socket.destroy(); // stopping
      return;
    }
    const ip = clientAddress(socket.remoteAddress);
    if (this.connections.size >= this.options.maxConnections) {
      this.refuseConnection(socket, ip, 'max-connections', 'max-connections', 'NBD connection refused: too many connections', { maxConnections: this.options.maxConnections });
      return;
    }
    const fromAddress = this.perAddress.get(ip) ?? 0;
    if (fromAddress >= this.options.maxConnectionsPerAddress) {
      // One address must not take the slots every other node needs (1,024 idle connections from one host locked the rest out).
      this.refuseConnection(socket, ip, 'max-connections-per-address', `address ${ip}`, 'NBD connection refused: too many connections from one address', { maxConnectionsPerAddress: this.options.maxConnectionsPerAddress });
      return;
    }
    this.perAddress.set(ip, fromAddress + 1);
    this.counters.connectionsTotal++;
    const connection = new NbdConnection(socket, {
      // Called through the caller's object, so methods of a class instance keep their `this`.
      exportFor: (name) => this.callerOptions.exportFor(name),
      ...(this.callerOptions.listExports ? { listExports: () => this.callerOptions.listExports!() } : {}),
      log: this.log,
      ...(this.options.events ? { events: this.options.events } : {}),
      handshakeTimeoutMs: this.options.handshakeTimeoutMs,
      budget: this.budget,
      maxQueuedBytes: this.options.maxQueuedBytesPerConnection,
      drainTimeoutMs: this.options.drainTimeoutMs,
      files: this.files,
      buffers: this.buffers,
      onRefused: (reason) => this.refuse(reason),
      onRequest: () => this.counters.requests++,
      onBytesRead: (n) => (this.counters.bytesRead += n),
    });
    this.connections.add(connection);
    void connection.closed.then(() => {
      this.connections.delete(connection);
      const left = (this.perAddress.get(ip) ?? 1) - 1;
      if (left > 0) this.perAddress.set(ip, left);
      else this.perAddress.delete(ip);
      this.flooding.delete('max-connections');
      this.flooding.delete(`address ${ip}`);
    });
    connection.start();
  }

  /** Closes a connection over a limit before the greeting; counted always, logged and reported once per episode of a flood. */
  private refuseConnection(socket: Socket, ip: string, reason: RefusalReason, episode: string, message: string, limit: Record<string, number>): void {
    this.refuse(reason);
    socket.destroy();
    if (this.flooding.has(episode)) return;
    this.flooding.add(episode);
    this.log.warn(message, { ip, ...limit });
    try {
      this.options.events?.emit({ source: 'nbd', step: 'refused', ip, detail: { reason } });
    } catch {
      // the event sink's failure must not matter to the refusal
    }
  }

  private refuse(reason: RefusalReason): void {
    this.refusals.set(reason, (this.refusals.get(reason) ?? 0) + 1);
  }
}

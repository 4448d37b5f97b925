/**
 * Bounds on the TCP connections of berth's HTTP and HTTPS listeners (boot
 * HTTP, the HTTPS admin and node API), and the descriptor budget they share
 * with everything else the daemon opens.
 *
 * Why each bound exists (from attacking a running `berth serve`):
 * - Node closes no connection that never sends a byte: `headersTimeout` and
 *   `requestTimeout` only look at connections that began a request. 20,000
 *   silent TCP connections to boot HTTP took every descriptor, and the admin
 *   socket, HTTPS, the node API and TFTP then failed with EMFILE. So a
 *   connection with no request in flight (before its first, between
 *   keep-alive requests, or stuck in the TLS handshake) is closed after
 *   `idleTimeoutMs`.
 * - A cap per listener and a cap per client address, so one host cannot
 *   hold them all; over-cap connections are closed as they arrive.
 * - The caps of all listeners together stay under RLIMIT_NOFILE with a
 *   reserve left for the store, image files, TFTP and NBD, and the admin
 *   socket, which remote traffic can then never starve (`descriptorBudget`).
 */
import { readFileSync } from 'node:fs';
import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';

export interface ConnectionLimits {
  /** Connections open at once on the listener. */
  maxConnections: number;
  /** Connections open at once from one client address. */
  maxPerAddress: number;
  /** A connection with no request in flight (none yet, between requests, TLS handshake) is closed after this long. */
  idleTimeoutMs: number;
  /** A request's head must have arrived within this long of its first byte. */
  headersTimeoutMs: number;
  /** A whole request (head and body) must have arrived within this long. */
  requestTimeoutMs: number;
  /** While a request is in flight, a socket with no traffic either way for this long is closed; 0: never (long handlers). */
  stalledTimeoutMs: number;
}

/** Why a connection was closed by a bound; 'idle-timeout' only for connections that never sent a request. */
export type ConnectionRefusal = 'max-connections' | 'max-per-address' | 'idle-timeout';

/** Options for createServer: Node checks headersTimeout/requestTimeout only every connectionsCheckingInterval (default 30 s). */
export function httpServerOptions(limits: ConnectionLimits): { headersTimeout: number; requestTimeout: number; connectionsCheckingInterval: number; keepAliveTimeout: number } {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    connectionsCheckingInterval: Math.max(250, Math.min(2000, Math.floor(limits.headersTimeoutMs / 4))),
    keepAliveTimeout: limits.idleTimeoutMs,
  };
}

interface Tracked {
  socket: Socket;
  inFlight: number;
  /** Whether any request came: only connections that never asked count as refused when they idle out. */
  asked: boolean;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Applies one set of limits to one or more servers (a listener on several
 * addresses shares its caps), each created with `httpServerOptions(limits)`.
 * `refused` hears every connection a bound closes, for drop counters.
 */
export class ConnectionGuard {
  readonly #limits: ConnectionLimits;
  readonly #refused: (reason: ConnectionRefusal) => void;
  readonly #sockets = new Set<Socket>();
  readonly #perAddress = new Map<string, number>();
  /** By client "address:port": over HTTPS requests arrive on the TLS socket, not on the TCP socket 'connection' saw. */
  readonly #tracked = new Map<string, Tracked>();

  constructor(limits: ConnectionLimits, refused: (reason: ConnectionRefusal) => void = () => undefined) {
    this.#limits = limits;
    this.#refused = refused;
  }

  /** Open connections (their TCP sockets), to close them all at stop. */
  get sockets(): ReadonlySet<Socket> {
    return this.#sockets;
  }

  watch(server: HttpServer | HttpsServer): void {
    server.keepAliveTimeout = this.#limits.idleTimeoutMs;
    server.timeout = this.#limits.stalledTimeoutMs;
    server.on('connection', (socket: Socket) => this.#accept(socket));
    server.on('request', (request: IncomingMessage, response: ServerResponse) => this.#request(request, response));
  }

  #accept(socket: Socket): void {
    const address = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    const count = this.#perAddress.get(address) ?? 0;
    if (this.#sockets.size >= this.#limits.maxConnections || count >= this.#limits.maxPerAddress) {
      this.#refused(this.#sockets.size >= this.#limits.maxConnections ? 'max-connections' : 'max-per-address');
      socket.destroy();
      return;
    }
    this.#perAddress.set(address, count + 1);
    const key = `${socket.remoteAddress}:${socket.remotePort}`;
    const t: Tracked = { socket, inFlight: 0, asked: false, timer: undefined };
    this.#tracked.set(key, t);
    this.#sockets.add(socket);
    this.#idle(t);
    socket.once('close', () => {
      clearTimeout(t.timer);
      this.#tracked.delete(key);
      this.#sockets.delete(socket);
      const left = (this.#perAddress.get(address) ?? 1) - 1;
      if (left > 0) this.#perAddress.set(address, left);
      else this.#perAddress.delete(address);
    });
  }

  #request(request: IncomingMessage, response: ServerResponse): void {
    const t = this.#tracked.get(`${request.socket.remoteAddress}:${request.socket.remotePort}`);
    if (!t) return;
    t.inFlight++;
    t.asked = true;
    clearTimeout(t.timer);
    t.timer = undefined;
    response.once('close', () => {
      t.inFlight--;
      if (t.inFlight === 0 && !t.socket.destroyed) this.#idle(t);
    });
  }

  #idle(t: Tracked): void {
    clearTimeout(t.timer);
    t.timer = setTimeout(() => {
      if (!t.asked) this.#refused('idle-timeout');
      t.socket.destroy();
    }, this.#limits.idleTimeoutMs);
    t.timer.unref();
  }
}

// ---- the descriptor budget ----

/** RLIMIT_NOFILE's soft limit of this process, from /proc/self/limits; undefined where there is none (not Linux). */
export function openFileLimit(limitsText?: string): number | undefined {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return undefined;
    }
  }
  const match = /^Max open files\s+(\d+|unlimited)\s/m.exec(text);
  if (!match) return undefined;
  return match[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(match[1]);
}

export interface DescriptorBudget {
  /** The RLIMIT_NOFILE the budget was made for. */
  openFiles: number;
  /** Descriptors left for the store, image and profile files, logs, subprocesses and the admin socket. */
  reserve: number;
  bootHttp: ConnectionLimits;
  https: ConnectionLimits;
  /** NBD connections (each may hold an image file open too). */
  nbdConnections: number;
  /** TFTP transfers (each holds a UDP socket and a file). */
  tftpTransfers: number;
}

/**
 * What berth wants with descriptors to spare: enough for 10,000 nodes
 * booting in waves. iPXE uses one or two connections per node, nodes on a
 * boot network have an address each, so a few dozen per address is generous
 * while one host can hold only a sliver.
 */
const WANTED = { reserve: 1024, bootHttp: 8192, bootHttpPerAddress: 32, https: 2048, httpsPerAddress: 64, nbd: 1024, tftp: 1000 };
/** Descriptors per unit: an NBD connection and a TFTP transfer hold a socket and a file each. */
const COST = { bootHttp: 2, https: 1, nbd: 2, tftp: 2 };
/** Below this nothing useful runs; the caps are not scaled further. */
const FLOOR = 8;

/**
 * Caps sized to `openFiles`: the wanted numbers when they fit under it with
 * the reserve, else every cap scaled down alike (the reserve to at most a
 * quarter of the limit), so the daemon stays reachable on its admin socket
 * however low the limit. Boot HTTP counts two descriptors a connection: the
 * socket and the file it serves.
 */
export function descriptorBudget(openFiles: number): DescriptorBudget {
  const wantedUse = WANTED.bootHttp * COST.bootHttp + WANTED.https * COST.https + WANTED.nbd * COST.nbd + WANTED.tftp * COST.tftp;
  const reserve = Math.min(WANTED.reserve, Math.floor(openFiles / 4));
  const factor = Math.min(1, Math.max(0, openFiles - reserve) / wantedUse);
  const scaled = (n: number) => Math.max(FLOOR, Math.floor(n * factor));
  const bootHttp = scaled(WANTED.bootHttp);
  const https = scaled(WANTED.https);
  return {
    openFiles,
    reserve,
    bootHttp: {
      maxConnections: bootHttp,
      maxPerAddress: Math.min(WANTED.bootHttpPerAddress, bootHttp),
      // iPXE asks at once after connecting and fetches kernel and initrd back to back.
      idleTimeoutMs: 10_000,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      // A download that makes no progress for a minute: the node is gone.
      stalledTimeoutMs: 60_000,
    },
    https: {
      maxConnections: https,
      maxPerAddress: Math.min(WANTED.httpsPerAddress, https),
      idleTimeoutMs: 30_000,
      headersTimeoutMs: 20_000,
      // Inventory imports of a whole fleet upload tens of MiB.
      requestTimeoutMs: 300_000,
      // Handlers may work for minutes before they answer (imports, deploys of thousands of nodes).
      stalledTimeoutMs: 0,
    },
    nbdConnections: scaled(WANTED.nbd),
    tftpTransfers: scaled(WANTED.tftp),
  };
}

/** The TLS handshake must finish within this long (tls.Server's default is 120 s). */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

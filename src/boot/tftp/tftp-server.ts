/**
 * berth's TFTP server: read-only, octet mode, options blksize/tsize/timeout/
 * windowsize, files confined to one root. Requests arrive on the well-known
 * port and are decided here, on the main thread (parse, confine the name,
 * open the file). Each accepted read then runs in a worker thread of the
 * TransferPool, on its own ephemeral socket (RFC 1350 §4), so transfers use
 * every core, with file reads done ahead in libuv's thread pool.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { availableParallelism } from 'node:os';
import { BerthError } from '../../errors.ts';
import type { EventSink } from '../../events/boot-event.ts';
import type { Logger } from '../../util/logger.ts';
import { defaultLimits } from './options.ts';
import { encodeError, errorCodes, maxBlockSize } from './packet.ts';
import { RequestHandler, type Client } from './request-handler.ts';
import { RootedFiles } from './root-files.ts';
import { TransferPool } from './transfer-pool.ts';
import { bind } from './transfer-sockets.ts';

export interface TftpServerOptions {
  /** Directory served; nothing outside it (after resolving symlinks) is ever opened. */
  root: string;
  /** UDP port for requests. Default 69; 0 picks a free port (see `port` after start()). */
  port?: number;
  /** Local address to listen on. Default 0.0.0.0; an IPv6 address listens on IPv6. */
  address?: string;
  events: EventSink;
  log: Logger;
  /** Node name for a client IP, for events. */
  resolveNode?: (ip: string) => string | undefined;
  /** Largest blksize granted, 8..65464. Default 65464; 1468 keeps packets within a 1500-byte MTU. */
  maxBlksize?: number;
  /** Largest windowsize granted (RFC 7440). Default 64. */
  maxWindowsize?: number;
  /** Retransmission timeout when the client does not negotiate one. Default 1000 ms. */
  timeoutMs?: number;
  /** Retransmissions of a window before a transfer is given up. Default 5. */
  maxRetries?: number;
  /** Transfers running at once; further requests get ERROR 0 "busy". Default 1000. */
  maxTransfers?: number;
  /** Bytes read from disk at a time per transfer. Default 64 KiB. */
  readAheadBytes?: number;
}

export class TftpServer {
  private readonly options: Required<Omit<TftpServerOptions, 'address' | 'resolveNode'>> & Pick<TftpServerOptions, 'address' | 'resolveNode'>;
  private readonly log: Logger;
  private readonly socketType: 'udp4' | 'udp6';
  private socket: Socket | undefined;
  private handler: RequestHandler | undefined;
  private pool: TransferPool | undefined;
  /** Client "address:port" of requests being looked at and of running transfers: one transfer per client TID. */
  private readonly clients = new Set<string>();
  private readonly idle = new Set<() => void>();

  constructor(options: TftpServerOptions) {
    const o = {
      port: 69,
      maxBlksize: maxBlockSize,
      maxWindowsize: defaultLimits.maxWindowsize,
      timeoutMs: 1000,
      maxRetries: 5,
      maxTransfers: 1000,
      readAheadBytes: 64 * 1024,
      ...options,
    };
    const bad = (what: string) => new BerthError('BERTH_CONFIG', `TFTP server: ${what}`, { attribute: what.split(' ')[0] });
    if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) throw bad(`port must be 0..65535, not ${o.port}`);
    if (!Number.isInteger(o.maxBlksize) || o.maxBlksize < 8 || o.maxBlksize > maxBlockSize) throw bad(`maxBlksize must be 8..${maxBlockSize}, not ${o.maxBlksize}`);
    if (!Number.isInteger(o.maxWindowsize) || o.maxWindowsize < 1 || o.maxWindowsize > 65535) throw bad(`maxWindowsize must be 1..65535, not ${o.maxWindowsize}`);
    if (!(o.timeoutMs > 0)) throw bad(`timeoutMs must be positive, not ${o.timeoutMs}`);
    if (!Number.isInteger(o.maxRetries) || o.maxRetries < 0) throw bad(`maxRetries must be 0 or more, not ${o.maxRetries}`);
    if (!Number.isInteger(o.maxTransfers) || o.maxTransfers < 1) throw bad(`maxTransfers must be 1 or more, not ${o.maxTransfers}`);
    if (!(o.readAheadBytes >= 0)) throw bad(`readAheadBytes must be 0 or more, not ${o.readAheadBytes}`);
    this.options = o;
    this.log = options.log.child({ component: 'tftp' });
    this.socketType = o.address !== undefined && isIPv6(o.address) ? 'udp6' : 'udp4';
  }

  /** The bound request port (useful with port 0). */
  get port(): number {
    if (!this.socket) throw new BerthError('BERTH_UNAVAILABLE', 'TFTP server is not started');
    return this.socket.address().port;
  }

  get activeTransfers(): number {
    return this.clients.size;
  }

  /** Resolves the root and binds the request port. Rejects with BERTH_CONFIG if either fails. */
  async start(): Promise<void> {
    if (this.socket) return;
    const o = this.options;
    const files = await RootedFiles.at(o.root);
    this.handler = new RequestHandler({
      files,
      events: o.events,
      limits: { maxBlksize: o.maxBlksize, maxWindowsize: o.maxWindowsize, maxWindowBytes: Math.max(defaultLimits.maxWindowBytes, o.maxBlksize) },
      ...(o.resolveNode ? { resolveNode: o.resolveNode } : {}),
    });
    const socket = createSocket(this.socketType);
    try {
      await bind(socket, o.port, o.address);
    } catch (e) {
      socket.close();
      const code = (e as NodeJS.ErrnoException).code;
      const hint = code === 'EACCES' ? ' (ports below 1024 need root or CAP_NET_BIND_SERVICE)' : code === 'EADDRINUSE' ? ' (another TFTP server is running?)' : '';
      throw new BerthError('BERTH_CONFIG', `TFTP server cannot listen on ${o.address ?? '0.0.0.0'}:${o.port}: ${code ?? (e as Error).message}${hint}`, { attribute: 'port' });
    }
    // One worker per core, at least two: the main thread only takes requests.
    const pool = new TransferPool({ size: Math.max(2, availableParallelism()), address: o.address, socketType: this.socketType, events: o.events, log: this.log });
    try {
      await pool.start();
    } catch (e) {
      socket.close();
      throw e;
    }
    this.pool = pool;
    socket.on('message', (msg, rinfo) => void this.onRequest(msg, { address: rinfo.address, port: rinfo.port }));
    socket.on('error', (e) => this.log.error('tftp request socket error', { error: e }));
    this.socket = socket;
    this.log.info('tftp server listening', { address: o.address ?? '0.0.0.0', port: this.port, root: files.root });
  }

  /** Stops taking requests, ends running transfers (telling their clients), waits for them to release and stops the workers. */
  async stop(): Promise<void> {
    const socket = this.socket;
    if (!socket) return;
    this.socket = undefined;
    socket.close();
    const pool = this.pool!;
    this.pool = undefined;
    // Requests still being looked at see the closed socket and give up; running transfers are aborted.
    const idle = this.clients.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => this.idle.add(resolve));
    await pool.stop('server stopping');
    await idle;
  }

  private async onRequest(msg: Buffer, client: Client): Promise<void> {
    const o = this.options;
    const key = `${client.address}:${client.port}`;
    if (this.clients.has(key)) {
      // The client resent its request before our first reply arrived: one transfer per client TID.
      o.events.countDropped('tftp', 'duplicate-request');
      return;
    }
    if (this.clients.size >= o.maxTransfers) {
      o.events.countDropped('tftp', 'busy');
      this.reply(encodeError(errorCodes.notDefined, 'server busy, try again later'), client);
      return;
    }
    this.clients.add(key);
    let started = false;
    try {
      const outcome = await this.handler!.handle(msg, client);
      if (outcome.kind === 'dropped') {
        if (outcome.reason === 'internal-error') this.log.error('tftp request handler failed', { ip: client.address, reply: outcome.reply?.toString('latin1') });
        else this.log.debug('tftp request refused', { ip: client.address, reason: outcome.reason });
        if (outcome.reply) this.reply(outcome.reply, client);
        return;
      }
      const node = o.resolveNode?.(client.address);
      started =
        this.pool?.run({
          client,
          ...(node ? { node } : {}),
          file: outcome.file,
          opened: outcome.opened,
          negotiated: outcome.negotiated,
          timeoutMs: o.timeoutMs,
          maxRetries: o.maxRetries,
          readAheadBytes: o.readAheadBytes,
          onFinished: () => this.forget(key),
        }) ?? false;
      if (!started) {
        await outcome.opened.close().catch(() => {});
        // Stopping, or every worker is being replaced after a crash.
        if (this.socket) {
          o.events.countDropped('tftp', 'busy');
          this.reply(encodeError(errorCodes.notDefined, 'server busy, try again later'), client);
        }
      }
    } catch (e) {
      this.log.error('tftp request failed', { error: e as Error, ip: client.address });
    } finally {
      if (!started) this.forget(key);
    }
  }

  private forget(key: string): void {
    this.clients.delete(key);
    if (this.clients.size === 0) {
      for (const resolve of this.idle) resolve();
      this.idle.clear();
    }
  }

  private reply(packet: Buffer, client: Client): void {
    try {
      this.socket?.send(packet, client.port, client.address, () => {});
    } catch {
      // socket closing; the client will time out
    }
  }
}

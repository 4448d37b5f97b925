/**
 * berth's TFTP server: read-only, octet mode, options blksize/tsize/timeout/
 * windowsize, files confined to one root. Requests arrive on the well-known
 * port and are decided here, on the main thread (parse, confine the name,
 * open the file). Each accepted read then runs in a worker thread of the
 * TransferPool, on its own ephemeral socket (RFC 1350 §4), so transfers use
 * every core, with file reads done ahead in libuv's thread pool.
 *
 * Who may take a transfer slot is admission.ts's decision: a few per
 * address, a reserve for addresses with nothing in flight. A transfer whose
 * client never acknowledges the first reply is given up after
 * `firstAckTimeoutMs` (3 s), not the 6 s of the normal retransmit schedule,
 * so a sender that only sends requests holds few slots, briefly.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { availableParallelism } from 'node:os';
import { BerthError } from '../../errors.ts';
import type { EventSink } from '../../events/boot-event.ts';
import type { Logger } from '../../util/logger.ts';
import { defaultReserve, TransferAdmission, type AdmissionVerdict } from './admission.ts';
import { defaultLimits } from './options.ts';
import { encodeError, errorCodes, maxBlockSize, opcodes } from './packet.ts';
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
  /**
   * How long a transfer waits for the client's first ACK (of the OACK, or of
   * DATA 1) before it is given up, resending at the usual interval meanwhile.
   * Default 3000 ms: a client that asks and never acknowledges frees its slot
   * sooner than one that stalls mid-file.
   */
  firstAckTimeoutMs?: number;
  /** Transfers running at once; further requests get ERROR 0 "busy". Default 1000; the last tenth only for addresses with none running. */
  maxTransfers?: number;
  /** Transfers running at once for one client address; further requests from it get ERROR 0. Default 4. */
  maxTransfersPerAddress?: number;
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
  /** Read requests being looked at and running transfers. */
  private readonly admission: TransferAdmission;
  private readonly idle = new Set<() => void>();

  constructor(options: TftpServerOptions) {
    const o = {
      port: 69,
      maxBlksize: maxBlockSize,
      maxWindowsize: defaultLimits.maxWindowsize,
      timeoutMs: 1000,
      maxRetries: 5,
      firstAckTimeoutMs: 3000,
      maxTransfers: 1000,
      maxTransfersPerAddress: 4,
      readAheadBytes: 64 * 1024,
      ...options,
    };
    const bad = (what: string) => new BerthError('BERTH_CONFIG', `TFTP server: ${what}`, { attribute: what.split(' ')[0] });
    if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) throw bad(`port must be 0..65535, not ${o.port}`);
    if (!Number.isInteger(o.maxBlksize) || o.maxBlksize < 8 || o.maxBlksize > maxBlockSize) throw bad(`maxBlksize must be 8..${maxBlockSize}, not ${o.maxBlksize}`);
    if (!Number.isInteger(o.maxWindowsize) || o.maxWindowsize < 1 || o.maxWindowsize > 65535) throw bad(`maxWindowsize must be 1..65535, not ${o.maxWindowsize}`);
    if (!(o.timeoutMs > 0)) throw bad(`timeoutMs must be positive, not ${o.timeoutMs}`);
    if (!Number.isInteger(o.maxRetries) || o.maxRetries < 0) throw bad(`maxRetries must be 0 or more, not ${o.maxRetries}`);
    if (!(o.firstAckTimeoutMs > 0)) throw bad(`firstAckTimeoutMs must be positive, not ${o.firstAckTimeoutMs}`);
    if (!Number.isInteger(o.maxTransfers) || o.maxTransfers < 1) throw bad(`maxTransfers must be 1 or more, not ${o.maxTransfers}`);
    if (!Number.isInteger(o.maxTransfersPerAddress) || o.maxTransfersPerAddress < 1) throw bad(`maxTransfersPerAddress must be 1 or more, not ${o.maxTransfersPerAddress}`);
    if (!(o.readAheadBytes >= 0)) throw bad(`readAheadBytes must be 0 or more, not ${o.readAheadBytes}`);
    this.options = o;
    this.admission = new TransferAdmission({
      maxTransfers: o.maxTransfers,
      maxTransfersPerAddress: o.maxTransfersPerAddress,
      reservedForNewAddresses: defaultReserve(o.maxTransfers),
    });
    this.log = options.log.child({ component: 'tftp' });
    this.socketType = o.address !== undefined && isIPv6(o.address) ? 'udp6' : 'udp4';
  }

  /** The bound request port (useful with port 0). */
  get port(): number {
    if (!this.socket) throw new BerthError('BERTH_UNAVAILABLE', 'TFTP server is not started');
    return this.socket.address().port;
  }

  get activeTransfers(): number {
    return this.admission.size;
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
    const idle = this.admission.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => this.idle.add(resolve));
    await pool.stop('server stopping');
    await idle;
  }

  private async onRequest(msg: Buffer, client: Client): Promise<void> {
    const o = this.options;
    // Only a read request can take a slot, and only a read request is ever refused for lack of one:
    // no TFTP server sends RRQs, so answering one with an ERROR cannot start a ping-pong between servers.
    const read = msg.length >= 2 && msg[0] === 0 && msg[1] === opcodes.rrq;
    if (read) {
      const verdict = this.admission.admit(client);
      if (verdict !== 'admitted') return this.refuse(verdict, client);
    }
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
          firstAckTimeoutMs: o.firstAckTimeoutMs,
          readAheadBytes: o.readAheadBytes,
          onFinished: () => this.forget(client),
        }) ?? false;
      if (!started) {
        await outcome.opened.close().catch(() => {});
        // Stopping, or every worker is being replaced after a crash.
        if (this.socket) this.refuse('busy', client);
      }
    } catch (e) {
      this.log.error('tftp request failed', { error: e as Error, ip: client.address });
    } finally {
      if (read && !started) this.forget(client);
    }
  }

  /** Counts a request turned away for lack of a slot and tells the client, unless it is a resend of one being served. */
  private refuse(verdict: Exclude<AdmissionVerdict, 'admitted'>, client: Client): void {
    this.options.events.countDropped('tftp', verdict);
    if (verdict === 'duplicate-request') return;
    // ERROR 0 with a reason (RFC 1350 §5: no code fits "busy"); kept short, as the sender's address may be forged.
    const message = verdict === 'address-busy' ? 'too many transfers from this address, try again later' : 'server busy, try again later';
    this.log.debug('tftp request refused', { ip: client.address, reason: verdict });
    this.reply(encodeError(errorCodes.notDefined, message), client);
  }

  private forget(client: Client): void {
    this.admission.release(client);
    if (this.admission.size === 0) {
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

/**
 * One read transfer on the wire: its own UDP socket (the server's transfer
 * ID, RFC 1350 §4), the ReadTransfer state machine, the read-ahead buffer and
 * one timer. Emits the transfer's `start`, `done` and `error` events.
 *
 * Packets from any other address or port than the client's (a wrong TID) are
 * answered with ERROR 5 and otherwise ignored (RFC 1350 §4): they must not
 * end or disturb the transfer.
 *
 * Optionally a second socket on the same port, connected to the client,
 * carries the transfer itself: the kernel routes a connected socket once
 * rather than per sendmsg (about a third off the cost of a send on
 * loopback), and delivers the client's packets to it in preference to the
 * unconnected one, which is left to answer strangers with ERROR 5.
 */
import type { Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import type { EventSink } from '../../events/boot-event.ts';
import type { Logger } from '../../util/logger.ts';
import { BlockReader } from './block-reader.ts';
import type { NegotiatedOptions } from './options.ts';
import { encodeError, encodeOack, errorCodes, opcodes, parsePacket } from './packet.ts';
import type { Client } from './request-handler.ts';
import type { OpenedFile } from './root-files.ts';
import { ReadTransfer, type SendRange } from './transfer.ts';

export interface TransferSessionOptions {
  client: Client;
  /** Node name of the client, when known. */
  node?: string;
  /** The name as requested, for events. */
  file: string;
  /** The file to send; the session closes it (in a worker: waits out its reads) before `onReleased`. */
  opened: Pick<OpenedFile, 'size' | 'readv' | 'close'>;
  negotiated: NegotiatedOptions;
  /** Bound, not yet listening for messages; the session owns and closes it. */
  socket: Socket;
  /** Bound to the same port as `socket` and connected to the client; owned and closed by the session too. */
  connected?: Socket;
  /** Used unless the client negotiated the timeout option. */
  timeoutMs: number;
  maxRetries: number;
  /** Give up if the client has not acknowledged the first reply (OACK or DATA 1) this long after it went out. */
  firstAckTimeoutMs: number;
  /** How much of the file to read per disk read (at least one window). */
  readAheadBytes: number;
  events: EventSink;
  log: Pick<Logger, 'debug' | 'info'>;
  /** Called once, when the outcome is decided and its event emitted (before the client is told of a failure). */
  onFinished: () => void;
  /** Called once, after `onFinished`, when the socket is closed and the file closed. */
  onReleased: () => void;
}

export class TransferSession {
  private readonly o: TransferSessionOptions;
  private readonly transfer: ReadTransfer;
  private readonly reader: BlockReader;
  /** The socket packets to the client go out on. */
  private readonly out: Socket;
  private readonly startedAt = performance.now();
  private timer: NodeJS.Timeout | undefined;
  private loading = false;
  private readonly queued: SendRange[] = [];
  private ended = false;
  private released = false;

  constructor(options: TransferSessionOptions) {
    this.o = options;
    this.out = options.connected ?? options.socket;
    const { negotiated, opened } = options;
    const timeoutMs = negotiated.timeoutSeconds !== undefined ? negotiated.timeoutSeconds * 1000 : options.timeoutMs;
    this.transfer = new ReadTransfer(
      {
        size: opened.size,
        blksize: negotiated.blksize,
        windowsize: negotiated.windowsize,
        timeoutMs,
        maxRetries: options.maxRetries,
        firstAckTimeoutMs: options.firstAckTimeoutMs,
        sendOack: negotiated.acknowledged.length > 0,
      },
      () => performance.now(),
    );
    const slots = Math.max(negotiated.windowsize, Math.ceil(options.readAheadBytes / negotiated.blksize));
    // A packet libuv could not hand to the kernel at once stays queued, referring to the read buffer.
    this.reader = new BlockReader(opened, opened.size, negotiated.blksize, slots, () => this.out.getSendQueueCount() > 0);
  }

  start(): void {
    const { o } = this;
    o.socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo.address, rinfo.port));
    o.socket.on('error', (e) => this.fail(`socket error: ${e.message}`, false));
    // Only the client's packets reach a connected socket.
    o.connected?.on('message', (msg) => this.onClientMessage(msg));
    o.connected?.on('error', (e) => this.fail(`socket error: ${e.message}`, false));
    this.emit('start', { file: o.file, blksize: o.negotiated.blksize, windowsize: o.negotiated.windowsize, tsize: o.opened.size });
    o.log.debug('tftp transfer started', { file: o.file, ip: o.client.address, blksize: o.negotiated.blksize, windowsize: o.negotiated.windowsize });
    const first = this.transfer.start();
    this.timer = setTimeout(() => this.onTimer(), Math.max(1, this.transfer.deadline - performance.now()));
    this.send(first);
  }

  /** Ends the transfer now (server shutting down). */
  abort(reason: string): void {
    this.fail(reason, true);
  }

  private onMessage(msg: Buffer, address: string, port: number): void {
    if (this.ended) return;
    if (address !== this.o.client.address || port !== this.o.client.port) {
      this.o.events.countDropped('tftp', 'wrong-tid');
      this.o.socket.send(encodeError(errorCodes.unknownTransferId, 'unknown transfer ID'), port, address, () => {});
      return;
    }
    this.onClientMessage(msg);
  }

  private onClientMessage(msg: Buffer): void {
    if (this.ended) return;
    // ACK is nearly all we ever receive: read it without building a packet object.
    if (msg.length >= 4 && msg[0] === 0 && msg[1] === opcodes.ack) {
      const range = this.transfer.onAck((msg[2]! << 8) | msg[3]!);
      if (this.transfer.state === 'done') return this.finish();
      if (range) this.send(range);
      return;
    }
    let packet;
    try {
      packet = parsePacket(msg);
    } catch {
      this.o.events.countDropped('tftp', 'malformed');
      return;
    }
    if (packet.opcode === 'error') {
      // UEFI PXE asks for tsize, then aborts after our OACK (usually with code 8)
      // only to learn the file's size; it then asks again for real. That is a
      // probe, not a failure, and the timeline should not call it one.
      if (this.transfer.bytesAcknowledged === 0 && this.o.negotiated.acknowledged.some((option) => option.name === 'tsize')) {
        this.ended = true;
        clearTimeout(this.timer);
        this.transfer.abort('size probe');
        this.emit('size-probe', { file: this.o.file, message: packet.message || '(no message)' });
        this.o.onFinished();
        this.release();
        return;
      }
      // Code 8: the client refused our OACK (RFC 2347); otherwise it gave up.
      this.fail(`client sent ERROR ${packet.code}: ${packet.message || '(no message)'}`, false);
      return;
    }
    this.o.events.countDropped('tftp', 'unexpected-packet');
  }

  private onTimer(): void {
    if (this.ended) return;
    const range = this.transfer.onTimeout();
    if (this.transfer.state === 'failed') return this.fail(this.transfer.failure, true);
    if (range) this.send(range);
    // Sleep until the deadline: the one the resend just set, or a later one an ACK moved it to (or the timer woke a little early).
    this.timer = setTimeout(() => this.onTimer(), Math.max(1, this.transfer.deadline - performance.now()));
  }

  private send(range: SendRange): void {
    // No timer refresh per send: the timer fires at the old deadline and re-arms for the new one (onTimer).
    if (this.loading) {
      this.queued.push(range);
      return;
    }
    if (range.first === 0) {
      this.sendPacket(encodeOack(this.o.negotiated.acknowledged));
      return;
    }
    if (this.reader.has(range.first, range.last)) {
      for (let b = range.first; b <= range.last; b++) this.sendPacket(this.reader.packet(b));
      return;
    }
    this.loading = true;
    this.reader.load(range.first).then(
      () => {
        this.loading = false;
        if (this.ended) return;
        for (let b = range.first; b <= range.last; b++) this.sendPacket(this.reader.packet(b));
        // Anything asked for while reading (a resend, at most a window or two) goes out in order.
        while (!this.loading && this.queued.length > 0 && !this.ended) this.send(this.queued.shift()!);
      },
      (e: Error) => {
        this.loading = false;
        this.fail(`cannot read ${this.o.file}: ${e.message}`, true);
      },
    );
  }

  private sendPacket(packet: Buffer): void {
    // No callback: each would cost a process.nextTick per packet. A failed send is like a lost packet: the timer resends it.
    if (this.out === this.o.connected) this.out.send(packet);
    else this.out.send(packet, this.o.client.port, this.o.client.address);
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    const durationMs = Math.round(performance.now() - this.startedAt);
    const { o } = this;
    this.emit('done', { file: o.file, bytes: o.opened.size, durationMs, retransmits: this.transfer.retransmits });
    o.log.debug('tftp transfer done', { file: o.file, ip: o.client.address, bytes: o.opened.size, durationMs, retransmits: this.transfer.retransmits });
    o.onFinished();
    this.release();
  }

  private fail(reason: string, tellClient: boolean): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.timer);
    const { o } = this;
    this.transfer.abort(reason);
    this.emit('error', { file: o.file, reason, bytes: this.transfer.bytesAcknowledged, retransmits: this.transfer.retransmits });
    o.log.info('tftp transfer failed', { file: o.file, ip: o.client.address, reason });
    // Before the ERROR goes out, so whoever sees the client give up also sees the server count the transfer as over.
    o.onFinished();
    if (tellClient) {
      try {
        const error = encodeError(errorCodes.notDefined, reason);
        if (this.out === o.connected) this.out.send(error, () => this.release());
        else this.out.send(error, o.client.port, o.client.address, () => this.release());
        return;
      } catch {
        // socket already unusable; just release
      }
    }
    this.release();
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    clearTimeout(this.timer);
    for (const socket of [this.o.socket, this.o.connected]) {
      try {
        socket?.close();
      } catch {
        // already closed
      }
    }
    // close() waits for a read still in flight, so the fd is never reused under it.
    this.o.opened
      .close()
      .catch(() => {})
      .then(() => this.o.onReleased());
  }

  private emit(step: 'start' | 'done' | 'error' | 'size-probe', detail: Record<string, string | number>): void {
    const { o } = this;
    o.events.emit({ source: 'tftp', step, ip: o.client.address, ...(o.node ? { node: o.node } : {}), detail });
  }
}

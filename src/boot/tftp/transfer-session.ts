/**
 * One read transfer on the wire: its own UDP socket (the server's transfer
 * ID, RFC 1350 §4), the ReadTransfer state machine, the read-ahead buffer and
 * one timer. Emits the transfer's `start`, `done` and `error` events.
 *
 * Packets from any other address or port than the client's (a wrong TID) are
 * answered with ERROR 5 and otherwise ignored (RFC 1350 §4): they must not
 * end or disturb the transfer.
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
  opened: OpenedFile;
  negotiated: NegotiatedOptions;
  /** Bound, not yet listening for messages; the session owns and closes it. */
  socket: Socket;
  /** Used unless the client negotiated the timeout option. */
  timeoutMs: number;
  maxRetries: number;
  /** How much of the file to read per disk read (at least one window). */
  readAheadBytes: number;
  events: EventSink;
  log: Logger;
  /** Called once, when the transfer has ended either way and its resources are released. */
  onEnd: () => void;
}

export class TransferSession {
  private readonly o: TransferSessionOptions;
  private readonly transfer: ReadTransfer;
  private readonly reader: BlockReader;
  private readonly startedAt = performance.now();
  private timer: NodeJS.Timeout | undefined;
  private sendsInFlight = 0;
  private loading = false;
  private readonly queued: SendRange[] = [];
  private ended = false;
  private released = false;

  constructor(options: TransferSessionOptions) {
    this.o = options;
    const { negotiated, opened } = options;
    const timeoutMs = negotiated.timeoutSeconds !== undefined ? negotiated.timeoutSeconds * 1000 : options.timeoutMs;
    this.transfer = new ReadTransfer(
      {
        size: opened.size,
        blksize: negotiated.blksize,
        windowsize: negotiated.windowsize,
        timeoutMs,
        maxRetries: options.maxRetries,
        sendOack: negotiated.acknowledged.length > 0,
      },
      () => performance.now(),
    );
    const slots = Math.max(negotiated.windowsize, Math.ceil(options.readAheadBytes / negotiated.blksize));
    this.reader = new BlockReader(opened, opened.size, negotiated.blksize, slots, () => this.sendsInFlight > 0);
  }

  start(): void {
    const { o } = this;
    o.socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo.address, rinfo.port));
    o.socket.on('error', (e) => this.fail(`socket error: ${e.message}`, false));
    this.emit('start', { file: o.file, blksize: o.negotiated.blksize, windowsize: o.negotiated.windowsize, tsize: o.opened.size });
    o.log.debug('tftp transfer started', { file: o.file, ip: o.client.address, blksize: o.negotiated.blksize, windowsize: o.negotiated.windowsize });
    this.timer = setTimeout(() => this.onTimer(), this.transfer.settings.timeoutMs);
    this.send(this.transfer.start());
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
    if (range) {
      this.send(range);
    } else {
      // Woke a little early (timer granularity): sleep the rest.
      this.timer = setTimeout(() => this.onTimer(), Math.max(1, this.transfer.deadline - performance.now()));
    }
  }

  private send(range: SendRange): void {
    this.timer?.refresh();
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
    this.sendsInFlight++;
    this.o.socket.send(packet, this.o.client.port, this.o.client.address, this.afterSend);
  }

  private readonly afterSend = (): void => {
    // A failed send is like a lost packet: the timer resends it.
    this.sendsInFlight--;
  };

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    const durationMs = Math.round(performance.now() - this.startedAt);
    const { o } = this;
    this.emit('done', { file: o.file, bytes: o.opened.size, durationMs, retransmits: this.transfer.retransmits });
    o.log.debug('tftp transfer done', { file: o.file, ip: o.client.address, bytes: o.opened.size, durationMs, retransmits: this.transfer.retransmits });
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
    if (tellClient) {
      try {
        o.socket.send(encodeError(errorCodes.notDefined, reason), o.client.port, o.client.address, () => this.release());
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
    try {
      this.o.socket.close();
    } catch {
      // already closed
    }
    // FileHandle.close waits for a read still in flight, so the fd is never reused under it.
    this.o.opened.close().catch(() => {});
    this.o.onEnd();
  }

  private emit(step: 'start' | 'done' | 'error', detail: Record<string, string | number>): void {
    const { o } = this;
    o.events.emit({ source: 'tftp', step, ip: o.client.address, ...(o.node ? { node: o.node } : {}), detail });
  }
}

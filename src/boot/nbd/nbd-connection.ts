/**
 * One NBD client on its TCP socket: feeds the socket's bytes to the
 * handshake and then to the request parser, looks exports up, reads the
 * export's file and writes the replies. The protocol decisions are made in
 * handshake.ts and transmission.ts; this file owns the I/O, the flow
 * control and the connection's lifetime.
 *
 * Reads: the export's file is opened once, when NBD_OPT_GO (or
 * NBD_OPT_EXPORT_NAME) selects it, before the success reply is sent, so a
 * file that cannot be opened is still an error the client can see. Each
 * READ is one positional read (positional-reader.ts: on the event loop when
 * the page cache has the data, else in libuv's thread pool) into a buffer
 * that already holds the reply header, so a reply is one socket write.
 * Several reads of one connection can be under way at once; their replies
 * leave in request order (simple replies in order are what every client
 * handles). An open descriptor keeps working when the file is unlinked,
 * which is what happens when a version is removed while nodes still run
 * from it; a read that fails anyway (I/O error, file truncated) is answered
 * EIO and the connection carries on.
 *
 * Flow control: every reply byte is counted from the moment its buffer is
 * taken until the socket has handed it to the kernel: being read, waiting
 * its turn, or in the socket's buffer. A connection holds at most
 * maxQueuedBytes of them (READs are read and sent in pieces of
 * replyPieceBytes, so a 32 MiB READ does not need 32 MiB at once), and each
 * READ piece is also taken from the server-wide budget (byte-budget.ts),
 * waiting in line when it is spent. While a connection waits for either, or
 * has maxInFlightReads reads in the thread pool, it reads no new requests:
 * its socket is paused and the kernel pushes back on the client through
 * TCP. A client pipelining a thousand 32 MiB READs thus costs
 * maxQueuedBytes, not 32 GiB, and a thousand such clients cost the server
 * budget, not the machine.
 *
 * A client that stops reading its replies keeps its budget until it is
 * dropped: when replies wait in the socket and none has been taken by the
 * kernel for drainTimeoutMs, the connection is closed ('drain-timeout') and
 * its bytes go back to the others. A legitimate node reads its replies as
 * fast as it asked for them; one that does not is broken or hostile.
 *
 * Ending: NBD_CMD_DISC or a client that half-closes gets its outstanding
 * replies, then the socket is ended; a protocol violation closes at once.
 * The descriptor is closed only when no read is using it any more.
 */
import { close as closeFd, fstat, open } from 'node:fs';
import type { Socket } from 'node:net';
import type { Logger } from '../../util/logger.ts';
import { FrameReader } from './frame-reader.ts';
import { greeting, Handshake, type ExportDescription, type HandshakeStep } from './handshake.ts';
import type { ByteBudget } from './byte-budget.ts';
import { errors, replyPieceBytes, wire, type RefusalReason } from './nbd-constants.ts';
import type { NbdExport, NbdServerOptions } from './nbd-server.ts';
import type { PositionalReader } from './positional-reader.ts';
import type { ReplyBuffers } from './reply-buffers.ts';
import { RequestParser, simpleReply, writeSimpleReplyHeader, type TransmissionStep } from './transmission.ts';

export interface ConnectionDeps {
  exportFor: NbdServerOptions['exportFor'];
  listExports?: NbdServerOptions['listExports'];
  log: Logger;
  events?: NbdServerOptions['events'];
  handshakeTimeoutMs: number;
  /** Reads export files; shared by the server's connections (its cold-cache detection is server-wide). */
  files: PositionalReader;
  /** Where READ reply buffers come from and go back to once written. */
  buffers: ReplyBuffers;
  /** Every refusal, by reason (NbdServer.stats().refused). */
  onRefused(reason: RefusalReason): void;
  /** Every request parsed in the transmission phase. */
  onRequest(): void;
  /** Data bytes sent in READ replies. */
  onBytesRead(bytes: number): void;
  /** The server-wide budget of reply bytes; READ pieces are taken from it. */
  budget: ByteBudget;
  /** Reply bytes this connection may hold (being read, waiting their turn, in the socket's buffer). */
  maxQueuedBytes: number;
  /** Replies waiting in the socket and none taken by the kernel for this long: the connection is closed. */
  drainTimeoutMs: number;
  /** Reads in the thread pool at once. Default 64. */
  maxInFlightReads?: number;
  /** Replies not yet written (each costs bookkeeping beyond its bytes, so tiny error replies are bounded too). Default 1024. */
  maxQueuedReplies?: number;
}

/** Replies ready to send are written once this many bytes have piled up, even in the middle of a burst of requests. */
const flushBytes = 1024 * 1024;

/** Option replies the client has not taken beyond which the handshake stops reading options (NBD_OPT_LIST answers can be large). */
const maxUnsentHandshakeBytes = 64 * 1024;

/** Refusals that end a connection (or stop a node from attaching) are worth an event; per-option ones are only counted. */
const eventworthy = new Set<RefusalReason>([
  'handshake-timeout', 'not-fixed-newstyle', 'unknown-client-flags', 'bad-option-magic', 'too-many-options',
  'unknown-export', 'export-unavailable', 'bad-request-magic', 'write-too-large', 'drain-timeout',
]);

type Phase = 'handshake' | 'transmission' | 'draining' | 'closed';

interface Slot {
  bytes: Buffer;
  ready: boolean;
  /** Export bytes carried (READ replies). */
  data: number;
  /** Bytes taken from the server's budget for this buffer (READ pieces; 0 for header-only replies). */
  charged: number;
  /** A piece of a READ sent in several: once one piece may be on the wire, a failure can only close the connection. */
  piece: boolean;
}

/** A READ whose pieces are not all started yet. */
interface PendingRead {
  handle: Buffer;
  offset: number;
  length: number;
  started: number;
}

/** A client in the transmission phase, as `berth boot status` shows it. */
export interface NbdClientStatus {
  ip: string;
  export: string;
  since: string;
  requests: number;
  bytes: number;
}

export class NbdConnection {
  /** Resolves when the socket is closed and the file descriptor released (or about to be, once reads finish). */
  readonly closed: Promise<void>;
  private resolveClosed!: () => void;
  private readonly socket: Socket;
  private readonly deps: ConnectionDeps;
  private readonly log: Logger;
  private readonly ip: string;
  private readonly reader = new FrameReader();
  private readonly handshake: Handshake;
  private parser: RequestParser | undefined;
  private phase: Phase = 'handshake';
  private awaiting = false;
  private timer: NodeJS.Timeout | undefined;
  private endReason = 'client-closed';
  /** The client half-closed: serve what it sent, then close. */
  private clientDone = false;

  private fd: number | undefined;
  private served: (ExportDescription & { via: string }) | undefined;
  /** The export name of the latest lookup, for refusal events. */
  private asked: string | undefined;
  private readonly startedAt = Date.now();
  private requests = 0;
  private bytes = 0;

  private readonly queue: (Slot | undefined)[] = [];
  private head = 0;
  /** Reads in the thread pool. */
  private inFlightReads = 0;
  /** Bytes of the replies in `queue` (being read or waiting for their turn). */
  private pendingBytes = 0;
  /** Bytes and number of the replies in `queue` or in the socket's buffer: what the connection's budget bounds. */
  private queuedBytes = 0;
  private queuedReplies = 0;
  /** Budget bytes of replies handed to the socket and not yet written by it. */
  private unwrittenCharged = 0;
  private nextRead: PendingRead | undefined;
  /** Waiting in line for the server's budget: the way out of the line. */
  private cancelWait: (() => void) | undefined;
  /** Budget bytes granted from the line for the next piece, not yet used. */
  private grantedBytes = 0;
  /** Paused until a reply is written (or a read or grant arrives). */
  private waitingForWrites = false;
  /** The handshake stopped reading options until the client takes its replies. */
  private pausedForOutput = false;
  /** Replies the socket has finished writing: progress, for the drain timeout. */
  private writesDone = 0;
  private drainTimer: NodeJS.Timeout | undefined;
  /** The socket closed and everything it held was given back. */
  private swept = false;
  private readonly maxInFlightReads: number;
  private readonly maxQueuedReplies: number;

  constructor(socket: Socket, deps: ConnectionDeps) {
    this.socket = socket;
    this.deps = deps;
    this.ip = clientAddress(socket.remoteAddress);
    this.log = deps.log.child({ ip: this.ip, port: socket.remotePort });
    this.handshake = new Handshake(this.reader, { canList: deps.listExports !== undefined });
    this.maxInFlightReads = deps.maxInFlightReads ?? 64;
    this.maxQueuedReplies = deps.maxQueuedReplies ?? 1024;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  /** Undefined until the client has chosen an export. */
  status(): NbdClientStatus | undefined {
    if (!this.served) return undefined;
    return { ip: this.ip, export: this.served.name, since: new Date(this.startedAt).toISOString(), requests: this.requests, bytes: this.bytes };
  }

  start(): void {
    const s = this.socket;
    s.on('data', (chunk: Buffer) => this.received(chunk));
    s.on('end', () => this.clientEnded());
    s.on('drain', () => this.pump());
    s.on('error', (e) => this.log.debug('NBD connection error', { error: e }));
    s.on('close', () => this.socketClosed());
    this.timer = setTimeout(() => this.handshakeTimedOut(), this.deps.handshakeTimeoutMs);
    this.timer.unref();
    this.log.debug('NBD client connected');
    this.send(greeting());
  }

  /** Server stopping: finish outstanding replies (up to graceMs), then close. */
  shutdown(graceMs: number): void {
    if (this.phase === 'closed') return;
    this.endReason = 'server-stop';
    if (this.phase === 'handshake') {
      this.socket.destroy();
      return;
    }
    this.drain();
    setTimeout(() => this.socket.destroy(), graceMs).unref();
  }

  private received(chunk: Buffer): void {
    if (this.phase !== 'handshake' && this.phase !== 'transmission') return;
    this.reader.push(chunk);
    this.pump();
  }

  /** Moves whichever phase is current as far as the buffered bytes allow. Never throws. */
  private pump(): void {
    try {
      if (this.phase === 'handshake') this.pumpHandshake();
      if (this.phase === 'transmission') this.pumpTransmission();
      if (this.phase === 'draining') this.flush();
    } catch (e) {
      // A bug, not the client's doing; it must cost this connection only.
      this.log.error('NBD connection failed', { error: e });
      this.endReason = 'error';
      this.socket.destroy();
    }
  }

  // ---- handshake ---------------------------------------------------------

  private pumpHandshake(): void {
    while (this.phase === 'handshake' && !this.awaiting) {
      if (this.socket.writableLength >= maxUnsentHandshakeBytes) {
        // A client asking for listings it does not read: read no more options until it does ('drain' pumps again).
        this.socket.pause();
        this.pausedForOutput = true;
        return;
      }
      const step = this.handshake.next();
      if (!step) {
        if (this.pausedForOutput) {
          this.pausedForOutput = false;
          this.socket.resume();
        }
        return;
      }
      this.handshakeStep(step);
    }
  }

  private handshakeStep(step: HandshakeStep): void {
    switch (step.kind) {
      case 'reply':
        if (step.refused) this.refused(step.refused);
        this.send(step.bytes);
        return;
      case 'close':
        if (step.refused) this.refused(step.refused, step.why);
        this.log.debug('NBD handshake ended', { why: step.why });
        this.endReason = step.refused ?? 'abort';
        this.phase = 'closed';
        this.reader.clear();
        if (step.bytes) this.socket.end(step.bytes, () => this.socket.destroy());
        else this.socket.destroy();
        return;
      case 'lookup':
      case 'list': {
        this.awaiting = true;
        this.socket.pause();
        const answer = step.kind === 'list' ? this.listExports() : this.lookUp(step.purpose, step.name);
        answer
          .then((next) => {
            this.awaiting = false;
            if (this.phase !== 'handshake' || !next) return;
            this.handshakeStep(next);
            if (this.phase === 'handshake') this.socket.resume();
            this.pump();
          })
          .catch((e: unknown) => {
            // A bug, not the client's doing (lookup failures are answered inside lookUp).
            this.log.error('NBD handshake failed', { error: e });
            this.endReason = 'error';
            this.socket.destroy();
          });
        return;
      }
      case 'transmission':
        this.enterTransmission(step);
        return;
    }
  }

  /** Resolves an export for INFO, GO or EXPORT_NAME; for the latter two the file is opened here. */
  private async lookUp(purpose: 'info' | 'go' | 'export-name', name: string): Promise<HandshakeStep | undefined> {
    this.asked = name;
    let found: NbdExport | undefined;
    try {
      found = await this.deps.exportFor(name);
    } catch (e) {
      this.log.error('NBD export lookup failed', { export: name, error: e });
      return this.handshake.exportMissing('export-unavailable', `export "${name}" cannot be looked up now (server error)`);
    }
    if (!found) return this.handshake.exportMissing('unknown-export', `no export named "${name}" on this server`);
    if (typeof found.name !== 'string' || typeof found.path !== 'string' || found.path === '' || !Number.isSafeInteger(found.size) || found.size < 0) {
      this.log.error('NBD export is misconfigured', { export: name, path: found.path, size: found.size });
      return this.handshake.exportMissing('export-unavailable', `export "${name}" is misconfigured on the server`);
    }
    const description: ExportDescription = { name: found.name, size: found.size };
    if (found.description !== undefined) description.description = found.description;
    if (purpose === 'info') return this.handshake.exportFound(description);

    let fd: number;
    try {
      fd = await openForReading(found.path, found.size);
    } catch (e) {
      this.log.warn('NBD export file cannot be served', { export: name, path: found.path, error: e });
      const code = (e as { code?: unknown }).code;
      return this.handshake.exportMissing('export-unavailable', `export "${name}" cannot be served now${typeof code === 'string' ? ` (${code})` : ''}`);
    }
    if (this.phase !== 'handshake') {
      closeFd(fd, () => {});
      return undefined;
    }
    this.fd = fd;
    this.served = { ...description, via: purpose };
    return this.handshake.exportFound(description);
  }

  private async listExports(): Promise<HandshakeStep> {
    try {
      const all = await this.deps.listExports!();
      if (!Array.isArray(all)) throw new TypeError('listExports() did not return an array');
      return this.handshake.exportsListed(all);
    } catch (e) {
      this.log.error('NBD export listing failed', { error: e });
      return this.handshake.listFailed('the export list is not available now (server error)');
    }
  }

  private enterTransmission(step: Extract<HandshakeStep, { kind: 'transmission' }>): void {
    clearTimeout(this.timer);
    this.send(step.bytes);
    this.phase = 'transmission';
    this.parser = new RequestParser(this.reader, step.export.size);
    this.log.debug('NBD client attached', { export: step.export.name, via: step.via, size: step.export.size });
    this.emit('attach', { export: step.export.name, via: step.via, size: step.export.size });
  }

  private handshakeTimedOut(): void {
    if (this.phase !== 'handshake') return;
    this.refused('handshake-timeout', `no export selected within ${this.deps.handshakeTimeoutMs} ms`);
    this.endReason = 'handshake-timeout';
    this.socket.destroy();
  }

  // ---- transmission ------------------------------------------------------

  private pumpTransmission(): void {
    while (this.phase === 'transmission') {
      if (this.pendingBytes >= flushBytes) this.flush();
      if (this.nextRead) {
        if (this.continueRead()) continue;
      } else if (!this.blocked()) {
        const step = this.parser!.next();
        if (!step) {
          if (this.clientDone) this.drain();
          else this.socket.resume();
          break;
        }
        this.request(step);
        continue;
      }
      // Over a budget: read no more requests until replies are written, reads finish or the line grants bytes.
      this.socket.pause();
      this.waitingForWrites = true;
      break;
    }
    this.flush();
  }

  private blocked(): boolean {
    return this.inFlightReads >= this.maxInFlightReads || this.queuedBytes >= this.deps.maxQueuedBytes || this.queuedReplies >= this.maxQueuedReplies;
  }

  private request(step: TransmissionStep): void {
    switch (step.kind) {
      case 'read':
        this.count();
        this.nextRead = { handle: step.handle, offset: step.offset, length: step.length, started: 0 };
        return;
      case 'reply':
        this.count();
        if (step.refused) this.refused(step.refused);
        this.enqueue({ bytes: simpleReply(step.handle, step.error), ready: true, data: 0, charged: 0, piece: false });
        return;
      case 'disconnect':
        this.count();
        this.endReason = 'disconnect';
        this.drain();
        return;
      case 'close':
        this.refused(step.refused, step.why);
        this.endReason = step.refused;
        this.phase = 'closed';
        this.socket.destroy();
        return;
    }
  }

  private count(): void {
    this.requests++;
    this.deps.onRequest();
  }

  /** Starts the next piece of `nextRead` when both budgets have room for it; false when it must wait. */
  private continueRead(): boolean {
    const r = this.nextRead!;
    if (this.inFlightReads >= this.maxInFlightReads || this.cancelWait) return false;
    const first = r.started === 0;
    const length = Math.min(replyPieceBytes, r.length - r.started);
    const size = (first ? wire.simpleReply : 0) + length;
    if (this.grantedBytes > 0) {
      this.grantedBytes = 0; // granted for exactly this piece: nothing was queued while waiting
    } else {
      if (this.queuedBytes + size > this.deps.maxQueuedBytes) return false;
      if (!this.deps.budget.tryTake(size)) {
        this.cancelWait = this.deps.budget.wait(size, () => {
          this.cancelWait = undefined;
          this.grantedBytes = size;
          this.pump();
        });
        return false;
      }
    }
    const slot: Slot = { bytes: this.deps.buffers.take(size), ready: false, data: length, charged: size, piece: r.length > replyPieceBytes };
    if (first) writeSimpleReplyHeader(slot.bytes, r.handle, errors.OK);
    const position = r.offset + r.started;
    r.started += length;
    if (r.started === r.length) this.nextRead = undefined;
    this.enqueue(slot);
    this.readPiece(slot, first ? wire.simpleReply : 0, length, position);
    return true;
  }

  private readPiece(slot: Slot, at: number, length: number, position: number): void {
    let returned = false;
    this.deps.files.read(this.fd!, slot.bytes, at, length, position, (e) => {
      if (returned) this.inFlightReads--;
      if (this.swept) {
        // Closed while the thread pool read: the buffer is free only now.
        this.deps.budget.give(slot.charged);
        this.deps.buffers.give(slot.bytes);
        this.releaseFile();
        return;
      }
      slot.ready = true;
      if (this.phase === 'closed') {
        // Closing (the socket's close, which gives the slot back, is on its way): nothing more to answer.
        this.releaseFile();
        return;
      }
      if (e) {
        this.refused('read-failed');
        this.log.warn('NBD read failed', { export: this.served?.name, offset: position, length, error: e });
        if (slot.piece) {
          // Part of this reply may be on the wire already, and a simple reply cannot take it back (proto.md): close.
          this.endReason = 'read-failed';
          this.phase = 'closed';
          this.socket.destroy();
          return;
        }
        // The header has not been sent yet, so the error can still go in it (proto.md: no payload after an error).
        const error = simpleReply(slot.bytes.subarray(8, 16), errors.EIO);
        this.pendingBytes -= slot.bytes.length - error.length;
        this.queuedBytes -= slot.bytes.length - error.length;
        this.deps.budget.give(slot.charged);
        this.deps.buffers.give(slot.bytes);
        slot.bytes = error;
        slot.charged = 0;
        slot.data = 0;
      }
      if (returned) this.pump(); // else read on the event loop: the pump loop that asked sends the reply
    });
    returned = true;
    if (!slot.ready) this.inFlightReads++;
  }

  private enqueue(slot: Slot): void {
    this.queue.push(slot);
    this.pendingBytes += slot.bytes.length;
    this.queuedBytes += slot.bytes.length;
    this.queuedReplies++;
  }

  /** The socket has handed a reply to the kernel (or given up on it): its bytes go back to both budgets. */
  private written(bytes: Buffer, charged: number): void {
    this.writesDone++;
    if (charged > 0) this.deps.buffers.give(bytes);
    if (this.swept) return;
    this.queuedBytes -= bytes.length;
    this.queuedReplies--;
    if (charged > 0) {
      this.unwrittenCharged -= charged;
      this.deps.budget.give(charged);
    }
    if (this.waitingForWrites) {
      this.waitingForWrites = false;
      this.pump();
    }
  }

  /** Sends every reply at the head of the queue that is ready, in request order. */
  private flush(): void {
    if (this.phase === 'closed') return;
    let corked = false;
    while (this.head < this.queue.length) {
      const slot = this.queue[this.head]!;
      if (!slot.ready) break;
      this.queue[this.head++] = undefined;
      this.pendingBytes -= slot.bytes.length;
      if (!corked && this.head < this.queue.length && this.queue[this.head]!.ready) {
        this.socket.cork();
        corked = true;
      }
      const { bytes, charged } = slot;
      this.unwrittenCharged += charged;
      this.socket.write(bytes, () => this.written(bytes, charged));
      if (slot.data > 0) {
        this.bytes += slot.data;
        this.deps.onBytesRead(slot.data);
      }
    }
    if (corked) this.socket.uncork();
    this.watchDrain();
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
      this.pendingBytes = 0;
      if (this.phase === 'draining') {
        this.phase = 'closed';
        this.socket.end(() => this.socket.destroy());
      }
    } else if (this.head > 1024) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }

  /** No more requests will be read; close once every outstanding reply is sent. */
  private drain(): void {
    if (this.phase === 'closed') return;
    this.phase = 'draining';
    this.socket.pause();
    this.reader.clear();
    this.stopWaiting();
    this.flush();
  }

  /** Forgets a READ not fully started (only stop() cuts one short) and leaves the budget's line. */
  private stopWaiting(): void {
    this.nextRead = undefined;
    this.cancelWait?.();
    this.cancelWait = undefined;
    if (this.grantedBytes > 0) this.deps.budget.give(this.grantedBytes);
    this.grantedBytes = 0;
  }

  /** While replies wait in the socket, checks every drainTimeoutMs that the client took at least one. */
  private watchDrain(): void {
    if (this.drainTimer || this.socket.writableLength === 0) return;
    const seen = this.writesDone;
    this.drainTimer = setTimeout(() => {
      this.drainTimer = undefined;
      if (this.phase === 'closed' || this.socket.writableLength === 0) return;
      if (this.writesDone !== seen) return this.watchDrain();
      this.refused('drain-timeout', `${this.socket.writableLength} bytes of replies not taken within ${this.deps.drainTimeoutMs} ms`);
      this.endReason = 'drain-timeout';
      this.phase = 'closed';
      this.socket.destroy();
    }, this.deps.drainTimeoutMs);
    this.drainTimer.unref();
  }

  private clientEnded(): void {
    // The client will send nothing more (allowHalfOpen): answer what it asked for, then close.
    if (this.phase === 'handshake') {
      this.phase = 'closed';
      this.socket.destroy();
    } else if (this.phase === 'transmission') {
      this.clientDone = true;
      this.pump();
    }
  }

  // ---- lifetime ----------------------------------------------------------

  private socketClosed(): void {
    clearTimeout(this.timer);
    clearTimeout(this.drainTimer);
    this.phase = 'closed';
    this.reader.clear();
    this.stopWaiting();
    // Give back what this connection held. Replies still being read are given back when their read ends (readPiece).
    this.swept = true;
    for (let i = this.head; i < this.queue.length; i++) {
      const slot = this.queue[i];
      if (!slot?.ready) continue;
      this.deps.budget.give(slot.charged);
      if (slot.charged > 0) this.deps.buffers.give(slot.bytes);
    }
    this.deps.budget.give(this.unwrittenCharged);
    this.unwrittenCharged = 0;
    this.queue.length = 0;
    this.head = 0;
    this.pendingBytes = 0;
    if (this.served && this.parser) {
      const detail = { export: this.served.name, requests: this.requests, bytes: this.bytes, durationMs: Date.now() - this.startedAt, reason: this.endReason };
      this.log.debug('NBD client detached', detail);
      this.emit('detach', detail);
    } else {
      this.log.debug('NBD client disconnected', { reason: this.endReason });
    }
    this.releaseFile();
    this.resolveClosed();
  }

  private releaseFile(): void {
    if (this.fd === undefined || this.inFlightReads > 0) return;
    closeFd(this.fd, () => {});
    this.fd = undefined;
  }

  private send(bytes: Buffer): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(bytes);
  }

  private refused(reason: RefusalReason, why?: string): void {
    this.deps.onRefused(reason);
    if (!eventworthy.has(reason)) return;
    this.log.debug('NBD refused', { reason, why });
    const detail: Record<string, string> = { reason };
    const name = this.served?.name ?? this.asked;
    if (name !== undefined) detail['export'] = name;
    if (why) detail['why'] = why;
    this.emit('refused', detail);
  }

  private emit(step: string, detail: Record<string, string | number | boolean>): void {
    try {
      this.deps.events?.emit({ source: 'nbd', step, ip: this.ip, detail });
    } catch (e) {
      this.log.warn('NBD event sink failed', { error: e });
    }
  }
}

/** Opens an export's file for positional reads; it must be a regular file holding at least `size` bytes. */
function openForReading(path: string, size: number): Promise<number> {
  return new Promise((resolve, reject) => {
    open(path, 'r', (e, fd) => {
      if (e) return reject(e);
      fstat(fd, (e2, st) => {
        const problem = e2 ?? (!st.isFile() ? Object.assign(new Error(`${path} is not a regular file`), { code: 'ENOTREG' }) : st.size < size ? Object.assign(new Error(`${path} holds ${st.size} bytes, the export says ${size}`), { code: 'ESHORT' }) : undefined);
        if (problem) {
          closeFd(fd, () => {});
          reject(problem);
        } else {
          resolve(fd);
        }
      });
    });
  });
}

/** "::ffff:10.0.0.5" → "10.0.0.5": IPv4 clients of a dual-stack listener, as the rest of berth names them. */
export function clientAddress(address: string | undefined): string {
  if (!address) return 'unknown';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

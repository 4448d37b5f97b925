/**
 * The sending side of one read transfer, as a state machine: given ACKs and
 * the time, it says which blocks to (re)send and when the transfer is over.
 * Pure and clock-injected; the session (transfer-session.ts) does the I/O.
 *
 * Blocks are numbered absolutely here (1, 2, ... `totalBlocks`); the 16-bit
 * wire number is `block & 0xffff`, so after 65535 the wire number wraps to 0,
 * as tftp-hpa does. Block "0" stands for the OACK, which the client
 * acknowledges with ACK 0 (RFC 2347 §2).
 *
 * - Windows (RFC 7440): up to `windowsize` blocks go out before waiting. An
 *   ACK for any block of the window moves the window to the block after it;
 *   an ACK short of the window's end is how the client reports a gap.
 * - Sorcerer's apprentice (RFC 1123 §4.2.3.1): a duplicate ACK never
 *   triggers a resend. Only the timer resends, so a delayed packet cannot
 *   double every later packet.
 * - ACKs outside [last acknowledged, last sent] are stale or bogus: ignored.
 * - First reply: until the client acknowledges the OACK or DATA 1, the
 *   transfer is given up `firstAckTimeoutMs` after that reply first went
 *   out, however many resends the interval allows by then. A client that is
 *   there answers in milliseconds; one that never answers (a flood of bare
 *   requests) should not hold its slot for the full retry schedule, nor for
 *   the 255 s × retries an RFC 2349 timeout could ask for. The interval
 *   itself stays the negotiated one: no resend comes sooner than asked.
 * - End (RFC 1350 §6): the last block is shorter than blksize; when the size
 *   is a multiple of blksize that block is empty. The transfer is done when
 *   it is acknowledged.
 */

import { BerthError } from '../../errors.ts';

export interface ReadTransferSettings {
  size: number;
  blksize: number;
  windowsize: number;
  /** Wait for an ACK this long before resending the outstanding window. */
  timeoutMs: number;
  /** Resends of the same window before giving up. */
  maxRetries: number;
  /** Give up if the first reply is not acknowledged this long after start(). Default: no such limit. */
  firstAckTimeoutMs?: number;
  /** Options were acknowledged: send an OACK first and wait for ACK 0. */
  sendOack: boolean;
}

/** Blocks to send now, `first`..`last` inclusive; `first === 0` means the OACK. */
export interface SendRange {
  first: number;
  last: number;
}

export type TransferState = 'running' | 'done' | 'failed';

export class ReadTransfer {
  readonly settings: ReadTransferSettings;
  /** Blocks in the file, including the final short (possibly empty) one. */
  readonly totalBlocks: number;
  state: TransferState = 'running';
  /** Why the transfer failed, for people. */
  failure = '';
  /** Blocks (or OACKs) sent more than once: after a timeout, or when a partial ACK restarts a window. */
  retransmits = 0;
  duplicateAcks = 0;
  ignoredAcks = 0;

  private readonly now: () => number;
  /** Highest block acknowledged; -1 before ACK 0 of an OACK. */
  private acked: number;
  /** Highest block of the current window. */
  private sent: number;
  /** Highest block ever sent, to tell first sends from resends. */
  private maxSent: number;
  private retries = 0;
  private deadlineAt = Infinity;
  /** When the first reply must have been acknowledged by; Infinity once it has been. */
  private firstAckBy = Infinity;

  constructor(settings: ReadTransferSettings, now: () => number) {
    if (!(settings.blksize >= 1) || !(settings.windowsize >= 1) || !(settings.size >= 0)) {
      throw new BerthError('BERTH_INTERNAL', `bad TFTP transfer settings ${JSON.stringify(settings)}`);
    }
    this.settings = settings;
    this.now = now;
    this.totalBlocks = Math.floor(settings.size / settings.blksize) + 1;
    this.acked = settings.sendOack ? -1 : 0;
    this.sent = this.acked;
    this.maxSent = this.acked;
  }

  /** Bytes of `block` in the file. */
  blockOffset(block: number): number {
    return (block - 1) * this.settings.blksize;
  }

  blockLength(block: number): number {
    return Math.max(0, Math.min(this.settings.blksize, this.settings.size - this.blockOffset(block)));
  }

  /** When `onTimeout` should be called; Infinity once the transfer is over. */
  get deadline(): number {
    return this.deadlineAt;
  }

  /** Bytes acknowledged by the client so far. */
  get bytesAcknowledged(): number {
    return this.acked <= 0 ? 0 : Math.min(this.settings.size, this.acked * this.settings.blksize);
  }

  start(): SendRange {
    this.firstAckBy = this.now() + (this.settings.firstAckTimeoutMs ?? Infinity);
    if (this.settings.sendOack) {
      this.sent = 0;
      this.maxSent = 0;
      this.armTimer();
      return { first: 0, last: 0 };
    }
    return this.nextWindow()!;
  }

  /** Feeds a client ACK (16-bit wire number); returns what to send next, if anything. */
  onAck(wireBlock: number): SendRange | undefined {
    if (this.state !== 'running') return undefined;
    // The only absolute block in [acked, acked + 65535] with this wire number.
    const block = this.acked + ((((wireBlock - this.acked) % 65536) + 65536) % 65536);
    if (block === this.acked) {
      this.duplicateAcks++;
      return undefined;
    }
    if (block > this.sent) {
      this.ignoredAcks++;
      return undefined;
    }
    this.acked = block;
    this.retries = 0;
    this.firstAckBy = Infinity;
    if (block === this.totalBlocks) {
      this.state = 'done';
      this.deadlineAt = Infinity;
      return undefined;
    }
    return this.nextWindow();
  }

  /** Call when `deadline` has passed: resends the outstanding blocks, or fails after `maxRetries`. */
  onTimeout(): SendRange | undefined {
    if (this.state !== 'running' || this.now() < this.deadlineAt) return undefined;
    const waitingFor = this.acked < 0 ? 'the OACK' : `block ${this.acked + 1}`;
    if (this.now() >= this.firstAckBy) {
      this.state = 'failed';
      this.deadlineAt = Infinity;
      this.failure = `no acknowledgement of ${waitingFor} within ${this.settings.firstAckTimeoutMs} ms (${this.retries} retransmission(s))`;
      return undefined;
    }
    if (this.retries >= this.settings.maxRetries) {
      this.state = 'failed';
      this.deadlineAt = Infinity;
      this.failure = `no acknowledgement of ${waitingFor} after ${this.retries} retransmission(s), ${this.settings.timeoutMs} ms apart`;
      return undefined;
    }
    this.retries++;
    const first = this.acked + 1;
    this.retransmits += this.sent - first + 1;
    this.armTimer();
    return { first, last: this.sent };
  }

  /** The client gave up (ERROR packet) or the file could not be read. */
  abort(reason: string): void {
    if (this.state !== 'running') return;
    this.state = 'failed';
    this.failure = reason;
    this.deadlineAt = Infinity;
  }

  private nextWindow(): SendRange | undefined {
    const first = this.acked + 1;
    const last = Math.min(this.totalBlocks, this.acked + this.settings.windowsize);
    if (first <= this.maxSent) this.retransmits += Math.min(last, this.maxSent) - first + 1;
    this.sent = last;
    this.maxSent = Math.max(this.maxSent, last);
    this.armTimer();
    return { first, last };
  }

  private armTimer(): void {
    this.deadlineAt = Math.min(this.now() + this.settings.timeoutMs, this.firstAckBy);
  }
}

/** The 16-bit block number on the wire (RFC 1350), wrapping to 0 like tftp-hpa. */
export function wireBlock(block: number): number {
  return block & 0xffff;
}

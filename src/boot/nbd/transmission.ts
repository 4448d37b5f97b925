/**
 * The transmission phase of NBD (proto.md §Transmission) for a read-only
 * export: requests in, decisions out, no sockets or files. The connection
 * (nbd-connection.ts) performs the reads and writes the replies; this file
 * decides what each request means and builds reply headers.
 *
 * Every reply is a simple reply: berth refuses NBD_OPT_STRUCTURED_REPLY, so
 * the protocol forbids it to send anything else.
 *
 * Decisions, by request type:
 *   - READ: served when 1 ≤ length ≤ blockSize.maximum (32 MiB, advertised
 *     in NBD_INFO_BLOCK_SIZE) and offset + length ≤ export size; otherwise
 *     EINVAL (proto.md: a server SHOULD report EINVAL for requests larger
 *     than its advertised maximum). The only flag accepted is FUA, which some
 *     clients set on everything and which means nothing without writes; DF
 *     needs structured replies, so any other flag is EINVAL.
 *   - WRITE, TRIM, WRITE_ZEROES: EPERM, as the spec asks of a read-only
 *     export. A WRITE's payload is skipped without being stored; a WRITE
 *     announcing more than 32 MiB is a hard disconnect (proto.md allows one
 *     for payloads "large enough to be deemed a denial of service attack"
 *     and lengths below 2^25 are exactly what it says not to treat so).
 *   - FLUSH: success. Nothing was ever written, so nothing is unflushed.
 *     berth does not advertise SEND_FLUSH (see nbd-constants.ts), but a
 *     client that sends it anyway loses nothing by being told "done".
 *   - DISC: the client is leaving; the caller finishes outstanding replies
 *     and closes. No reply (proto.md: there is no reply to NBD_CMD_DISC).
 *   - CACHE, BLOCK_STATUS, RESIZE, unknown: EINVAL ("SHOULD return EINVAL
 *     if it receives an unknown command"); BLOCK_STATUS needs metadata
 *     contexts that were never negotiated.
 *   - A request that does not start with NBD_REQUEST_MAGIC: the stream can
 *     no longer be framed, so the connection is closed.
 */
import type { FrameReader } from './frame-reader.ts';
import { blockSize, commandFlags, commands, errors, NBD_REQUEST_MAGIC, NBD_SIMPLE_REPLY_MAGIC, wire, type NbdError, type RefusalReason } from './nbd-constants.ts';

export type TransmissionStep =
  /** Read `length` bytes at `offset` and send them after a reply header for `handle`. */
  | { kind: 'read'; handle: Buffer; offset: number; length: number }
  /** Send a simple reply without data (an error, or success of a FLUSH). */
  | { kind: 'reply'; handle: Buffer; error: NbdError; refused?: RefusalReason }
  /** NBD_CMD_DISC: finish outstanding replies, then close. */
  | { kind: 'disconnect' }
  /** Protocol violation: close now. */
  | { kind: 'close'; refused: RefusalReason; why: string };

export interface RequestParserOptions {
  /** Largest READ served and WRITE payload skipped. Default blockSize.maximum (32 MiB). */
  maxLength?: number;
}

type State = { at: 'header' } | { at: 'write-payload'; handle: Buffer; left: number } | { at: 'done' };

export class RequestParser {
  private readonly reader: FrameReader;
  private readonly size: number;
  private readonly maxLength: number;
  private state: State = { at: 'header' };

  constructor(reader: FrameReader, exportSize: number, opts: RequestParserOptions = {}) {
    this.reader = reader;
    this.size = exportSize;
    this.maxLength = opts.maxLength ?? blockSize.maximum;
  }

  /** True after DISC or a protocol violation: nothing more will be parsed. */
  get finished(): boolean {
    return this.state.at === 'done';
  }

  /** The next request's decision, or undefined until more bytes arrive. */
  next(): TransmissionStep | undefined {
    for (;;) {
      const s = this.state;
      if (s.at === 'done') return undefined;
      if (s.at === 'write-payload') {
        s.left -= this.reader.skip(s.left);
        if (s.left > 0) return undefined;
        this.state = { at: 'header' };
        return { kind: 'reply', handle: s.handle, error: errors.EPERM, refused: 'read-only' };
      }

      const h = this.reader.take(wire.request);
      if (!h) return undefined;
      if (h.readUInt32BE(0) !== NBD_REQUEST_MAGIC) {
        this.state = { at: 'done' };
        return { kind: 'close', refused: 'bad-request-magic', why: `request magic 0x${h.readUInt32BE(0).toString(16)} is not NBD_REQUEST_MAGIC` };
      }
      const flags = h.readUInt16BE(4);
      const type = h.readUInt16BE(6);
      const handle = h.subarray(8, 16);
      // Exact below 2^53; above, still larger than any export, which is all the bounds check needs.
      const offset = h.readUInt32BE(16) * 0x100000000 + h.readUInt32BE(20);
      const length = h.readUInt32BE(24);

      switch (type) {
        case commands.READ:
          if ((flags & ~commandFlags.FUA) !== 0) return refuse(handle, errors.EINVAL, 'bad-command-flags');
          if (length === 0 || length > this.maxLength) return refuse(handle, errors.EINVAL, 'bad-length');
          if (offset > this.size - length) return refuse(handle, errors.EINVAL, 'out-of-range');
          return { kind: 'read', handle, offset, length };
        case commands.WRITE:
          if (length > this.maxLength) {
            this.state = { at: 'done' };
            return { kind: 'close', refused: 'write-too-large', why: `NBD_CMD_WRITE announcing ${length} bytes of payload` };
          }
          this.state = { at: 'write-payload', handle, left: length };
          continue;
        case commands.TRIM:
        case commands.WRITE_ZEROES:
          return refuse(handle, errors.EPERM, 'read-only');
        case commands.FLUSH:
          if ((flags & ~commandFlags.FUA) !== 0) return refuse(handle, errors.EINVAL, 'bad-command-flags');
          return { kind: 'reply', handle, error: errors.OK };
        case commands.DISC:
          this.state = { at: 'done' };
          return { kind: 'disconnect' };
        default:
          return refuse(handle, errors.EINVAL, 'unknown-command');
      }
    }
  }
}

function refuse(handle: Buffer, error: NbdError, refused: RefusalReason): TransmissionStep {
  return { kind: 'reply', handle, error, refused };
}

/** Writes the 16-byte simple reply header (magic, error, handle) at the start of `target`. */
export function writeSimpleReplyHeader(target: Buffer, handle: Buffer, error: number): void {
  target.writeUInt32BE(NBD_SIMPLE_REPLY_MAGIC, 0);
  target.writeUInt32BE(error, 4);
  handle.copy(target, 8, 0, 8);
}

/** A simple reply without data. */
export function simpleReply(handle: Buffer, error: number): Buffer {
  const out = Buffer.allocUnsafe(wire.simpleReply);
  writeSimpleReplyHeader(out, handle, error);
  return out;
}

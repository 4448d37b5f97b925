/**
 * The NBD handshake as berth's server plays it: "fixed newstyle" negotiation
 * (proto.md §Fixed newstyle negotiation) from the greeting to the moment the
 * connection enters the transmission phase. Pure: bytes come in through a
 * FrameReader, steps come out (bytes to send, an export to look up, a
 * connection to close), so it is unit-tested and fuzzed without sockets.
 *
 * Where the machine needs to know about exports it stops with a `lookup` or
 * `list` step and waits until the caller answers (exportFound,
 * exportMissing, exportsListed, listFailed): the lookup is the caller's
 * business (a store, a directory, a test's Map) and may be asynchronous.
 *
 * What berth accepts, and why:
 *   - Fixed newstyle only. A client that does not set
 *     NBD_FLAG_C_FIXED_NEWSTYLE would break on the first reply to an option
 *     it does not know, and every client of the last decade sets it
 *     (libnbd, qemu, nbd-client). Unknown client flags: the spec says the
 *     server MUST drop the connection. Oldstyle clients never get this far:
 *     they see IHAVEOPT instead of an export size and hang up.
 *   - NBD_OPT_GO / NBD_OPT_INFO: NBD_INFO_EXPORT (always, it is mandatory),
 *     NBD_INFO_BLOCK_SIZE (always: berth's 32 MiB maximum is not the
 *     default, and the spec says a server SHOULD advertise non-default
 *     constraints; clients ignore information they did not ask for),
 *     NBD_INFO_NAME and NBD_INFO_DESCRIPTION when asked.
 *   - NBD_OPT_EXPORT_NAME: the old way in. It cannot carry an error, so an
 *     unknown export closes the connection (proto.md: the server MUST
 *     terminate the session).
 *   - NBD_OPT_LIST only when the caller can list exports; otherwise
 *     NBD_REP_ERR_POLICY ("known, but not allowed here").
 *   - NBD_OPT_ABORT: NBD_REP_ACK, then close.
 *   - Everything else (STRUCTURED_REPLY, STARTTLS, meta contexts, extended
 *     headers, unknown numbers): NBD_REP_ERR_UNSUP. Clients fall back to
 *     simple replies and plain text; TLS adds nothing here because dm-verity
 *     and dm-crypt on the node already protect what is served.
 *   - Limits: an option payload above maxOptionLength is skipped without
 *     being stored and answered NBD_REP_ERR_TOO_BIG; more than maxOptions
 *     options is treated as a denial of service (the spec allows a hard
 *     disconnect for that).
 */
import { BerthError } from '../../errors.ts';
import type { FrameReader } from './frame-reader.ts';
import {
  blockSize,
  clientFlags,
  exportTransmissionFlags,
  handshakeFlags,
  infoTypes,
  maxOptionLength,
  maxStringBytes,
  NBD_INIT_PASSWD,
  NBD_OPTS_MAGIC,
  NBD_REP_MAGIC,
  options,
  replies,
  wire,
  type RefusalReason,
} from './nbd-constants.ts';

/** What the handshake needs to know about an export. */
export interface ExportDescription {
  name: string;
  /** Bytes; a safe integer. */
  size: number;
  description?: string;
}

export type OptionPurpose = 'export-name' | 'info' | 'go';

export type HandshakeStep =
  /** Send `bytes`; negotiation continues. `refused` when the reply is an error. */
  | { kind: 'reply'; bytes: Buffer; refused?: RefusalReason }
  /** Look up export `name`, then call exportFound or exportMissing. */
  | { kind: 'lookup'; purpose: OptionPurpose; name: string }
  /** List the exports, then call exportsListed or listFailed. */
  | { kind: 'list' }
  /** Send `bytes` (if any), then close the connection. `why` is for the log. */
  | { kind: 'close'; bytes?: Buffer; refused?: RefusalReason; why: string }
  /** Send `bytes`, then serve `export` in the transmission phase (reading on from the same FrameReader). */
  | { kind: 'transmission'; bytes: Buffer; via: 'go' | 'export-name'; export: ExportDescription };

export interface HandshakeOptions {
  /** Whether NBD_OPT_LIST is answered (with a `list` step) or refused with NBD_REP_ERR_POLICY. */
  canList: boolean;
  /** Largest option payload read into memory. Default maxOptionLength (4096). */
  maxOptionLength?: number;
  /** Options per connection before berth hangs up. Default 4096. */
  maxOptions?: number;
}

type State =
  | { at: 'client-flags' }
  | { at: 'option-header' }
  | { at: 'option-data'; option: number; length: number }
  | { at: 'option-skip'; option: number; length: number; left: number }
  | { at: 'awaiting-export'; purpose: OptionPurpose; option: number; name: string; wanted: Set<number> }
  | { at: 'awaiting-list' }
  | { at: 'done' };

/** The 18 bytes the server sends first: NBDMAGIC, IHAVEOPT, handshake flags. */
export function greeting(): Buffer {
  const out = Buffer.alloc(wire.greeting);
  out.writeBigUInt64BE(NBD_INIT_PASSWD, 0);
  out.writeBigUInt64BE(NBD_OPTS_MAGIC, 8);
  out.writeUInt16BE(handshakeFlags.FIXED_NEWSTYLE | handshakeFlags.NO_ZEROES, 16);
  return out;
}

export class Handshake {
  private readonly reader: FrameReader;
  private readonly canList: boolean;
  private readonly maxOptionLength: number;
  private readonly maxOptions: number;
  private state: State = { at: 'client-flags' };
  private noZeroes = false;
  private optionsSeen = 0;

  constructor(reader: FrameReader, opts: HandshakeOptions) {
    this.reader = reader;
    this.canList = opts.canList;
    this.maxOptionLength = Math.min(opts.maxOptionLength ?? maxOptionLength, 0xffffffff);
    this.maxOptions = opts.maxOptions ?? 4096;
  }

  /** True once the machine has ended: transmission entered or connection to be closed. */
  get finished(): boolean {
    return this.state.at === 'done';
  }

  /** True while a lookup or list is unanswered; next() returns undefined meanwhile. */
  get waiting(): boolean {
    return this.state.at === 'awaiting-export' || this.state.at === 'awaiting-list';
  }

  /** The next thing to do, or undefined until more bytes arrive (or an answer is given). */
  next(): HandshakeStep | undefined {
    for (;;) {
      const s = this.state;
      switch (s.at) {
        case 'client-flags': {
          const b = this.reader.take(wire.clientFlags);
          if (!b) return undefined;
          const flags = b.readUInt32BE(0);
          const known = clientFlags.FIXED_NEWSTYLE | clientFlags.NO_ZEROES;
          if ((flags & ~known) !== 0) {
            return this.close('unknown-client-flags', `client flags 0x${flags.toString(16)} include bits berth does not offer`);
          }
          if ((flags & clientFlags.FIXED_NEWSTYLE) === 0) {
            return this.close('not-fixed-newstyle', 'client does not speak fixed newstyle negotiation (NBD_FLAG_C_FIXED_NEWSTYLE unset); berth serves fixed newstyle only');
          }
          this.noZeroes = (flags & clientFlags.NO_ZEROES) !== 0;
          this.state = { at: 'option-header' };
          continue;
        }
        case 'option-header': {
          const h = this.reader.take(wire.optionHeader);
          if (!h) return undefined;
          if (h.readBigUInt64BE(0) !== NBD_OPTS_MAGIC) {
            return this.close('bad-option-magic', 'an option did not start with IHAVEOPT');
          }
          const option = h.readUInt32BE(8);
          const length = h.readUInt32BE(12);
          if (++this.optionsSeen > this.maxOptions) {
            return this.close('too-many-options', `more than ${this.maxOptions} options in one handshake`);
          }
          if (option === options.ABORT) {
            // The client is leaving; any payload it sent is to be ignored (proto.md, NBD_OPT_ABORT).
            return this.close(undefined, 'client aborted the negotiation', optionReply(option, replies.ACK));
          }
          if (length > this.maxOptionLength) {
            if (option === options.EXPORT_NAME) {
              return this.close('option-too-large', `NBD_OPT_EXPORT_NAME with a ${length}-byte name (no error reply is possible)`);
            }
            this.state = { at: 'option-skip', option, length, left: length };
            continue;
          }
          this.state = { at: 'option-data', option, length };
          continue;
        }
        case 'option-data': {
          const data = this.reader.take(s.length);
          if (!data) return undefined;
          this.state = { at: 'option-header' };
          return this.decide(s.option, data);
        }
        case 'option-skip': {
          s.left -= this.reader.skip(s.left);
          if (s.left > 0) return undefined;
          this.state = { at: 'option-header' };
          return this.error(s.option, replies.ERR_TOO_BIG, 'option-too-large', `option payload of ${s.length} bytes is above berth's limit of ${this.maxOptionLength}`);
        }
        case 'awaiting-export':
        case 'awaiting-list':
        case 'done':
          return undefined;
      }
    }
  }

  /** Answer to a `lookup` step: the export exists and can be served. */
  exportFound(found: ExportDescription): HandshakeStep {
    const s = this.state;
    if (s.at !== 'awaiting-export') throw new BerthError('BERTH_INTERNAL', 'NBD handshake: exportFound() without a pending lookup');
    if (!Number.isSafeInteger(found.size) || found.size < 0) {
      throw new BerthError('BERTH_INTERNAL', `NBD handshake: export "${found.name}" has an invalid size ${found.size}`);
    }
    if (s.purpose === 'export-name') {
      this.state = { at: 'done' };
      const bytes = Buffer.alloc(wire.exportNameReply + (this.noZeroes ? 0 : wire.exportNameZeroes));
      bytes.writeBigUInt64BE(BigInt(found.size), 0);
      bytes.writeUInt16BE(exportTransmissionFlags, 8);
      return { kind: 'transmission', bytes, via: 'export-name', export: found };
    }

    const parts: Buffer[] = [];
    const exportInfo = Buffer.alloc(12);
    exportInfo.writeUInt16BE(infoTypes.EXPORT, 0);
    exportInfo.writeBigUInt64BE(BigInt(found.size), 2);
    exportInfo.writeUInt16BE(exportTransmissionFlags, 10);
    parts.push(optionReply(s.option, replies.INFO, exportInfo));

    const sizes = Buffer.alloc(14);
    sizes.writeUInt16BE(infoTypes.BLOCK_SIZE, 0);
    sizes.writeUInt32BE(blockSize.minimum, 2);
    sizes.writeUInt32BE(blockSize.preferred, 6);
    sizes.writeUInt32BE(blockSize.maximum, 10);
    parts.push(optionReply(s.option, replies.INFO, sizes));

    if (s.wanted.has(infoTypes.NAME)) parts.push(optionReply(s.option, replies.INFO, infoString(infoTypes.NAME, found.name)));
    if (s.wanted.has(infoTypes.DESCRIPTION) && typeof found.description === 'string' && found.description !== '') {
      parts.push(optionReply(s.option, replies.INFO, infoString(infoTypes.DESCRIPTION, found.description)));
    }
    parts.push(optionReply(s.option, replies.ACK));
    const bytes = Buffer.concat(parts);

    if (s.purpose === 'go') {
      this.state = { at: 'done' };
      return { kind: 'transmission', bytes, via: 'go', export: found };
    }
    this.state = { at: 'option-header' };
    return { kind: 'reply', bytes };
  }

  /** Answer to a `lookup` step: no such export, or it cannot be served now. */
  exportMissing(reason: 'unknown-export' | 'export-unavailable', message: string): HandshakeStep {
    const s = this.state;
    if (s.at !== 'awaiting-export') throw new BerthError('BERTH_INTERNAL', 'NBD handshake: exportMissing() without a pending lookup');
    if (s.purpose === 'export-name') return this.close(reason, message);
    this.state = { at: 'option-header' };
    return this.error(s.option, replies.ERR_UNKNOWN, reason, message);
  }

  /** Answer to a `list` step. */
  exportsListed(exports: readonly ExportDescription[]): HandshakeStep {
    if (this.state.at !== 'awaiting-list') throw new BerthError('BERTH_INTERNAL', 'NBD handshake: exportsListed() without a pending list');
    this.state = { at: 'option-header' };
    const parts: Buffer[] = [];
    for (const e of exports) {
      if (typeof e?.name !== 'string') continue;
      const name = Buffer.from(e.name, 'utf8');
      // A name no client could send back is of no use in a list.
      if (name.length > maxStringBytes || name.includes(0)) continue;
      const description = typeof e.description === 'string' ? truncatedUtf8(e.description) : Buffer.alloc(0);
      const data = Buffer.allocUnsafe(4 + name.length + description.length);
      data.writeUInt32BE(name.length, 0);
      name.copy(data, 4);
      description.copy(data, 4 + name.length);
      parts.push(optionReply(options.LIST, replies.SERVER, data));
    }
    parts.push(optionReply(options.LIST, replies.ACK));
    return { kind: 'reply', bytes: Buffer.concat(parts) };
  }

  /** Answer to a `list` step when the exports could not be listed. */
  listFailed(message: string): HandshakeStep {
    if (this.state.at !== 'awaiting-list') throw new BerthError('BERTH_INTERNAL', 'NBD handshake: listFailed() without a pending list');
    this.state = { at: 'option-header' };
    return this.error(options.LIST, replies.ERR_POLICY, 'list-failed', message);
  }

  private decide(option: number, data: Buffer): HandshakeStep {
    switch (option) {
      case options.EXPORT_NAME: {
        const name = decodeName(data);
        if (name === undefined) return this.close('invalid-option', 'NBD_OPT_EXPORT_NAME with a name that is not UTF-8 without NUL');
        this.state = { at: 'awaiting-export', purpose: 'export-name', option, name, wanted: new Set() };
        return { kind: 'lookup', purpose: 'export-name', name };
      }
      case options.INFO:
      case options.GO: {
        const request = parseInfoRequest(data);
        if (typeof request === 'string') return this.error(option, replies.ERR_INVALID, 'invalid-option', request);
        const purpose = option === options.GO ? 'go' : 'info';
        this.state = { at: 'awaiting-export', purpose, option, name: request.name, wanted: request.wanted };
        return { kind: 'lookup', purpose, name: request.name };
      }
      case options.LIST: {
        if (data.length !== 0) return this.error(option, replies.ERR_INVALID, 'invalid-option', 'NBD_OPT_LIST takes no data');
        if (!this.canList) return this.error(option, replies.ERR_POLICY, 'list-disabled', 'this server does not list its exports');
        this.state = { at: 'awaiting-list' };
        return { kind: 'list' };
      }
      default:
        return this.error(option, replies.ERR_UNSUP, 'unsupported-option', `option ${optionName(option)} is not supported by berth`);
    }
  }

  private error(option: number, type: number, refused: RefusalReason, message: string): HandshakeStep {
    return { kind: 'reply', bytes: optionReply(option, type, truncatedUtf8(message)), refused };
  }

  private close(refused: RefusalReason | undefined, why: string, bytes?: Buffer): HandshakeStep {
    this.state = { at: 'done' };
    const step: HandshakeStep = { kind: 'close', why };
    if (refused) step.refused = refused;
    if (bytes) step.bytes = bytes;
    return step;
  }
}

/** One option reply: magic, option, reply type, length, data. */
export function optionReply(option: number, type: number, data?: Buffer): Buffer {
  const length = data ? data.length : 0;
  const out = Buffer.allocUnsafe(wire.optionReplyHeader + length);
  out.writeBigUInt64BE(NBD_REP_MAGIC, 0);
  out.writeUInt32BE(option >>> 0, 8);
  out.writeUInt32BE(type >>> 0, 12);
  out.writeUInt32BE(length, 16);
  if (data) data.copy(out, wire.optionReplyHeader);
  return out;
}

/**
 * NBD_OPT_INFO / NBD_OPT_GO data: 32-bit name length, name, 16-bit count,
 * count × 16-bit information types. Returns a message when malformed.
 */
function parseInfoRequest(data: Buffer): { name: string; wanted: Set<number> } | string {
  if (data.length < 6) return `option data of ${data.length} bytes is shorter than the 6 bytes required`;
  const nameLength = data.readUInt32BE(0);
  if (nameLength > data.length - 6) return `name length ${nameLength} runs past the option data`;
  const name = decodeName(data.subarray(4, 4 + nameLength));
  if (name === undefined) return 'export name is not UTF-8 without NUL';
  const count = data.readUInt16BE(4 + nameLength);
  if (4 + nameLength + 2 + count * 2 !== data.length) return `${count} information requests do not match the option length`;
  const wanted = new Set<number>();
  for (let i = 0; i < count; i++) wanted.add(data.readUInt16BE(4 + nameLength + 2 + i * 2));
  return { name, wanted };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Export names are UTF-8 and MUST NOT contain NUL (proto.md §Conventions). */
function decodeName(bytes: Buffer): string | undefined {
  if (bytes.includes(0)) return undefined;
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

function infoString(type: number, text: string): Buffer {
  const body = truncatedUtf8(text);
  const out = Buffer.allocUnsafe(2 + body.length);
  out.writeUInt16BE(type, 0);
  body.copy(out, 2);
  return out;
}

/** UTF-8 bytes of `text`, NULs removed, cut at a character boundary to maxStringBytes. */
function truncatedUtf8(text: string): Buffer {
  let out = Buffer.from(text.replaceAll('\0', ''), 'utf8');
  if (out.length <= maxStringBytes) return out;
  let end = maxStringBytes;
  while (end > 0 && (out[end]! & 0xc0) === 0x80) end--; // back to the start of a character
  out = out.subarray(0, end);
  return out;
}

const optionNames = new Map<number, string>(Object.entries(options).map(([name, value]) => [value, `NBD_OPT_${name}`]));

function optionName(option: number): string {
  return optionNames.get(option) ?? String(option);
}

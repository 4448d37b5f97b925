/**
 * TFTP packets: bytes in, typed packets out, and back. Pure, no I/O.
 *
 *   RFC 1350  RRQ(1) WRQ(2) DATA(3) ACK(4) ERROR(5)
 *   RFC 2347  OACK(6) and the option list appended to RRQ/WRQ
 *
 * Parsing only ever throws TftpPacketError (a BerthError) and never reads past
 * the buffer: every field is bounds-checked against `bytes.length` first.
 * What the options *mean* (blksize, tsize, timeout, windowsize) is decided in
 * options.ts; here they are just name/value strings.
 *
 * Leniency, on purpose, because PXE ROMs in the field are sloppy:
 * - option names are case-insensitive (RFC 2347) and lower-cased here;
 * - bytes after the last complete option pair (padding, a name without a
 *   value) are ignored rather than failing the whole request;
 * - ACK and ERROR tolerate trailing bytes, ERROR a missing final NUL.
 */
import { BerthError } from '../../errors.ts';

export const opcodes = { rrq: 1, wrq: 2, data: 3, ack: 4, error: 5, oack: 6 } as const;

/** RFC 1350 §5 error codes, plus 8 from RFC 2347. */
export const errorCodes = {
  notDefined: 0,
  fileNotFound: 1,
  accessViolation: 2,
  diskFull: 3,
  illegalOperation: 4,
  unknownTransferId: 5,
  fileExists: 6,
  noSuchUser: 7,
  optionNegotiation: 8,
} as const;

export type TftpErrorCode = (typeof errorCodes)[keyof typeof errorCodes];

/** RFC 1350 transfer modes; "mail" is obsolete but still a legal word on the wire. */
export type TransferMode = 'netascii' | 'octet' | 'mail';

export interface TftpOption {
  /** Lower-cased. */
  name: string;
  value: string;
}

export interface RequestPacket {
  opcode: 'rrq' | 'wrq';
  filename: string;
  mode: TransferMode;
  /** In wire order, duplicates kept; options.ts decides what to do with them. */
  options: TftpOption[];
}

export interface DataPacket {
  opcode: 'data';
  /** 16-bit wire block number. */
  block: number;
  /** A view into the parsed buffer, not a copy. */
  data: Uint8Array;
}

export interface AckPacket {
  opcode: 'ack';
  block: number;
}

export interface ErrorPacket {
  opcode: 'error';
  code: number;
  message: string;
}

export interface OackPacket {
  opcode: 'oack';
  options: TftpOption[];
}

export type TftpPacket = RequestPacket | DataPacket | AckPacket | ErrorPacket | OackPacket;

/** RFC 2348: a DATA payload is never larger than this. */
export const maxBlockSize = 65464;

/** A packet that cannot be parsed; `offset` is the 0-based byte where parsing stopped. */
export class TftpPacketError extends BerthError {
  readonly offset: number;

  constructor(message: string, offset: number) {
    super('BERTH_BAD_INPUT', message, { column: offset + 1 });
    this.name = 'TftpPacketError';
    this.offset = offset;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function parsePacket(bytes: Uint8Array): TftpPacket {
  if (bytes.length < 2) throw new TftpPacketError(`TFTP packet too short: ${bytes.length} byte(s), need at least 2 for the opcode`, 0);
  const opcode = (bytes[0]! << 8) | bytes[1]!;
  switch (opcode) {
    case opcodes.rrq:
      return parseRequest(bytes, 'rrq');
    case opcodes.wrq:
      return parseRequest(bytes, 'wrq');
    case opcodes.data:
      if (bytes.length < 4) throw new TftpPacketError('TFTP DATA packet has no block number', bytes.length);
      if (bytes.length - 4 > maxBlockSize) throw new TftpPacketError(`TFTP DATA payload of ${bytes.length - 4} bytes exceeds ${maxBlockSize}`, 4);
      return { opcode: 'data', block: (bytes[2]! << 8) | bytes[3]!, data: bytes.subarray(4) };
    case opcodes.ack:
      if (bytes.length < 4) throw new TftpPacketError('TFTP ACK packet has no block number', bytes.length);
      return { opcode: 'ack', block: (bytes[2]! << 8) | bytes[3]! };
    case opcodes.error: {
      if (bytes.length < 4) throw new TftpPacketError('TFTP ERROR packet has no error code', bytes.length);
      let end = bytes.indexOf(0, 4);
      if (end < 0) end = bytes.length;
      return { opcode: 'error', code: (bytes[2]! << 8) | bytes[3]!, message: latin1(bytes, 4, end) };
    }
    case opcodes.oack:
      return { opcode: 'oack', options: parseOptions(bytes, 2) };
    default:
      throw new TftpPacketError(`unknown TFTP opcode ${opcode}`, 0);
  }
}

function parseRequest(bytes: Uint8Array, opcode: 'rrq' | 'wrq'): RequestPacket {
  const label = opcode.toUpperCase();
  const nameEnd = bytes.indexOf(0, 2);
  if (nameEnd < 0) throw new TftpPacketError(`TFTP ${label}: file name is not terminated by a NUL byte`, bytes.length);
  if (nameEnd === 2) throw new TftpPacketError(`TFTP ${label}: empty file name`, 2);
  let filename: string;
  try {
    filename = utf8.decode(bytes.subarray(2, nameEnd));
  } catch {
    throw new TftpPacketError(`TFTP ${label}: file name is not valid UTF-8`, 2);
  }
  const modeEnd = bytes.indexOf(0, nameEnd + 1);
  if (modeEnd < 0) throw new TftpPacketError(`TFTP ${label}: transfer mode is not terminated by a NUL byte`, bytes.length);
  const mode = latin1(bytes, nameEnd + 1, modeEnd).toLowerCase();
  if (mode !== 'octet' && mode !== 'netascii' && mode !== 'mail') {
    throw new TftpPacketError(`TFTP ${label}: unknown transfer mode ${JSON.stringify(mode)} (expected octet or netascii)`, nameEnd + 1);
  }
  return { opcode, filename, mode, options: parseOptions(bytes, modeEnd + 1) };
}

/** RFC 2347 §2: name NUL value NUL, repeated. Stops at the first incomplete pair or empty name. */
function parseOptions(bytes: Uint8Array, start: number): TftpOption[] {
  const options: TftpOption[] = [];
  let at = start;
  while (at < bytes.length) {
    const nameEnd = bytes.indexOf(0, at);
    if (nameEnd <= at) break; // empty name (NUL padding) or no terminator
    const valueEnd = bytes.indexOf(0, nameEnd + 1);
    if (valueEnd < 0) break;
    options.push({ name: latin1(bytes, at, nameEnd).toLowerCase(), value: latin1(bytes, nameEnd + 1, valueEnd) });
    at = valueEnd + 1;
  }
  return options;
}

function latin1(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');
}

// ---- encoding -----------------------------------------------------------------

export function encodePacket(packet: TftpPacket): Buffer {
  switch (packet.opcode) {
    case 'rrq':
    case 'wrq':
      return encodeRequest(packet);
    case 'data':
      return encodeData(packet.block, packet.data);
    case 'ack':
      return encodeAck(packet.block);
    case 'error':
      return encodeError(packet.code, packet.message);
    case 'oack':
      return encodeOack(packet.options);
  }
}

export function encodeRequest(request: Omit<RequestPacket, 'options'> & { options?: TftpOption[] }): Buffer {
  const parts = [u16(opcodes[request.opcode]), Buffer.from(request.filename, 'utf8'), zero, Buffer.from(request.mode, 'latin1'), zero];
  for (const o of request.options ?? []) parts.push(Buffer.from(o.name, 'latin1'), zero, Buffer.from(o.value, 'latin1'), zero);
  return Buffer.concat(parts);
}

export function encodeData(block: number, data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(4 + data.length);
  writeDataHeader(out, 0, block);
  out.set(data, 4);
  return out;
}

/** Writes the 4-byte DATA header in place, so a read buffer can double as the packet (no copy). */
export function writeDataHeader(target: Uint8Array, at: number, block: number): void {
  target[at] = 0;
  target[at + 1] = opcodes.data;
  target[at + 2] = (block >> 8) & 0xff;
  target[at + 3] = block & 0xff;
}

export function encodeAck(block: number): Buffer {
  return Buffer.from([0, opcodes.ack, (block >> 8) & 0xff, block & 0xff]);
}

export function encodeError(code: number, message: string): Buffer {
  // Messages are for the person at the console; keep them ASCII-safe and bounded.
  const text = Buffer.from(message.replace(/[^\x20-\x7e]/g, '?').slice(0, 400), 'latin1');
  return Buffer.concat([u16(opcodes.error), u16(code), text, zero]);
}

export function encodeOack(options: TftpOption[]): Buffer {
  const parts = [u16(opcodes.oack)];
  for (const o of options) parts.push(Buffer.from(o.name, 'latin1'), zero, Buffer.from(o.value, 'latin1'), zero);
  return Buffer.concat(parts);
}

const zero = Buffer.from([0]);

function u16(n: number): Buffer {
  return Buffer.from([(n >> 8) & 0xff, n & 0xff]);
}

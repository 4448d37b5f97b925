/**
 * The BOOTP/DHCP message (RFC 2131 §2, RFC 951): a fixed 236-byte header, the
 * magic cookie 99.130.83.99, then options. Option 52 (overload, RFC 2132
 * §9.3) lets options continue in the `file` and `sname` header fields.
 *
 * parsePacket never reads past the buffer and throws nothing but
 * DhcpParseError. serializePacket keeps within the client's maximum message
 * size and only moves options into `file`/`sname` when allowed.
 */
import { formatIpv4, parseIpv4 } from '../../util/ipv4.ts';
import { decodeOptionArea, DhcpOptions, encodedOptionLength, encodeOption, Option } from './options.ts';
import { DhcpParseError } from './parse-error.ts';

export const BOOTREQUEST = 1;
export const BOOTREPLY = 2;
/** RFC 2131 §2: the leftmost bit of `flags`. */
export const BROADCAST_FLAG = 0x8000;

const MAGIC_COOKIE = 0x63825363;
const SNAME_OFFSET = 44;
const SNAME_LENGTH = 64;
const FILE_OFFSET = 108;
const FILE_LENGTH = 128;
const HEADER_LENGTH = 236;
const OPTIONS_OFFSET = 240;
/** RFC 1542 §2.1: BOOTP messages are at least 300 bytes; some relays and ROMs drop shorter ones. */
const MIN_MESSAGE_LENGTH = 300;
/**
 * RFC 2131 §2: every client accepts an options field of 312 bytes, i.e. a
 * 548-byte message (a 576-byte IP datagram minus 28 bytes of IP and UDP
 * headers). Option 57 counts the same way (RFC 2132 §9.10), and values below
 * 576 are illegal, so this is also the floor.
 */
export const DEFAULT_MAX_MESSAGE = 548;
const IP_UDP_HEADERS = 28;

export interface DhcpPacket {
  op: number;
  htype: number;
  hlen: number;
  hops: number;
  xid: number;
  secs: number;
  flags: number;
  ciaddr: string;
  yiaddr: string;
  siaddr: string;
  giaddr: string;
  /** All 16 bytes; the hardware address is the first `hlen`. */
  chaddr: Buffer;
  /** Text up to the first NUL; '' when the field carries options (overload). */
  sname: string;
  file: string;
  options: DhcpOptions;
}

export function parsePacket(buf: Buffer): DhcpPacket {
  if (buf.length < HEADER_LENGTH) throw new DhcpParseError('truncated-header', `${buf.length} bytes is shorter than the 236-byte BOOTP header`, buf.length);
  if (buf.length < OPTIONS_OFFSET || buf.readUInt32BE(HEADER_LENGTH) !== MAGIC_COOKIE) {
    throw new DhcpParseError('no-magic-cookie', 'no DHCP magic cookie after the header (plain BOOTP is not served)', HEADER_LENGTH);
  }
  const hlen = buf[2]!;
  if (hlen > 16) throw new DhcpParseError('bad-hlen', `hardware address length ${hlen} exceeds the 16-byte chaddr field`, 2);

  const options = new DhcpOptions();
  const overload = decodeOptionArea(buf, OPTIONS_OFFSET, buf.length, options, 'options');
  // RFC 3396 §7: the aggregate is options field, then file, then sname.
  if (overload !== undefined && overload & 1) decodeOptionArea(buf, FILE_OFFSET, FILE_OFFSET + FILE_LENGTH, options, 'file');
  if (overload !== undefined && overload & 2) decodeOptionArea(buf, SNAME_OFFSET, SNAME_OFFSET + SNAME_LENGTH, options, 'sname');

  return {
    op: buf[0]!,
    htype: buf[1]!,
    hlen,
    hops: buf[3]!,
    xid: buf.readUInt32BE(4),
    secs: buf.readUInt16BE(8),
    flags: buf.readUInt16BE(10),
    ciaddr: formatIpv4(buf.readUInt32BE(12)),
    yiaddr: formatIpv4(buf.readUInt32BE(16)),
    siaddr: formatIpv4(buf.readUInt32BE(20)),
    giaddr: formatIpv4(buf.readUInt32BE(24)),
    chaddr: Buffer.from(buf.subarray(28, 44)),
    sname: overload !== undefined && overload & 2 ? '' : cString(buf, SNAME_OFFSET, SNAME_LENGTH),
    file: overload !== undefined && overload & 1 ? '' : cString(buf, FILE_OFFSET, FILE_LENGTH),
    options,
  };
}

function cString(buf: Buffer, offset: number, length: number): string {
  const nul = buf.indexOf(0, offset);
  const end = nul === -1 || nul > offset + length ? offset + length : nul;
  return buf.toString('latin1', offset, end);
}

export interface SerializeOptions {
  /** Option 57 of the request, if any: the largest message the client takes. */
  maxMessageSize?: number;
  /**
   * May options spill into `file`/`sname` (option 52)? Only when the client
   * shows it understands overload; PXE ROMs are known not to. Fields that
   * carry a boot file or server name are never used.
   */
  allowOverload?: boolean;
}

export interface Serialized {
  bytes: Buffer;
  /** Option codes left out because they did not fit. */
  omitted: number[];
}

/** Maximum DHCP message (without IP/UDP headers) for a client's option 57. */
export function messageBudget(maxMessageSize: number | undefined): number {
  if (maxMessageSize === undefined) return DEFAULT_MAX_MESSAGE;
  return Math.max(DEFAULT_MAX_MESSAGE, Math.min(maxMessageSize, 65_535) - IP_UDP_HEADERS);
}

interface Area {
  start: number;
  end: number;
  at: number;
}

export function serializePacket(p: DhcpPacket, opts: SerializeOptions = {}): Serialized {
  const budget = messageBudget(opts.maxMessageSize);
  const options = new Map<number, Buffer>();
  for (const code of p.options.codes()) options.set(code, p.options.get(code)!);
  options.delete(Option.overload);

  // A boot file name longer than the field travels as option 67 (RFC 2132 §9.5).
  let file = Buffer.from(p.file, 'latin1');
  if (file.length >= FILE_LENGTH) {
    options.set(Option.bootfileName, file);
    file = Buffer.alloc(0);
  }
  const sname = Buffer.from(p.sname, 'latin1').subarray(0, SNAME_LENGTH - 1);

  const ordered = orderForWire([...options.keys()]);
  const out = Buffer.alloc(Math.max(budget, MIN_MESSAGE_LENGTH));
  const wanted = ordered.reduce((n, code) => n + encodedOptionLength(options.get(code)!), 0);

  const main: Area = { start: OPTIONS_OFFSET, end: budget - 1, at: OPTIONS_OFFSET };
  const areas: Area[] = [main];
  let fileArea: Area | undefined;
  let snameArea: Area | undefined;
  if (wanted > main.end - main.start && opts.allowOverload) {
    main.end -= 3; // room for option 52 itself
    if (file.length === 0) areas.push((fileArea = { start: FILE_OFFSET, end: FILE_OFFSET + FILE_LENGTH - 1, at: FILE_OFFSET }));
    if (sname.length === 0) areas.push((snameArea = { start: SNAME_OFFSET, end: SNAME_OFFSET + SNAME_LENGTH - 1, at: SNAME_OFFSET }));
  }

  // Decide placement by importance (relay information must survive: without
  // it the relay cannot route the reply), then write each area in wire order.
  const omitted: number[] = [];
  const placed = new Map<Area, number[]>(areas.map((a) => [a, []]));
  const room = new Map<Area, number>(areas.map((a) => [a, a.end - a.start]));
  for (const code of orderForPlacement(ordered)) {
    const length = encodedOptionLength(options.get(code)!);
    const area = areas.find((a) => room.get(a)! >= length);
    if (area === undefined) {
      omitted.push(code);
      continue;
    }
    room.set(area, room.get(area)! - length);
    placed.get(area)!.push(code);
  }
  for (const area of areas) {
    const codes = new Set(placed.get(area));
    for (const code of ordered) if (codes.has(code)) area.at = encodeOption(code, options.get(code)!, out, area.at);
  }

  const overload = (fileArea && fileArea.at > fileArea.start ? 1 : 0) | (snameArea && snameArea.at > snameArea.start ? 2 : 0);
  if (overload !== 0) main.at = encodeOption(Option.overload, Buffer.from([overload]), out, main.at);
  out[main.at++] = Option.end;
  if (overload & 1) out[fileArea!.at] = Option.end;
  else file.copy(out, FILE_OFFSET);
  if (overload & 2) out[snameArea!.at] = Option.end;
  else sname.copy(out, SNAME_OFFSET);

  out[0] = p.op;
  out[1] = p.htype;
  out[2] = p.hlen;
  out[3] = p.hops;
  out.writeUInt32BE(p.xid >>> 0, 4);
  out.writeUInt16BE(p.secs & 0xffff, 8);
  out.writeUInt16BE(p.flags & 0xffff, 10);
  out.writeUInt32BE(parseIpv4(p.ciaddr) ?? 0, 12);
  out.writeUInt32BE(parseIpv4(p.yiaddr) ?? 0, 16);
  out.writeUInt32BE(parseIpv4(p.siaddr) ?? 0, 20);
  out.writeUInt32BE(parseIpv4(p.giaddr) ?? 0, 24);
  p.chaddr.copy(out, 28, 0, 16);
  out.writeUInt32BE(MAGIC_COOKIE, HEADER_LENGTH);

  return { bytes: out.subarray(0, Math.max(main.at, MIN_MESSAGE_LENGTH)), omitted };
}

/**
 * Message type first (clients look for it first; RFC 2131 §4.1 asks for it in
 * every message), relay agent information last (RFC 3046 §2.2), the rest in
 * the order the handler added them, which is its order of importance.
 */
function orderForWire(codes: number[]): number[] {
  const rank = (c: number) => (c === Option.messageType ? 0 : c === Option.serverId ? 1 : c === Option.relayAgentInfo ? 3 : 2);
  return codes.map((code, i) => ({ code, i })).sort((a, b) => rank(a.code) - rank(b.code) || a.i - b.i).map((x) => x.code);
}

function orderForPlacement(wireOrder: number[]): number[] {
  const important: number[] = [Option.messageType, Option.serverId, Option.relayAgentInfo];
  const first = wireOrder.filter((c) => important.includes(c));
  return [...first, ...wireOrder.filter((c) => !first.includes(c))];
}

/** The hardware address of an Ethernet client in colon form; undefined for other hardware. */
export function clientMac(p: DhcpPacket): string | undefined {
  if (p.htype !== 1 || p.hlen !== 6) return undefined;
  return macText(p.chaddr.subarray(0, 6));
}

export function macText(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += (i ? ':' : '') + bytes[i]!.toString(16).padStart(2, '0');
  return out;
}

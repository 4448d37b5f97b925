/**
 * DHCP options (RFC 2132) as a code → bytes map, and typed accessors for the
 * ones berth reads.
 *
 * RFC 3396: a long option may be split into several instances of the same
 * code; the receiver concatenates them in the order options field → `file`
 * → `sname`. The map therefore always holds the *concatenated* value, and
 * the encoder splits values longer than 255 bytes the same way.
 *
 * Accessors return undefined when an option is absent and throw a
 * DhcpParseError when it is present but malformed (wrong length, bad type
 * byte): the caller decides whether that option matters enough to drop the
 * packet.
 */
import { formatIpv4, parseIpv4 } from '../../util/ipv4.ts';
import { DhcpParseError } from './parse-error.ts';

export const Option = {
  pad: 0,
  subnetMask: 1,
  router: 3,
  dnsServers: 6,
  hostname: 12,
  domainName: 15,
  broadcastAddress: 28,
  ntpServers: 42,
  vendorSpecific: 43,
  requestedAddress: 50,
  leaseTime: 51,
  overload: 52,
  messageType: 53,
  serverId: 54,
  parameterList: 55,
  message: 56,
  maxMessageSize: 57,
  renewalTime: 58,
  rebindingTime: 59,
  vendorClass: 60,
  clientId: 61,
  bootfileName: 67,
  userClass: 77,
  relayAgentInfo: 82,
  clientArch: 93,
  clientNdi: 94,
  clientUuid: 97,
  ipxe: 175,
  end: 255,
} as const;

/** Option 53 values (RFC 2132 §9.6). */
export const MessageType = {
  discover: 1,
  offer: 2,
  request: 3,
  decline: 4,
  ack: 5,
  nak: 6,
  release: 7,
  inform: 8,
} as const;

const messageTypeNames = ['', 'discover', 'offer', 'request', 'decline', 'ack', 'nak', 'release', 'inform'];

export function messageTypeName(type: number): string {
  return messageTypeNames[type] ?? `type-${type}`;
}

/** Where option decoding reports malformed values: they were found somewhere in the option area. */
const OPTIONS_OFFSET = 240;

export class DhcpOptions {
  readonly #values = new Map<number, Buffer>();

  get(code: number): Buffer | undefined {
    return this.#values.get(code);
  }

  has(code: number): boolean {
    return this.#values.has(code);
  }

  /** Replaces the option's value. */
  set(code: number, value: Uint8Array): this {
    this.#values.set(code, Buffer.from(value.buffer, value.byteOffset, value.byteLength));
    return this;
  }

  /** Adds one more instance: RFC 3396 concatenation. */
  append(code: number, chunk: Buffer): void {
    const before = this.#values.get(code);
    this.#values.set(code, before === undefined ? chunk : Buffer.concat([before, chunk]));
  }

  delete(code: number): boolean {
    return this.#values.delete(code);
  }

  /** Codes in the order they were first set or seen. */
  codes(): number[] {
    return [...this.#values.keys()];
  }

  get size(): number {
    return this.#values.size;
  }
}

/**
 * Decodes one option area (`options`, `file` or `sname` field) into `into`.
 * Returns the option 52 value found, if any (only meaningful for the options
 * field). Stops at End; an area may also simply run out (RFC 2131 asks for
 * End, but many stacks pad with zeros instead).
 */
export function decodeOptionArea(buf: Buffer, start: number, end: number, into: DhcpOptions, field: 'options' | 'file' | 'sname'): number | undefined {
  let overload: number | undefined;
  let i = start;
  while (i < end) {
    const code = buf[i]!;
    if (code === Option.pad) {
      i++;
      continue;
    }
    if (code === Option.end) return overload;
    if (i + 1 >= end) throw new DhcpParseError('truncated-option', `option ${code} in ${field} has no length byte`, i);
    const length = buf[i + 1]!;
    const dataStart = i + 2;
    if (dataStart + length > end) {
      throw new DhcpParseError('option-overrun', `option ${code} in ${field} claims ${length} bytes but only ${end - dataStart} remain`, i);
    }
    if (code === Option.overload) {
      // RFC 2131 §4.1: option 52 only in the options field, and only once.
      if (field !== 'options') throw new DhcpParseError('bad-overload', `option 52 (overload) inside the ${field} field`, i);
      if (length !== 1 || overload !== undefined) throw new DhcpParseError('bad-overload', 'option 52 (overload) must appear once with one byte', i);
      overload = buf[dataStart]!;
      if (overload < 1 || overload > 3) throw new DhcpParseError('bad-overload', `option 52 (overload) value ${overload} is not 1, 2 or 3`, i);
    } else {
      // Copy: the packet buffer is reused by the socket layer and fuzzers.
      into.append(code, Buffer.from(buf.subarray(dataStart, dataStart + length)));
    }
    i = dataStart + length;
  }
  return overload;
}

/** Bytes one option takes on the wire, split into 255-byte instances (RFC 3396). */
export function encodedOptionLength(value: Buffer): number {
  const instances = Math.max(1, Math.ceil(value.length / 255));
  return value.length + 2 * instances;
}

/** Writes one option (as several instances when longer than 255 bytes) at `at`; returns the next offset. */
export function encodeOption(code: number, value: Buffer, out: Buffer, at: number): number {
  let offset = 0;
  do {
    const chunk = Math.min(255, value.length - offset);
    out[at++] = code;
    out[at++] = chunk;
    value.copy(out, at, offset, offset + chunk);
    at += chunk;
    offset += chunk;
  } while (offset < value.length);
  return at;
}

// ---- encoders for reply values ---------------------------------------------

export function ipv4Bytes(addresses: readonly string[]): Buffer {
  const out = Buffer.alloc(4 * addresses.length);
  addresses.forEach((a, i) => out.writeUInt32BE(parseIpv4(a) ?? 0, 4 * i));
  return out;
}

export function uint32Bytes(n: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(n >>> 0);
  return out;
}

export function textBytes(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

/** Encapsulated sub-options (option 43, 82, 175 share this TLV form), with End. */
export function subOptionBytes(subOptions: ReadonlyArray<[number, Uint8Array]>): Buffer {
  const parts: Buffer[] = [];
  for (const [code, value] of subOptions) parts.push(Buffer.from([code, value.length]), Buffer.from(value));
  parts.push(Buffer.from([Option.end]));
  return Buffer.concat(parts);
}

// ---- typed accessors ---------------------------------------------------------

function malformed(code: number, problem: string): DhcpParseError {
  return new DhcpParseError(`malformed-option-${code}`, `option ${code} ${problem}`, OPTIONS_OFFSET);
}

function fixed(options: DhcpOptions, code: number, length: number): Buffer | undefined {
  const v = options.get(code);
  if (v !== undefined && v.length !== length) throw malformed(code, `must be ${length} bytes, got ${v.length}`);
  return v;
}

/** 53: DHCP message type. */
export function messageType(options: DhcpOptions): number | undefined {
  return fixed(options, Option.messageType, 1)?.[0];
}

/** 50: the address the client asks for. */
export function requestedAddress(options: DhcpOptions): string | undefined {
  const v = fixed(options, Option.requestedAddress, 4);
  return v && formatIpv4(v.readUInt32BE(0));
}

/** 51: lease time in seconds. */
export function leaseTime(options: DhcpOptions): number | undefined {
  return fixed(options, Option.leaseTime, 4)?.readUInt32BE(0);
}

/** 54: server identifier. */
export function serverId(options: DhcpOptions): string | undefined {
  const v = fixed(options, Option.serverId, 4);
  return v && formatIpv4(v.readUInt32BE(0));
}

/** 55: option codes the client asks for, in its order of preference. */
export function parameterList(options: DhcpOptions): number[] {
  return [...(options.get(Option.parameterList) ?? [])];
}

/** 57: largest DHCP message the client accepts. */
export function maxMessageSize(options: DhcpOptions): number | undefined {
  return fixed(options, Option.maxMessageSize, 2)?.readUInt16BE(0);
}

/** 60: vendor class identifier, e.g. `PXEClient:Arch:00007:UNDI:003016`. */
export function vendorClass(options: DhcpOptions): string | undefined {
  return options.get(Option.vendorClass)?.toString('latin1');
}

/** 61: client identifier (type byte + id), kept raw. */
export function clientId(options: DhcpOptions): Buffer | undefined {
  const v = options.get(Option.clientId);
  if (v !== undefined && v.length < 2) throw malformed(Option.clientId, `must be at least 2 bytes, got ${v.length}`);
  return v;
}

/**
 * 77: user classes. RFC 3004 encodes a list of length-prefixed strings, but
 * iPXE (and some older clients) send one plain string (`iPXE`). A value is
 * read as RFC 3004 only when its length bytes tile it exactly; otherwise it is
 * one plain string. ("iPXE" starts with 0x69 = 105, which cannot tile 4 bytes.)
 */
export function userClass(options: DhcpOptions): string[] {
  const v = options.get(Option.userClass);
  if (v === undefined || v.length === 0) return [];
  const items: string[] = [];
  let i = 0;
  while (i < v.length) {
    const n = v[i]!;
    if (n === 0 || i + 1 + n > v.length) return [v.toString('latin1')];
    items.push(v.toString('latin1', i + 1, i + 1 + n));
    i += 1 + n;
  }
  return items;
}

export interface RelayAgentInfo {
  /** The option exactly as received: RFC 3046 §2.2 says echo it unchanged. */
  raw: Buffer;
  /** Sub-option 1, hex. */
  circuitId?: string;
  /** Sub-option 2, hex. */
  remoteId?: string;
}

/** 82: relay agent information. Sub-options that do not parse are simply not reported; the raw value is still echoed. */
export function relayAgentInfo(options: DhcpOptions): RelayAgentInfo | undefined {
  const raw = options.get(Option.relayAgentInfo);
  if (raw === undefined) return undefined;
  const info: RelayAgentInfo = { raw };
  const subs = subOptions(raw);
  if (subs) {
    const circuit = subs.get(1);
    const remote = subs.get(2);
    if (circuit) info.circuitId = circuit.toString('hex');
    if (remote) info.remoteId = remote.toString('hex');
  }
  return info;
}

/** 93: client system architectures (RFC 4578), one uint16 each. */
export function clientArch(options: DhcpOptions): number[] {
  const v = options.get(Option.clientArch);
  if (v === undefined) return [];
  if (v.length === 0 || v.length % 2 !== 0) throw malformed(Option.clientArch, `must be a non-empty list of 2-byte values, got ${v.length} bytes`);
  const out: number[] = [];
  for (let i = 0; i < v.length; i += 2) out.push(v.readUInt16BE(i));
  return out;
}

export interface NetworkInterfaceId {
  /** 1 = UNDI. */
  type: number;
  major: number;
  minor: number;
}

/** 94: client network interface identifier (RFC 4578 §2.2). */
export function clientNdi(options: DhcpOptions): NetworkInterfaceId | undefined {
  const v = fixed(options, Option.clientNdi, 3);
  return v && { type: v[0]!, major: v[1]!, minor: v[2]! };
}

/**
 * 97: client machine identifier (RFC 4578 §2.3): type 0 followed by a
 * 16-byte GUID, returned in canonical lowercase form.
 *
 * Byte order: the first three fields (4, 2 and 2 bytes) are read
 * little-endian. RFC 4578 leaves the order open, but PXE ROMs and iPXE send
 * the SMBIOS UUID bytes as stored, and SMBIOS ≥ 2.6 stores those fields
 * little-endian (EFI GUID layout). Reading them that way yields the same text
 * as `dmidecode -s system-uuid` and /sys/class/dmi/id/product_uuid on the
 * booted node, which is what `id.uuid` holds, so `nodeByUuid` matches.
 */
export function clientUuid(options: DhcpOptions): string | undefined {
  const v = options.get(Option.clientUuid);
  if (v === undefined) return undefined;
  if (v.length !== 17 || v[0] !== 0) throw malformed(Option.clientUuid, `must be type 0 and 16 bytes, got ${v.length} bytes of type ${v[0] ?? 'none'}`);
  return guidText(v.subarray(1));
}

/** 16 bytes → canonical UUID text, first three fields little-endian (see clientUuid). */
export function guidText(b: Buffer): string {
  const hex = (from: number, to: number, reverse: boolean) => {
    const part = Buffer.from(b.subarray(from, to));
    return (reverse ? part.reverse() : part).toString('hex');
  };
  return `${hex(0, 4, true)}-${hex(4, 6, true)}-${hex(6, 8, true)}-${hex(8, 10, false)}-${hex(10, 16, false)}`;
}

/** 175: iPXE's encapsulated options; their presence alone says "this is iPXE". */
export function ipxeOptions(options: DhcpOptions): Map<number, Buffer> | undefined {
  const v = options.get(Option.ipxe);
  if (v === undefined) return undefined;
  const subs = subOptions(v);
  if (subs === undefined) throw malformed(Option.ipxe, 'has sub-options running past its end');
  return subs;
}

/** Encapsulated TLVs; undefined when one runs past the end. */
function subOptions(v: Buffer): Map<number, Buffer> | undefined {
  const out = new Map<number, Buffer>();
  let i = 0;
  while (i < v.length) {
    const code = v[i]!;
    if (code === Option.pad) {
      i++;
      continue;
    }
    if (code === Option.end) break;
    if (i + 1 >= v.length) return undefined;
    const n = v[i + 1]!;
    if (i + 2 + n > v.length) return undefined;
    out.set(code, v.subarray(i + 2, i + 2 + n));
    i += 2 + n;
  }
  return out;
}

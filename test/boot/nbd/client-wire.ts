/**
 * The client's side of the NBD wire, for tests: builds what a client sends
 * and takes apart what berth's server answers. Written from proto.md, apart
 * from the server code, so a shared misunderstanding cannot hide.
 */
import { Socket } from 'node:net';

export const IHAVEOPT = 0x49484156454f5054n;
export const NBDMAGIC = 0x4e42444d41474943n;
export const REPLY_MAGIC = 0x3e889045565a9n;
export const REQUEST_MAGIC = 0x25609513;
export const SIMPLE_REPLY_MAGIC = 0x67446698;

export const opt = { EXPORT_NAME: 1, ABORT: 2, LIST: 3, STARTTLS: 5, INFO: 6, GO: 7, STRUCTURED_REPLY: 8, LIST_META_CONTEXT: 9, SET_META_CONTEXT: 10, EXTENDED_HEADERS: 11 } as const;
export const rep = { ACK: 1, SERVER: 2, INFO: 3, ERR_UNSUP: 0x80000001, ERR_POLICY: 0x80000002, ERR_INVALID: 0x80000003, ERR_UNKNOWN: 0x80000006, ERR_TOO_BIG: 0x80000009 } as const;
export const cmd = { READ: 0, WRITE: 1, DISC: 2, FLUSH: 3, TRIM: 4, CACHE: 5, WRITE_ZEROES: 6, BLOCK_STATUS: 7 } as const;
export const info = { EXPORT: 0, NAME: 1, DESCRIPTION: 2, BLOCK_SIZE: 3 } as const;

export function clientFlags(flags: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(flags >>> 0);
  return b;
}

export function option(code: number, data: Buffer = Buffer.alloc(0), length = data.length): Buffer {
  const b = Buffer.alloc(16 + data.length);
  b.writeBigUInt64BE(IHAVEOPT, 0);
  b.writeUInt32BE(code >>> 0, 8);
  b.writeUInt32BE(length >>> 0, 12);
  data.copy(b, 16);
  return b;
}

/** NBD_OPT_GO / NBD_OPT_INFO payload. */
export function goData(name: string, infos: number[] = []): Buffer {
  const n = Buffer.from(name, 'utf8');
  const b = Buffer.alloc(4 + n.length + 2 + infos.length * 2);
  b.writeUInt32BE(n.length, 0);
  n.copy(b, 4);
  b.writeUInt16BE(infos.length, 4 + n.length);
  infos.forEach((t, i) => b.writeUInt16BE(t, 4 + n.length + 2 + i * 2));
  return b;
}

export function request(type: number, handle: bigint, offset: bigint | number, length: number, flags = 0): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt32BE(REQUEST_MAGIC, 0);
  b.writeUInt16BE(flags, 4);
  b.writeUInt16BE(type, 6);
  b.writeBigUInt64BE(handle, 8);
  b.writeBigUInt64BE(BigInt(offset), 16);
  b.writeUInt32BE(length >>> 0, 24);
  return b;
}

export interface OptionReply {
  option: number;
  type: number;
  data: Buffer;
}

/** Splits bytes that hold only option replies. */
export function parseOptionReplies(bytes: Buffer): OptionReply[] {
  const out: OptionReply[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (bytes.readBigUInt64BE(at) !== REPLY_MAGIC) throw new Error(`no option reply magic at ${at}`);
    const length = bytes.readUInt32BE(at + 16);
    out.push({ option: bytes.readUInt32BE(at + 8), type: bytes.readUInt32BE(at + 12), data: bytes.subarray(at + 20, at + 20 + length) });
    at += 20 + length;
  }
  if (at !== bytes.length) throw new Error('trailing bytes after option replies');
  return out;
}

/** A socket with an "await exactly n bytes" reader, for raw protocol tests. */
export class RawClient {
  readonly socket: Socket;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private waiter: (() => void) | undefined;
  ended = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (c: Buffer) => {
      this.chunks.push(c);
      this.buffered += c.length;
      this.waiter?.();
    });
    socket.on('close', () => {
      this.ended = true;
      this.waiter?.();
    });
    socket.on('error', () => {});
  }

  /** `localAddress` binds the client's end, e.g. to 127.0.0.2, to stand for another machine on loopback. */
  static connect(port: number, host = '127.0.0.1', localAddress?: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = new Socket();
      s.once('error', reject);
      s.connect({ port, host, ...(localAddress ? { localAddress } : {}) }, () => resolve(new RawClient(s)));
    });
  }

  send(...parts: Buffer[]): void {
    this.socket.write(Buffer.concat(parts));
  }

  /** Exactly n bytes; rejects when the server closes first or after timeoutMs. */
  async read(n: number, timeoutMs = 5000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.buffered < n) {
      if (this.ended) throw new Error(`connection closed with ${this.buffered} of ${n} bytes`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} bytes (have ${this.buffered})`);
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, 50);
      });
      this.waiter = undefined;
    }
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return all.subarray(0, n);
  }

  /** Resolves when the server has closed the connection (rejects after timeoutMs). */
  async closedByServer(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error('server did not close the connection');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async optionReply(): Promise<OptionReply> {
    const h = await this.read(20);
    if (h.readBigUInt64BE(0) !== REPLY_MAGIC) throw new Error('bad option reply magic');
    const data = await this.read(h.readUInt32BE(16));
    return { option: h.readUInt32BE(8), type: h.readUInt32BE(12), data };
  }

  /** Greeting + fixed newstyle flags (+ NO_ZEROES). */
  async handshake(flags = 3): Promise<void> {
    const g = await this.read(18);
    if (g.readBigUInt64BE(0) !== NBDMAGIC || g.readBigUInt64BE(8) !== IHAVEOPT) throw new Error('bad greeting');
    this.send(clientFlags(flags));
  }

  /** NBD_OPT_GO for `name`; resolves with the export size once in transmission. */
  async go(name: string): Promise<number> {
    this.send(option(opt.GO, goData(name, [info.BLOCK_SIZE])));
    let size = -1;
    for (;;) {
      const r = await this.optionReply();
      if (r.type === rep.INFO && r.data.readUInt16BE(0) === info.EXPORT) size = Number(r.data.readBigUInt64BE(2));
      else if (r.type === rep.ACK) return size;
      else if (r.type !== rep.INFO) throw new Error(`NBD_OPT_GO failed: reply type 0x${r.type.toString(16)} ${r.data.toString()}`);
    }
  }

  /** A simple reply: error and handle, plus `dataLength` bytes when error is 0. */
  async simpleReply(dataLength = 0): Promise<{ error: number; handle: bigint; data: Buffer }> {
    const h = await this.read(16);
    if (h.readUInt32BE(0) !== SIMPLE_REPLY_MAGIC) throw new Error(`bad simple reply magic 0x${h.readUInt32BE(0).toString(16)}`);
    const error = h.readUInt32BE(4);
    const data = error === 0 && dataLength > 0 ? await this.read(dataLength) : Buffer.alloc(0);
    return { error, handle: h.readBigUInt64BE(8), data };
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * A one-address TFTP flood and a legitimate client to measure beside it,
 * for test/boot/tftp/tftp-flood.test.ts and bench/tftp-flood.ts.
 *
 * The flooder sends read requests from many source ports of one address and
 * never acknowledges anything: each request the server accepts holds one of
 * its transfer slots until the server gives the transfer up. Its sockets stay
 * open (a real attacker's would, or a firewall would drop the server's
 * packets) so the server is not told by ICMP that nobody is listening.
 *
 * The client downloads like a PXE ROM: RRQ with blksize 1468 and tsize,
 * lockstep ACKs, resends after 1 s of silence, gives up after 5 resends or
 * at the first ERROR (which a ROM shows and stops on).
 */
import { createSocket, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { encodeAck, encodeRequest, parsePacket, type TftpPacket } from '../../../src/boot/tftp/packet.ts';

export interface FloodOptions {
  /** The server's request port, on `target`. */
  port: number;
  target: string;
  /** Source address of every request. */
  from: string;
  file: string;
  /** Requests per second. */
  rate: number;
  durationMs: number;
}

export interface FloodResult {
  requests: number;
  /** Requests answered with DATA or OACK: a transfer slot taken. */
  accepted: number;
  /** ERROR replies on the request path, by message. */
  refusals: Map<string, number>;
}

/** Sends `rate` RRQs a second for `durationMs`, each from a fresh port of `from`, never acknowledging. Resolves when done (sockets closed). */
export async function flood(o: FloodOptions): Promise<FloodResult> {
  const result: FloodResult = { requests: 0, accepted: 0, refusals: new Map() };
  const sockets: Socket[] = [];
  const request = encodeRequest({ opcode: 'rrq', filename: o.file, mode: 'octet', options: [{ name: 'blksize', value: '1468' }] });
  const fire = () => {
    const socket = createSocket('udp4');
    sockets.push(socket);
    let answered = false;
    socket.on('message', (msg) => {
      if (answered) return; // retransmissions of the same transfer
      answered = true;
      let packet: TftpPacket;
      try {
        packet = parsePacket(msg);
      } catch {
        return;
      }
      if (packet.opcode === 'error') result.refusals.set(packet.message, (result.refusals.get(packet.message) ?? 0) + 1);
      else result.accepted++;
    });
    socket.on('error', () => {});
    socket.bind(0, o.from, () => socket.send(request, o.port, o.target));
    result.requests++;
  };
  const started = performance.now();
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const elapsed = performance.now() - started;
      const due = Math.floor((Math.min(elapsed, o.durationMs) * o.rate) / 1000);
      while (result.requests < due) fire();
      if (elapsed >= o.durationMs) {
        clearInterval(tick);
        resolve();
      }
    }, 5);
  });
  // Late answers to the last requests.
  await new Promise((r) => setTimeout(r, 200));
  for (const socket of sockets) socket.close();
  return result;
}

export interface DownloadResult {
  ok: boolean;
  bytes: Buffer;
  ms: number;
  /** Why it failed: the server's ERROR message, or a timeout. */
  error?: string;
}

const blksize = 1468;

/** One download of `file` from `from`, as a PXE ROM does it. */
export async function download(port: number, target: string, from: string, file: string): Promise<DownloadResult> {
  const socket = createSocket('udp4');
  const started = performance.now();
  const chunks: Buffer[] = [];
  const done = (ok: boolean, error?: string): DownloadResult => ({ ok, bytes: Buffer.concat(chunks), ms: Math.round(performance.now() - started), ...(error ? { error } : {}) });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, from, () => resolve());
    });
    const inbox: { packet: TftpPacket; port: number }[] = [];
    let wake: (() => void) | undefined;
    socket.on('message', (msg, rinfo) => {
      try {
        inbox.push({ packet: parsePacket(msg), port: rinfo.port });
      } catch {
        return;
      }
      wake?.();
    });
    const next = async (timeoutMs: number) => {
      if (inbox.length === 0) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, timeoutMs);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        wake = undefined;
      }
      return inbox.shift();
    };
    let last: { bytes: Buffer; port: number } = {
      bytes: encodeRequest({ opcode: 'rrq', filename: file, mode: 'octet', options: [{ name: 'blksize', value: String(blksize) }, { name: 'tsize', value: '0' }] }),
      port,
    };
    let tid: number | undefined;
    let expected = 1;
    let size = blksize;
    socket.send(last.bytes, last.port, target);
    for (let silences = 0; ; ) {
      const m = await next(1000);
      if (!m) {
        if (++silences > 5) return done(false, 'timed out');
        socket.send(last.bytes, last.port, target);
        continue;
      }
      if (tid !== undefined && m.port !== tid) continue;
      const { packet } = m;
      if (packet.opcode === 'error') return done(false, packet.message);
      if (packet.opcode === 'oack' && tid === undefined) {
        tid = m.port;
        size = Number(packet.options.find((option) => option.name === 'blksize')?.value ?? 512);
        last = { bytes: encodeAck(0), port: tid };
      } else if (packet.opcode === 'data') {
        tid ??= m.port;
        if ((packet.block & 0xffff) === (expected & 0xffff)) {
          chunks.push(Buffer.from(packet.data));
          last = { bytes: encodeAck(packet.block), port: tid };
          expected++;
          if (packet.data.length < size) {
            // The final ACK must leave before the socket closes, or the server waits for it.
            await new Promise<void>((resolve) => socket.send(last.bytes, last.port, target, () => resolve()));
            return done(true);
          }
        }
      } else {
        continue;
      }
      silences = 0;
      socket.send(last.bytes, last.port, target);
    }
  } catch (e) {
    return done(false, (e as Error).message);
  } finally {
    socket.close();
  }
}

export interface LegitimateResult {
  attempts: DownloadResult[];
  /** Largest number of transfers the server held at once during the flood. */
  peakTransfers: number;
}

/**
 * Floods from `flooder` while `client` downloads `file` over and over, from
 * `warmupMs` into the flood until it ends: the success rate and times of a
 * PXE client during the flood.
 */
export async function legitimateDuringFlood(
  o: FloodOptions & { client: string; warmupMs: number; activeTransfers: () => number },
): Promise<{ flood: FloodResult } & LegitimateResult> {
  const result: LegitimateResult = { attempts: [], peakTransfers: 0 };
  const started = performance.now();
  const sample = setInterval(() => (result.peakTransfers = Math.max(result.peakTransfers, o.activeTransfers())), 20);
  const flooding = flood(o);
  const client = (async () => {
    await new Promise((r) => setTimeout(r, o.warmupMs));
    while (performance.now() - started < o.durationMs) {
      result.attempts.push(await download(o.port, o.target, o.client, o.file));
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const [floodResult] = await Promise.all([flooding, client]);
  clearInterval(sample);
  return { flood: floodResult, ...result };
}

/** A client that sends one read request and then only listens: it never acknowledges. */
export class SilentRequester {
  private readonly socket = createSocket('udp4');
  private readonly inbox: TftpPacket[] = [];
  private wake: (() => void) | undefined;

  static async ask(port: number, target: string, from: string, file: string, options: { name: string; value: string }[] = []): Promise<SilentRequester> {
    const r = new SilentRequester();
    await new Promise<void>((resolve) => r.socket.bind(0, from, () => resolve()));
    r.socket.on('message', (msg) => {
      try {
        r.inbox.push(parsePacket(msg));
      } catch {
        return;
      }
      r.wake?.();
    });
    r.socket.send(encodeRequest({ opcode: 'rrq', filename: file, mode: 'octet', options }), port, target);
    return r;
  }

  /** The next packet from the server, or undefined after `timeoutMs`. */
  async next(timeoutMs = 2000): Promise<TftpPacket | undefined> {
    if (this.inbox.length === 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, timeoutMs);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = undefined;
    }
    return this.inbox.shift();
  }

  close(): void {
    this.socket.close();
  }
}

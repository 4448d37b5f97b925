/**
 * A DHCP client on a UDP socket, built from berth's codec: runs complete
 * DISCOVER → OFFER → REQUEST → ACK exchanges against a server, many at a time
 * (distinct MACs), and says how many finished per second. Used by the socket
 * test and, with big counts, to measure the server:
 *
 *   node test/boot/dhcp/loopback-client.ts [exchanges] [concurrency]
 */
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { DhcpServer } from '../../../src/boot/dhcp/dhcp-server.ts';
import { MessageType, messageType, serverId } from '../../../src/boot/dhcp/options.ts';
import { parsePacket, type DhcpPacket } from '../../../src/boot/dhcp/packet.ts';
import { RecordingSink } from '../../../src/events/boot-event.ts';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store.ts';
import { nullLogger } from '../../../src/util/logger.ts';
import { clientBytes, DISCOVER, FakeBackend, REQUEST } from './helpers.ts';

export interface LoadOptions {
  serverAddress: string;
  serverPort: number;
  clientPort: number;
  exchanges: number;
  concurrency: number;
  /** Per-message timeout before a retransmission. */
  retransmitMs?: number;
}

export interface LoadResult {
  exchanges: number;
  seconds: number;
  perSecond: number;
  retransmits: number;
  acks: DhcpPacket[];
}

export function macFor(i: number): string {
  const hex = (0x020000000000 + i).toString(16).padStart(12, '0');
  return hex.match(/../g)!.join(':');
}

export async function runExchanges(o: LoadOptions): Promise<LoadResult> {
  const socket: Socket = createSocket({ type: 'udp4', reuseAddr: true });
  await new Promise<void>((resolve) => socket.bind(o.clientPort, '0.0.0.0', () => resolve()));
  const waiting = new Map<number, (p: DhcpPacket) => void>();
  socket.on('message', (buf) => {
    try {
      const p = parsePacket(buf);
      waiting.get(p.xid)?.(p);
    } catch {
      // not ours
    }
  });
  let retransmits = 0;
  const ask = (bytes: Buffer, xid: number, want: number): Promise<DhcpPacket> =>
    new Promise((resolve) => {
      const send = () => socket.send(bytes, o.serverPort, o.serverAddress);
      const timer = setInterval(() => {
        retransmits++;
        send();
      }, o.retransmitMs ?? 1000);
      waiting.set(xid, (p) => {
        if (messageType(p.options) !== want) return;
        clearInterval(timer);
        waiting.delete(xid);
        resolve(p);
      });
      send();
    });

  const acks: DhcpPacket[] = [];
  let next = 0;
  const started = process.hrtime.bigint();
  const worker = async () => {
    while (next < o.exchanges) {
      const i = next++;
      const mac = macFor(i);
      const xid = (i * 2 + 1) >>> 0;
      const offer = await ask(clientBytes(DISCOVER, { mac, xid }), xid, MessageType.offer);
      const ack = await ask(clientBytes(REQUEST, { mac, xid: xid + 1, serverId: serverId(offer.options)!, requested: offer.yiaddr }), xid + 1, MessageType.ack);
      acks.push(ack);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  socket.close();
  return { exchanges: o.exchanges, seconds, perSecond: o.exchanges / seconds, retransmits, acks };
}

/** The server side of a measurement, in its own thread so client work does not count against it. */
async function serveInWorker(exchanges: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-dhcp-load-'));
  const store = await openSqliteStore(join(dir, 'store.db'));
  const server = new DhcpServer({
    networks: [{ name: 'loop', subnet: '127.0.0.0/8', mode: 'full', serverAddress: '127.0.0.1', pool: { start: '127.1.0.1', end: `127.${2 + Math.ceil(exchanges / 65_000)}.255.254` } }],
    backend: new FakeBackend(), store, events: new CountingSink(), log: nullLogger(), httpPort: 8080, ports: LOAD_PORTS,
    // Every client here is a new MAC: measure the exchange, not the new-client limit (50/s by default).
    newClients: { perSecond: Number.MAX_SAFE_INTEGER, burst: Number.MAX_SAFE_INTEGER },
  });
  await server.start();
  parentPort!.postMessage('ready');
  parentPort!.once('message', async () => {
    await server.stop();
    const stored = await store.read((r) => r.count('dhcp-lease'));
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    parentPort!.postMessage(stored);
  });
}

/** Events are counted, not kept: a long run must not measure the growth of an array. */
class CountingSink extends RecordingSink {
  count = 0;
  override emit(): void {
    this.count++;
  }
}

const LOAD_PORTS = { server: 26767, client: 26768, proxy: 24011 };

if (!isMainThread && workerData?.role === 'dhcp-load-server') {
  await serveInWorker(workerData.exchanges as number);
} else if (import.meta.main) {
  const exchanges = Number(process.argv[2] ?? 20_000);
  const concurrency = Number(process.argv[3] ?? 64);
  const worker = new Worker(new URL(import.meta.url), { workerData: { role: 'dhcp-load-server', exchanges } });
  await once(worker, 'message');
  const result = await runExchanges({ serverAddress: '127.0.0.1', serverPort: LOAD_PORTS.server, clientPort: LOAD_PORTS.client, exchanges, concurrency });
  worker.postMessage('stop');
  const [stored] = await once(worker, 'message');
  await worker.terminate();
  console.log(`${result.exchanges} DISCOVER/OFFER/REQUEST/ACK exchanges in ${result.seconds.toFixed(2)} s = ${Math.round(result.perSecond)} exchanges/s ` +
    `(concurrency ${concurrency}, ${result.retransmits} retransmits, ${String(stored)} leases in SQLite, synchronous=FULL, server in a worker thread)`);
}

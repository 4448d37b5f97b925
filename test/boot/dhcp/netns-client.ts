/**
 * DHCP clients on a real wire, run inside the clients' namespace of a
 * netns-pair.ts pair by dhcp-flood.test.ts:
 *
 *   ip netns exec <ns> node test/boot/dhcp/netns-client.ts '<plan json>'
 *
 * At the same time: a flood of DISCOVERs from random MACs (broadcast, paced,
 * bounded), and full DISCOVER → OFFER → REQUEST → ACK exchanges of known
 * machines that retransmit like a PXE ROM. Then single probes (one DISCOVER
 * from a chosen address and port, e.g. a routed host or a relay with giaddr)
 * that report whatever came back. Prints one JSON result and exits.
 */
import { createSocket, type Socket } from 'node:dgram';
import { MessageType, messageType, serverId } from '../../../src/boot/dhcp/options.ts';
import { parsePacket, type DhcpPacket } from '../../../src/boot/dhcp/packet.ts';
import { seededRandom } from '../../helpers/seeded-random.ts';
import { clientBytes, DISCOVER, pxeRom, REQUEST } from './helpers.ts';

export interface Plan {
  server: string;
  serverPort: number;
  clientPort: number;
  flood?: { count: number; perSecond: number; seed: number };
  exchanges?: { mac: string; startAfterMs: number; timeoutMs: number }[];
  probes?: { mac: string; from: string; fromPort: number; to: string; giaddr?: string; waitMs: number }[];
}

export interface PlanResult {
  flood?: { sent: number; seconds: number };
  exchanges: { mac: string; offered?: string; acked?: string; ms: number }[];
  probes: { mac: string; replies: { type: number; yiaddr: string }[] }[];
}

const plan = JSON.parse(process.argv[2]!) as Plan;
const waiting = new Map<number, (p: DhcpPacket) => void>();
const sockets: Socket[] = [];

async function bound(address: string, port: number): Promise<Socket> {
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  socket.on('message', (buf) => {
    try {
      const p = parsePacket(buf);
      waiting.get(p.xid)?.(p);
    } catch {
      // not a DHCP message
    }
  });
  await new Promise<void>((resolve) => socket.bind(port, address, () => resolve()));
  socket.setBroadcast(true);
  sockets.push(socket);
  return socket;
}

// Replies to clients are broadcast to :68; replies to relays go to giaddr:67.
const clientSocket = await bound('0.0.0.0', plan.clientPort);
await bound('0.0.0.0', plan.serverPort);

async function flood(f: NonNullable<Plan['flood']>): Promise<PlanResult['flood']> {
  const random = seededRandom(f.seed);
  const template = clientBytes(DISCOVER, pxeRom('02:00:00:00:00:00'));
  const socket = await bound('0.0.0.0', 0);
  const started = Date.now();
  let sent = 0;
  const perTick = Math.max(1, Math.round(f.perSecond / 100));
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      for (let i = 0; i < perTick && sent < f.count; i++, sent++) {
        const b = Buffer.from(template);
        b.writeUInt32BE(Math.floor(random() * 2 ** 32), 4); // xid
        b[28] = 0x02; // locally administered, unicast
        for (let j = 29; j < 34; j++) b[j] = Math.floor(random() * 256);
        socket.send(b, plan.serverPort, '255.255.255.255');
      }
      if (sent >= f.count) {
        clearInterval(timer);
        resolve();
      }
    }, 10);
  });
  return { sent, seconds: (Date.now() - started) / 1000 };
}

/** Sends until the wanted reply comes (every second, like a PXE ROM), or gives up. */
function ask(socket: Socket, bytes: Buffer, xid: number, want: number, to: string, deadline: number): Promise<DhcpPacket | undefined> {
  return new Promise((resolve) => {
    const send = () => socket.send(bytes, plan.serverPort, to);
    const finish = (p: DhcpPacket | undefined) => {
      clearInterval(timer);
      clearTimeout(giveUp);
      waiting.delete(xid);
      resolve(p);
    };
    const timer = setInterval(send, 1000);
    const giveUp = setTimeout(() => finish(undefined), Math.max(0, deadline - Date.now()));
    waiting.set(xid, (p) => {
      if (messageType(p.options) === want) finish(p);
    });
    send();
  });
}

async function exchange(e: NonNullable<Plan['exchanges']>[number]): Promise<PlanResult['exchanges'][number]> {
  await new Promise((r) => setTimeout(r, e.startAfterMs));
  const started = Date.now();
  const deadline = started + e.timeoutMs;
  const xid = 0x40000000 + Math.floor(Math.random() * 0x3fffffff);
  const result: PlanResult['exchanges'][number] = { mac: e.mac, ms: 0 };
  const offer = await ask(clientSocket, clientBytes(DISCOVER, { ...pxeRom(e.mac), xid }), xid, MessageType.offer, '255.255.255.255', deadline);
  if (offer) {
    result.offered = offer.yiaddr;
    const request = clientBytes(REQUEST, { ...pxeRom(e.mac), xid, requested: offer.yiaddr, serverId: serverId(offer.options)! });
    const ack = await ask(clientSocket, request, xid, MessageType.ack, '255.255.255.255', deadline);
    if (ack) result.acked = ack.yiaddr;
  }
  result.ms = Date.now() - started;
  return result;
}

async function probe(p: NonNullable<Plan['probes']>[number]): Promise<PlanResult['probes'][number]> {
  const socket = await bound(p.from, p.fromPort);
  const xid = 0x20000000 + Math.floor(Math.random() * 0x1fffffff);
  const replies: { type: number; yiaddr: string }[] = [];
  waiting.set(xid, (reply) => void replies.push({ type: messageType(reply.options) ?? 0, yiaddr: reply.yiaddr }));
  socket.send(clientBytes(DISCOVER, { ...pxeRom(p.mac), xid, ...(p.giaddr && { giaddr: p.giaddr }) }), plan.serverPort, p.to);
  await new Promise((r) => setTimeout(r, p.waitMs));
  waiting.delete(xid);
  return { mac: p.mac, replies };
}

const [floodResult, exchanges] = await Promise.all([
  plan.flood ? flood(plan.flood) : Promise.resolve(undefined),
  Promise.all((plan.exchanges ?? []).map(exchange)),
]);
const probes: PlanResult['probes'] = [];
for (const p of plan.probes ?? []) probes.push(await probe(p));
for (const s of sockets) s.close();
const result: PlanResult = { exchanges, probes };
if (floodResult) result.flood = floodResult;
process.stdout.write(JSON.stringify(result) + '\n');

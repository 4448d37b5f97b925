/**
 * The DHCP fuzzer shared by the test suite (small run) and bench/dhcp-fuzz.ts
 * (1,000,000 packets): generated packets go through parse and both mode
 * handlers, and every outcome is checked:
 *
 * - nothing throws out of dispatch;
 * - a packet the codec refuses gets no reply;
 * - a packet without a reply is counted as dropped exactly once, unless it
 *   is a RELEASE or DECLINE (never answered; an event instead);
 * - a reply parses, is a BOOTREPLY with the request's xid, and fits the
 *   client's maximum message size.
 */
import assert from 'node:assert/strict';
import { dispatch } from '../../../src/boot/dhcp/dispatch.ts';
import { messageBudget, parsePacket, serializePacket } from '../../../src/boot/dhcp/packet.ts';
import type { BootEvent, BootEventSource, EventSink } from '../../../src/events/boot-event.ts';
import { seededRandom } from '../../helpers/seeded-random.ts';
import { clientPacket, DECLINE, DISCOVER, INFORM, ipxe, lab, node, osClient, proxyLan, pxeRom, RELEASE, REQUEST, testBed, type ClientMessage, type TestBed } from './helpers.ts';

/** Counts instead of keeping: a million packets must not measure an array's growth. */
class CountingSink implements EventSink {
  dropped = 0;
  silentSteps = 0;
  readonly reasons = new Map<string, number>();
  emit(event: Omit<BootEvent, 'time'>): void {
    if (event.step === 'release' || event.step === 'decline') this.silentSteps++;
  }
  countDropped(_source: BootEventSource, reason: string): void {
    this.dropped++;
    this.reasons.set(reason, (this.reasons.get(reason) ?? 0) + 1);
  }
}

export interface FuzzResult {
  packets: number;
  replies: number;
  refusedByCodec: number;
  dropReasons: Map<string, number>;
  seconds: number;
}

const knownMacs = ['52:54:00:00:00:01', '52:54:00:00:00:02', '52:54:00:00:00:03'];

function baseMessages(): { type: number; m: ClientMessage }[] {
  const out: { type: number; m: ClientMessage }[] = [];
  for (const mac of [...knownMacs, '52:54:00:ff:00:01']) {
    for (const client of [pxeRom(mac), ipxe(mac), osClient(mac), { mac, arch: 16, vendorClass: 'HTTPClient:Arch:00016:UNDI:003001' }]) {
      out.push({ type: DISCOVER, m: client });
      out.push({ type: REQUEST, m: { ...client, serverId: '10.0.0.1', requested: '10.0.0.100' } });
      out.push({ type: REQUEST, m: { ...client, requested: '10.0.0.11' } });
      out.push({ type: REQUEST, m: { ...client, ciaddr: '10.0.0.11' } });
      out.push({ type: REQUEST, m: { ...client, ciaddr: '192.168.1.50' } });
      out.push({ type: INFORM, m: { ...client, ciaddr: '10.0.0.11' } });
      out.push({ type: RELEASE, m: { ...client, ciaddr: '10.0.0.100', serverId: '10.0.0.1' } });
      out.push({ type: DECLINE, m: { ...client, requested: '10.0.0.101', serverId: '10.0.0.1' } });
      out.push({ type: DISCOVER, m: { ...client, giaddr: '10.0.0.254', relayInfo: Buffer.from([1, 2, 0, 1, 2, 1, 9]), maxMessageSize: 576, parameterList: [1, 3, 52, 67] } });
    }
  }
  return out;
}

/** One generated packet: mostly mutations of valid ones, some pure noise. */
function generator(seed: number): () => Buffer {
  const random = seededRandom(seed);
  const int = (n: number) => Math.floor(random() * n);
  const bases = baseMessages().map(({ type, m }) => serializePacket(clientPacket(type, m)).bytes);
  return () => {
    const base = bases[int(bases.length)]!;
    const choice = int(10);
    if (choice === 0) {
      // noise, sometimes with a valid cookie so the option parser sees it
      const b = Buffer.alloc(int(600));
      for (let i = 0; i < b.length; i++) b[i] = int(256);
      if (b.length >= 240 && random() < 0.7) b.writeUInt32BE(0x63825363, 236);
      return b;
    }
    let b = Buffer.from(base);
    if (choice === 1) return b.subarray(0, int(b.length + 1)); // truncation
    if (choice === 2) {
      // option overflow: a length byte that runs past the end
      const at = 240 + int(Math.max(1, b.length - 241));
      b[at + 1] = 200 + int(56);
      return b;
    }
    if (choice === 3 || choice === 4) {
      // option 52 lies: overload claims with garbage, options or text in file/sname
      const claim = random() < 0.2 ? int(256) : 1 + int(3);
      const options = b.subarray(240);
      const field = Buffer.alloc(192);
      for (let i = 0; i < field.length; i++) field[i] = random() < 0.5 ? int(256) : [0, 255, 60, 3, 0x41][int(5)]!;
      field.copy(b, 44);
      b = Buffer.concat([b.subarray(0, 240), Buffer.from([52, random() < 0.9 ? 1 : int(4), claim]), options]);
      return b;
    }
    if (choice === 5) {
      // zero-length and duplicated options inserted up front
      const extra: number[] = [];
      for (let i = int(6); i > 0; i--) random() < 0.5 ? extra.push(1 + int(254), 0) : extra.push(53, 1, int(20));
      return Buffer.concat([b.subarray(0, 240), Buffer.from(extra), b.subarray(240)]);
    }
    // byte flips anywhere, biased to the header and first options
    for (let i = 1 + int(8); i > 0; i--) b[random() < 0.5 ? int(Math.min(b.length, 300)) : int(b.length)] = int(256);
    if (random() < 0.1) b = Buffer.concat([b, Buffer.alloc(int(200), int(256))]);
    return b;
  };
}

function bedWithSink(kind: 'full' | 'proxy'): { bed: TestBed; sink: CountingSink } {
  const nodes = [
    node('n1', knownMacs[0]!, '10.0.0.11'),
    node('n2', knownMacs[1]!, '192.168.1.12', { bootable: false }),
    node('n3', knownMacs[2]!, '10.9.9.9'),
  ];
  const bed = testBed(kind === 'full' ? [{ ...lab, relays: ['10.0.0.254'] }] : [{ ...proxyLan, relays: ['192.168.1.254'] }], nodes);
  const sink = new CountingSink();
  bed.ctx.events = sink;
  let n = 0;
  bed.backend.assign = (c) => (++n % 7 === 0 ? node(`auto${n}`, c.mac, '10.0.0.60') : undefined);
  return { bed, sink };
}

/** Where packets come from: the client's link (with and without an address), the relay, a routed host. */
const sources = {
  full: ['10.0.0.77', '0.0.0.0', '10.0.0.254', '203.0.113.9'],
  proxy: ['192.168.1.77', '0.0.0.0', '192.168.1.254', '203.0.113.9'],
};

export function fuzzDhcp(packets: number, seed = 20261121): FuzzResult {
  const next = generator(seed);
  const beds = [bedWithSink('full'), bedWithSink('proxy')];
  const random = seededRandom(seed + 1);
  let replies = 0;
  let refusedByCodec = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < packets; i++) {
    const buf = next();
    let codecRefuses = false;
    try {
      parsePacket(buf);
    } catch {
      codecRefuses = true;
      refusedByCodec++;
    }
    const { bed, sink } = beds[i & 1]!;
    if (i % 5000 === 0) bed.clock.now += 600_000; // let offers, leases and declines expire now and then
    const port = random() < 0.8 ? 'server' : 'proxy';
    const from = sources[i & 1 ? 'proxy' : 'full'];
    const source = from[random() < 0.7 ? 0 : 1 + Math.floor(random() * (from.length - 1))]!;
    const droppedBefore = sink.dropped;
    const silentBefore = sink.silentSteps;
    let out;
    try {
      out = dispatch(buf, port, { address: source, port: 68 }, bed.ctx);
    } catch (e) {
      assert.fail(`packet ${i} (${buf.toString('hex')}) threw: ${(e as Error).stack}`);
    }
    if (out === undefined) {
      const counted = sink.dropped - droppedBefore + (sink.silentSteps - silentBefore);
      if (counted !== 1) assert.fail(`packet ${i} got no reply but was counted ${counted} times: ${buf.toString('hex')}`);
      continue;
    }
    if (codecRefuses) assert.fail(`packet ${i} is refused by the codec but got a reply: ${buf.toString('hex')}`);
    if (sink.dropped !== droppedBefore) assert.fail(`packet ${i} got a reply and was counted as dropped`);
    replies++;
    const reply = parsePacket(out.bytes);
    const request = parsePacket(buf);
    assert.equal(reply.op, 2);
    assert.equal(reply.xid, request.xid);
    const max = request.options.get(57);
    assert.ok(out.bytes.length <= Math.max(300, messageBudget(max?.length === 2 ? max.readUInt16BE(0) : undefined)), `reply of ${out.bytes.length} bytes too big`);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const dropReasons = new Map<string, number>();
  for (const { sink } of beds) for (const [k, v] of sink.reasons) dropReasons.set(k, (dropReasons.get(k) ?? 0) + v);
  return { packets, replies, refusedByCodec, dropReasons, seconds };
}

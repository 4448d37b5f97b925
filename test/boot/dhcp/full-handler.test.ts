import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dispatch } from '../../../src/boot/dhcp/dispatch.ts';
import { LEASE_KIND } from '../../../src/boot/dhcp/leases.ts';
import * as opt from '../../../src/boot/dhcp/options.ts';
import { MessageType, Option } from '../../../src/boot/dhcp/options.ts';
import { parsePacket, type DhcpPacket } from '../../../src/boot/dhcp/packet.ts';
import {
  clientBytes, DECLINE, DISCOVER, INFORM, ipxe, lab, node, optionText, osClient, pxeRom, RELEASE, REQUEST, testBed,
  type ClientMessage, type TestBed,
} from './helpers.ts';

const from = { address: '0.0.0.0', port: 68 };

/** A relayed message comes from the relay, on port 67. */
function send(bed: TestBed, type: number, m: ClientMessage) {
  const out = dispatch(clientBytes(type, m), 'server', m.giaddr ? { address: m.giaddr, port: 67 } : from, bed.ctx);
  return out && { ...out, packet: parsePacket(out.bytes) };
}

/** DISCOVER → OFFER → REQUEST → ACK; returns the ACK. */
function exchange(bed: TestBed, m: ClientMessage): DhcpPacket {
  const offer = send(bed, DISCOVER, m);
  assert.ok(offer, 'an offer');
  assert.equal(opt.messageType(offer.packet.options), MessageType.offer);
  const ack = send(bed, REQUEST, { ...m, serverId: opt.serverId(offer.packet.options)!, requested: offer.packet.yiaddr });
  assert.ok(ack, 'an ack');
  assert.equal(opt.messageType(ack.packet.options), MessageType.ack);
  assert.equal(ack.persist, true, 'an ACK waits for the store');
  return ack.packet;
}

const mac = '52:54:00:00:00:10';

test('a known node gets its inventory address with its network settings and the loader', () => {
  const bed = testBed([lab], [node('n1', mac, '10.0.0.10', { dnsServers: ['10.0.0.53'] })]);
  const ack = exchange(bed, pxeRom(mac));
  assert.equal(ack.yiaddr, '10.0.0.10');
  assert.equal(ack.siaddr, '10.0.0.1');
  assert.equal(ack.file, 'undionly.kpxe');
  assert.equal(opt.serverId(ack.options), '10.0.0.1');
  assert.deepEqual([...ack.options.get(Option.subnetMask)!], [255, 255, 255, 0]);
  assert.deepEqual([...ack.options.get(Option.router)!], [10, 0, 0, 254]);
  assert.deepEqual([...ack.options.get(Option.dnsServers)!], [10, 0, 0, 53], 'node DNS wins over the network');
  assert.equal(optionText(ack, Option.domainName), 'lab.example');
  assert.equal(optionText(ack, Option.hostname), 'n1');
  assert.deepEqual([...ack.options.get(Option.ntpServers)!], [10, 0, 0, 3]);
  assert.equal(opt.leaseTime(ack.options), 3600);
  assert.equal(ack.options.get(Option.renewalTime)!.readUInt32BE(0), 1800);
  assert.equal(ack.options.get(Option.rebindingTime)!.readUInt32BE(0), 3150);
});

test('PXE ROM → iPXE → OS: one machine, one address, one lease; iPXE gets its script, not the loader', () => {
  for (const nodes of [[node('n1', mac, '10.0.0.10')], []]) {
    const bed = testBed([lab], nodes);
    const rom = exchange(bed, pxeRom(mac));
    const ipxeAck = exchange(bed, { ...ipxe(mac), xid: 2 });
    const os = exchange(bed, { ...osClient(mac), xid: 3 });
    assert.equal(ipxeAck.yiaddr, rom.yiaddr);
    assert.equal(os.yiaddr, rom.yiaddr);
    assert.equal(rom.file, 'undionly.kpxe');
    assert.equal(ipxeAck.file, `http://10.0.0.1:8080/boot/ipxe/${mac}`);
    assert.equal(os.file, '', 'the OS DHCP client gets no boot file');
    assert.equal(bed.leases.leaseCount(), 1);
  }
});

test('the leases reach the store, keyed by MAC', async () => {
  const bed = testBed([lab], [node('n1', mac, '10.0.0.10')]);
  exchange(bed, pxeRom(mac));
  await bed.leases.persisted();
  const stored = await bed.store.read((r) => r.list(LEASE_KIND));
  assert.deepEqual(stored.map((d) => d.key), [mac]);
  assert.deepEqual({ ...(stored[0]!.value as object), expires: undefined, clientId: undefined }, { address: '10.0.0.10', network: 'lab', node: 'n1', state: 'bound', expires: undefined, clientId: undefined });
});

test('UEFI kinds: snponly.efi by default, ipxe.efi when configured, HTTP boot URL with HTTPClient echoed', () => {
  const bed = testBed([lab, { ...lab, name: 'lab2', subnet: '10.0.1.0/24', serverAddress: '10.0.1.1', gateway: undefined, pool: undefined, uefiLoader: 'ipxe.efi' }],
    [node('a', '52:54:00:00:00:21', '10.0.0.21'), node('b', '52:54:00:00:00:22', '10.0.1.22')]);
  const a = send(bed, DISCOVER, { mac: '52:54:00:00:00:21', arch: 7, vendorClass: 'PXEClient:Arch:00007:UNDI:003016' })!;
  assert.equal(a.packet.file, 'snponly.efi');
  assert.equal(a.packet.options.has(Option.vendorClass), false, 'full mode sends no PXEClient class: the ROM boots from file/siaddr');
  const b = send(bed, DISCOVER, { mac: '52:54:00:00:00:22', arch: 7, vendorClass: 'PXEClient:Arch:00007:UNDI:003016' })!;
  assert.equal(b.packet.file, 'ipxe.efi');
  const h = send(bed, DISCOVER, { mac: '52:54:00:00:00:21', arch: 16, vendorClass: 'HTTPClient:Arch:00016:UNDI:003001' })!;
  assert.equal(h.packet.file, 'http://10.0.0.1:8080/boot/loader/ipxe.efi');
  assert.equal(optionText(h.packet, Option.vendorClass), 'HTTPClient');
});

test('a node that is not bootable gets an address but no boot file', () => {
  const bed = testBed([lab], [node('n1', mac, '10.0.0.10', { bootable: false })]);
  const ack = exchange(bed, pxeRom(mac));
  assert.equal(ack.yiaddr, '10.0.0.10');
  assert.equal(ack.file, '');
  assert.equal(ack.siaddr, '0.0.0.0');
});

test('unknown machines are reported to the backend and boot into discovery from the pool', () => {
  const bed = testBed([lab]);
  const ack = exchange(bed, pxeRom(mac));
  assert.equal(ack.yiaddr, '10.0.0.100');
  assert.equal(ack.file, 'undionly.kpxe');
  assert.equal(bed.backend.discoveries.length, 1);
  assert.deepEqual(bed.backend.discoveries[0], {
    mac, network: 'lab', arch: 0, kind: 'bios-pxe', uuid: '00112233-4455-6677-8899-aabbccddeeff', vendorClass: 'PXEClient:Arch:00000:UNDI:002001',
  });
});

test('policy assignment through discovered() takes effect at once', () => {
  const bed = testBed([lab]);
  bed.backend.assign = (c) => node('auto1', c.mac, '10.0.0.50');
  const ack = exchange(bed, pxeRom(mac));
  assert.equal(ack.yiaddr, '10.0.0.50');
  assert.equal(optionText(ack, Option.hostname), 'auto1');
});

test('without a pool an unknown machine gets nothing, and that is counted', () => {
  const bed = testBed([{ ...lab, pool: undefined }]);
  assert.equal(send(bed, DISCOVER, pxeRom(mac)), undefined);
  assert.equal(bed.events.dropped.get('dhcp:unknown-client-no-pool'), 1);
});

test('a node address outside the network is not handed out', () => {
  const bed = testBed([lab], [node('n1', mac, '10.9.9.9')]);
  assert.equal(send(bed, DISCOVER, pxeRom(mac)), undefined);
  assert.equal(bed.events.dropped.get('dhcp:node-address-outside-subnet'), 1);
});

test('REQUEST states of RFC 2131 §4.3.2', () => {
  const bed = testBed([lab], [node('n1', mac, '10.0.0.10')]);
  // SELECTING a wrong address → NAK, broadcast
  const nak = send(bed, REQUEST, { ...osClient(mac), serverId: '10.0.0.1', requested: '10.0.0.11' })!;
  assert.equal(opt.messageType(nak.packet.options), MessageType.nak);
  assert.equal(nak.packet.yiaddr, '0.0.0.0');
  assert.deepEqual(nak.to, { address: '255.255.255.255', port: 68 });
  assert.equal(nak.persist, false);
  // SELECTING another server → silent (counted)
  assert.equal(send(bed, REQUEST, { ...osClient(mac), serverId: '10.0.0.99', requested: '10.0.0.10' }), undefined);
  assert.equal(bed.events.dropped.get('dhcp:selected-other-server'), 1);
  // INIT-REBOOT right and wrong
  assert.equal(opt.messageType(send(bed, REQUEST, { ...osClient(mac), requested: '10.0.0.10' })!.packet.options), MessageType.ack);
  assert.equal(opt.messageType(send(bed, REQUEST, { ...osClient(mac), requested: '10.0.0.12' })!.packet.options), MessageType.nak);
  assert.equal(opt.messageType(send(bed, REQUEST, { ...osClient(mac), requested: '172.16.0.1' })!.packet.options), MessageType.nak, 'wrong network');
  // RENEWING: unicast to ciaddr
  const renew = send(bed, REQUEST, { ...osClient(mac), ciaddr: '10.0.0.10' })!;
  assert.equal(opt.messageType(renew.packet.options), MessageType.ack);
  assert.equal(renew.packet.ciaddr, '10.0.0.10');
  assert.deepEqual(renew.to, { address: '10.0.0.10', port: 68 });
  assert.equal(opt.messageType(send(bed, REQUEST, { ...osClient(mac), ciaddr: '10.0.0.77' })!.packet.options), MessageType.nak);
  // INIT-REBOOT of a machine berth has no record of → silent
  assert.equal(send(bed, REQUEST, { ...osClient('52:54:00:99:99:99'), requested: '10.0.0.150' }), undefined);
  assert.equal(bed.events.dropped.get('dhcp:init-reboot-unknown-client'), 1);
});

test('relayed requests: network by giaddr, reply to the relay on port 67, option 82 echoed last', () => {
  const remote = { ...lab, name: 'rack7', subnet: '10.7.0.0/24', serverAddress: '10.0.0.1', gateway: '10.7.0.1', pool: { start: '10.7.0.100', end: '10.7.0.110' }, relays: ['10.7.0.1'] };
  const bed = testBed([lab, remote], [], { direct: ['10.0.0.1'] });
  const relayInfo = Buffer.from([1, 4, 0, 0, 0, 7, 2, 6, 0xa0, 0x36, 0x9f, 0, 0, 1]);
  const offer = send(bed, DISCOVER, { ...pxeRom(mac), giaddr: '10.7.0.1', relayInfo })!;
  assert.equal(offer.packet.yiaddr, '10.7.0.100');
  assert.deepEqual(offer.to, { address: '10.7.0.1', port: 67 });
  assert.equal(offer.packet.giaddr, '10.7.0.1');
  assert.deepEqual(offer.packet.options.get(Option.relayAgentInfo), relayInfo);
  const codes = offer.packet.options.codes();
  assert.equal(codes.at(-1), Option.relayAgentInfo, 'RFC 3046: relay information is the last option');
  assert.deepEqual(bed.backend.discoveries[0]!.relay, { giaddr: '10.7.0.1', circuitId: '00000007', remoteId: 'a0369f000001' });
  const nak = send(bed, REQUEST, { ...osClient(mac), giaddr: '10.7.0.1', requested: '10.7.0.199', serverId: '10.0.0.1', relayInfo })!;
  assert.equal(opt.messageType(nak.packet.options), MessageType.nak);
  assert.equal(nak.packet.flags & 0x8000, 0x8000, 'a relayed NAK has the broadcast bit set');
  assert.deepEqual(nak.to, { address: '10.7.0.1', port: 67 });
  assert.equal(send(bed, DISCOVER, { ...pxeRom(mac), giaddr: '10.99.0.1' }), undefined);
  assert.equal(bed.events.dropped.get('dhcp:relay-network-unknown'), 1);
});

test('pool: exhaustion is counted, fixed node addresses are never handed to others, DECLINE takes an address out', () => {
  const small = { ...lab, pool: { start: '10.0.0.100', end: '10.0.0.102' } };
  const bed = testBed([small], [node('n1', '52:54:00:00:01:01', '10.0.0.101')]);
  const a = exchange(bed, osClient('52:54:00:00:02:01'));
  const b = exchange(bed, osClient('52:54:00:00:02:02'));
  assert.deepEqual([a.yiaddr, b.yiaddr], ['10.0.0.100', '10.0.0.102'], '10.0.0.101 belongs to n1');
  assert.equal(send(bed, DISCOVER, osClient('52:54:00:00:02:03')), undefined);
  assert.equal(bed.events.dropped.get('dhcp:pool-exhausted'), 1);

  // b releases; c gets b's address; then c declines it and it stays out of the pool
  assert.equal(send(bed, RELEASE, { ...osClient('52:54:00:00:02:02'), ciaddr: '10.0.0.102', serverId: '10.0.0.1' }), undefined);
  const c = exchange(bed, osClient('52:54:00:00:02:03'));
  assert.equal(c.yiaddr, '10.0.0.102');
  assert.equal(send(bed, DECLINE, { ...osClient('52:54:00:00:02:03'), requested: '10.0.0.102', serverId: '10.0.0.1' }), undefined);
  assert.equal(send(bed, DISCOVER, osClient('52:54:00:00:02:03')), undefined, 'the only free address was declined');
  assert.ok(bed.events.events.some((e) => e.step === 'decline' && e.detail?.['address'] === '10.0.0.102'));
  bed.clock.now += 3601_000;
  assert.equal(send(bed, DISCOVER, osClient('52:54:00:00:02:03'))?.packet.yiaddr, '10.0.0.102', 'after the decline period it is usable again');
});

test('an offered pool address is held for its client', () => {
  const bed = testBed([{ ...lab, pool: { start: '10.0.0.100', end: '10.0.0.101' } }]);
  const a = send(bed, DISCOVER, osClient('52:54:00:00:03:01'))!;
  const b = send(bed, DISCOVER, osClient('52:54:00:00:03:02'))!;
  assert.notEqual(a.packet.yiaddr, b.packet.yiaddr);
  assert.equal(send(bed, DISCOVER, osClient('52:54:00:00:03:01'))!.packet.yiaddr, a.packet.yiaddr);
});

test('INFORM gets configuration without an address, unicast to ciaddr', () => {
  const bed = testBed([lab], [node('n1', mac, '10.0.0.10')]);
  const ack = send(bed, INFORM, { ...osClient(mac), ciaddr: '10.0.0.10' })!;
  assert.equal(opt.messageType(ack.packet.options), MessageType.ack);
  assert.equal(ack.packet.yiaddr, '0.0.0.0');
  assert.equal(ack.packet.options.has(Option.leaseTime), false);
  assert.equal(optionText(ack.packet, Option.hostname), 'n1');
  assert.deepEqual(ack.to, { address: '10.0.0.10', port: 68 });
});

test('every exchange is on the timeline with node, mac and details', () => {
  const bed = testBed([lab], [node('n1', mac, '10.0.0.10')]);
  exchange(bed, pxeRom(mac));
  assert.deepEqual(bed.events.events.map((e) => e.step), ['discover', 'offer', 'request', 'ack']);
  const offer = bed.events.events[1]!;
  assert.equal(offer.node, 'n1');
  assert.equal(offer.mac, mac);
  assert.deepEqual(offer.detail, { xid: '0x1234abcd', network: 'lab', address: '10.0.0.10', kind: 'bios-pxe', arch: 0 });
});

test('with two direct networks, a broadcast from a machine without a configured address is ambiguous and dropped', () => {
  const other = { ...lab, name: 'lab2', subnet: '10.0.1.0/24', serverAddress: '10.0.1.1', gateway: undefined, pool: undefined };
  const bed = testBed([lab, other], [node('n2', '52:54:00:00:04:02', '10.0.1.20')]);
  assert.equal(send(bed, DISCOVER, osClient('52:54:00:00:04:01')), undefined);
  assert.equal(bed.events.dropped.get('dhcp:network-ambiguous'), 1);
  assert.equal(send(bed, DISCOVER, osClient('52:54:00:00:04:02'))!.packet.yiaddr, '10.0.1.20', 'the node address picks its network');
});

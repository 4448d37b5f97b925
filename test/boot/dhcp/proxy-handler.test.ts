import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dispatch } from '../../../src/boot/dhcp/dispatch.ts';
import * as opt from '../../../src/boot/dhcp/options.ts';
import { MessageType, Option } from '../../../src/boot/dhcp/options.ts';
import { parsePacket } from '../../../src/boot/dhcp/packet.ts';
import { clientBytes, DISCOVER, ipxe, node, optionText, osClient, proxyLan, pxeRom, REQUEST, testBed, type ClientMessage, type TestBed } from './helpers.ts';

const mac = '52:54:00:00:00:30';

function send(bed: TestBed, type: number, m: ClientMessage, port: 'server' | 'proxy' = 'server', from = { address: '0.0.0.0', port: 68 }) {
  const out = dispatch(clientBytes(type, m), port, from, bed.ctx);
  return out && { ...out, packet: parsePacket(out.bytes) };
}

test('a PXE DISCOVER gets a boot-only offer with PXE vendor options and its GUID back', () => {
  const bed = testBed([proxyLan], [node('n1', mac)]);
  const offer = send(bed, DISCOVER, pxeRom(mac))!;
  const p = offer.packet;
  assert.equal(opt.messageType(p.options), MessageType.offer);
  assert.equal(p.yiaddr, '0.0.0.0', 'ProxyDHCP never hands out addresses');
  assert.equal(p.options.has(Option.leaseTime), false);
  assert.equal(p.siaddr, '192.168.1.5');
  assert.equal(p.file, 'undionly.kpxe');
  assert.equal(opt.serverId(p.options), '192.168.1.5');
  assert.equal(optionText(p, Option.vendorClass), 'PXEClient');
  assert.deepEqual([...p.options.get(Option.vendorSpecific)!], [6, 1, 8, 255], 'discovery control: boot the file, no menu');
  assert.equal(opt.clientUuid(p.options), '00112233-4455-6677-8899-aabbccddeeff');
  assert.deepEqual(offer.to, { address: '255.255.255.255', port: 68 });
  assert.equal(bed.leases.leaseCount(), 0);
});

test('the PXE request on port 4011 is acknowledged unicast to the client', () => {
  const bed = testBed([proxyLan], [node('n1', mac)]);
  const ack = send(bed, REQUEST, { ...pxeRom(mac), ciaddr: '192.168.1.77' }, 'proxy', { address: '192.168.1.77', port: 4011 })!;
  assert.equal(opt.messageType(ack.packet.options), MessageType.ack);
  assert.equal(ack.packet.file, 'undionly.kpxe');
  assert.deepEqual(ack.to, { address: '192.168.1.77', port: 4011 });
});

test('iPXE in proxy mode gets its script URL; UEFI HTTP gets the loader URL with HTTPClient', () => {
  const bed = testBed([proxyLan], [node('n1', mac)]);
  assert.equal(send(bed, DISCOVER, ipxe(mac))!.packet.file, `http://192.168.1.5:8080/boot/ipxe/${mac}`);
  const http = send(bed, DISCOVER, { mac, arch: 16, vendorClass: 'HTTPClient:Arch:00016:UNDI:003001' })!.packet;
  assert.equal(http.file, 'http://192.168.1.5:8080/boot/loader/ipxe.efi');
  assert.equal(optionText(http, Option.vendorClass), 'HTTPClient');
  assert.equal(http.options.has(Option.vendorSpecific), false);
});

test('non-PXE clients, REQUESTs on port 67, unbootable nodes and unknown architectures get nothing, counted', () => {
  const bed = testBed([proxyLan], [node('n1', mac), node('n2', '52:54:00:00:00:31', undefined, { bootable: false })]);
  assert.equal(send(bed, DISCOVER, osClient(mac)), undefined);
  assert.equal(send(bed, REQUEST, { ...pxeRom(mac), serverId: '192.168.1.1', requested: '192.168.1.77' }), undefined);
  assert.equal(send(bed, DISCOVER, pxeRom('52:54:00:00:00:31')), undefined);
  assert.equal(send(bed, DISCOVER, { mac, arch: 11, vendorClass: 'PXEClient:Arch:00011:UNDI:003000' }), undefined);
  assert.deepEqual(Object.fromEntries(bed.events.dropped), {
    'dhcp:not-a-netboot-client': 1, 'dhcp:proxy-not-a-discover': 1, 'dhcp:not-bootable': 1, 'dhcp:unsupported-client-arch': 1,
  });
});

test('unknown PXE clients are reported and still get the loader (discovery boot)', () => {
  const bed = testBed([proxyLan]);
  assert.equal(send(bed, DISCOVER, pxeRom(mac))!.packet.file, 'undionly.kpxe');
  assert.equal(bed.backend.discoveries.length, 1);
});

import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { test } from 'node:test';
import { DhcpServer } from '../../../src/boot/dhcp/dhcp-server.ts';
import { LEASE_KIND } from '../../../src/boot/dhcp/leases.ts';
import { MessageType, messageType } from '../../../src/boot/dhcp/options.ts';
import { parsePacket } from '../../../src/boot/dhcp/packet.ts';
import { RecordingSink } from '../../../src/events/boot-event.ts';
import { createMemoryStore } from '../../../src/store/memory-store.ts';
import { BerthError } from '../../../src/errors.ts';
import { nullLogger } from '../../../src/util/logger.ts';
import { clientBytes, FakeBackend, pxeRom, REQUEST } from './helpers.ts';
import { runExchanges } from './loopback-client.ts';

function freePorts() {
  const base = 20_000 + Math.floor(Math.random() * 20_000);
  return { server: base, client: base + 1, proxy: base + 2 };
}

test('over real UDP sockets on loopback: DISCOVER/REQUEST get OFFER/ACK, leases are stored, garbage is counted', async () => {
  const ports = freePorts();
  const store = createMemoryStore();
  const events = new RecordingSink();
  const server = new DhcpServer({
    networks: [{ name: 'loop', subnet: '127.0.0.0/8', mode: 'full', serverAddress: '127.0.0.1', pool: { start: '127.0.10.1', end: '127.0.10.250' } }],
    backend: new FakeBackend(), store, events, log: nullLogger(), httpPort: 8080, ports,
  });
  await server.start();
  try {
    const result = await runExchanges({ serverAddress: '127.0.0.1', serverPort: ports.server, clientPort: ports.client, exchanges: 40, concurrency: 8, retransmitMs: 500 });
    assert.equal(new Set(result.acks.map((a) => a.yiaddr)).size, 40, 'each machine its own address');
    assert.equal(await store.read((r) => r.count(LEASE_KIND)), 40, 'every ACKed lease is in the store');

    const garbage = createSocket('udp4');
    garbage.send(Buffer.from('definitely not dhcp'), ports.server, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 100));
    garbage.close();
    assert.equal(events.dropped.get('dhcp:truncated-header'), 1);
  } finally {
    await server.stop();
  }
});

test('proxy mode over sockets: the port 4011 request is answered unicast to the client', async () => {
  const ports = freePorts();
  const server = new DhcpServer({
    networks: [{ name: 'lan', subnet: '127.0.0.0/8', mode: 'proxy', serverAddress: '127.0.0.1' }],
    backend: new FakeBackend(), store: createMemoryStore(), events: new RecordingSink(), log: nullLogger(), httpPort: 8080, ports,
  });
  await server.start();
  const client = createSocket({ type: 'udp4', reuseAddr: true });
  try {
    await new Promise<void>((r) => client.bind(ports.client, '127.0.0.1', () => r()));
    client.send(clientBytes(REQUEST, { ...pxeRom('52:54:00:00:00:40'), ciaddr: '127.0.0.1' }), ports.proxy, '127.0.0.1');
    const [buf, rinfo] = await once(client, 'message');
    const ack = parsePacket(buf as Buffer);
    assert.equal(messageType(ack.options), MessageType.ack);
    assert.equal(ack.file, 'undionly.kpxe');
    assert.equal((rinfo as { port: number }).port, ports.proxy, 'answered from the boot server port');
  } finally {
    client.close();
    await server.stop();
  }
});

test('a bad network config is refused with BERTH_CONFIG naming the field', () => {
  const make = (subnet: string, pool?: { start: string; end: string }) => () => new DhcpServer({
    networks: [{ name: 'x', subnet, mode: 'full', serverAddress: '10.0.0.1', ...(pool && { pool }) }],
    backend: new FakeBackend(), store: createMemoryStore(), events: new RecordingSink(), log: nullLogger(), httpPort: 8080,
  });
  assert.throws(make('10.0.0.0/33'), (e: unknown) => e instanceof BerthError && e.code === 'BERTH_CONFIG' && e.where.attribute === 'dhcp.networks[0].subnet');
  assert.throws(make('10.0.0.0/24', { start: '10.0.1.1', end: '10.0.1.9' }), (e: unknown) => e instanceof BerthError && e.where.attribute === 'dhcp.networks[0].pool');
});

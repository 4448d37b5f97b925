/** The new-client limit and the pool under a DISCOVER flood: nodes always get through, a flood cannot hold the pool. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dispatch } from '../../../src/boot/dhcp/dispatch.ts';
import { messageType, MessageType } from '../../../src/boot/dhcp/options.ts';
import { parsePacket } from '../../../src/boot/dhcp/packet.ts';
import { NewClientLimit } from '../../../src/boot/dhcp/new-client-limit.ts';
import { clientBytes, DISCOVER, lab, node, pxeRom, REQUEST, testBed } from './helpers.ts';
import { macFor } from './loopback-client.ts';

const from = { address: '0.0.0.0', port: 68 };

test('token bucket: a burst, then the rate; a machine let in is not charged again for the rest of its exchange', () => {
  const limit = new NewClientLimit({ perSecond: 10, burst: 3, rememberMs: 60_000 });
  const t0 = 1_000_000;
  assert.deepEqual([1, 2, 3, 4].map((i) => limit.admit(macFor(i), t0)), [true, true, true, false]);
  assert.equal(limit.admit(macFor(1), t0), true, 'remembered');
  assert.equal(limit.admit(macFor(5), t0 + 100), true, 'one token after 100 ms at 10/s');
  assert.equal(limit.admit(macFor(6), t0 + 100), false);
  assert.equal(limit.admit(macFor(7), t0 + 60_000), true);
  assert.equal(limit.admit(macFor(7), t0 + 50), true, 'a clock going back neither refills nor breaks it');
});

test('it remembers at most `remember` machines, oldest forgotten first', () => {
  const limit = new NewClientLimit({ perSecond: 0, burst: 5, remember: 2 });
  for (const i of [1, 2, 3]) assert.equal(limit.admit(macFor(i), 0), true);
  assert.equal(limit.admit(macFor(3), 0), true);
  assert.equal(limit.admit(macFor(2), 0), true);
  assert.equal(limit.admit(macFor(1), 0), true, 'forgotten, so it costs a token again (the fourth of five)');
  assert.equal(limit.admit(macFor(9), 0), true);
  assert.equal(limit.admit(macFor(3), 0), false, 'forgotten and the bucket is empty');
});

test('a flood of new MACs is cut to the burst and counted, while 10,000 inventory nodes on a frozen clock are all answered', () => {
  const nodes = Array.from({ length: 10_000 }, (_, i) => node(`n${i}`, macFor(i)));
  const bed = testBed([{ ...lab, pool: { start: '10.0.0.10', end: '10.0.0.250' } }], nodes, { newClients: { perSecond: 50, burst: 200 } });
  let answered = 0;
  for (let i = 0; i < 2000; i++) {
    if (dispatch(clientBytes(DISCOVER, pxeRom(macFor(0x10000 + i))), 'server', from, bed.ctx)) answered++;
  }
  assert.equal(bed.events.dropped.get('dhcp:new-client-rate-limited'), 2000 - 200);
  assert.equal(answered + (bed.events.dropped.get('dhcp:pool-exhausted') ?? 0), 200, 'the 200 let in were served as far as the pool went');
  assert.equal(bed.backend.discoveries.length, 200, 'only machines let in are recorded');
  let offers = 0;
  for (const n of nodes) {
    const out = dispatch(clientBytes(DISCOVER, pxeRom(n.mac)), 'server', from, bed.ctx);
    if (out && messageType(parsePacket(out.bytes).options) === MessageType.offer) offers++;
  }
  assert.equal(bed.events.dropped.get('dhcp:new-client-rate-limited'), 1800, 'nodes are never rate limited');
  assert.ok(offers > 0);
});

test('a full pool takes back offers nobody REQUESTed: at once for a node, after 5 s for an unknown machine', () => {
  const small = { ...lab, pool: { start: '10.0.0.100', end: '10.0.0.102' } };
  const bed = testBed([small], [node('pooled', '52:54:00:00:80:01')]);
  const discover = (mac: string) => {
    const out = dispatch(clientBytes(DISCOVER, pxeRom(mac)), 'server', from, bed.ctx);
    return out && parsePacket(out.bytes).yiaddr;
  };
  for (const i of [1, 2, 3]) assert.ok(discover(macFor(i)), 'flood machine gets an offer');
  assert.equal(discover(macFor(4)), undefined, 'pool full, offers still fresh');
  assert.equal(bed.events.dropped.get('dhcp:pool-exhausted'), 1);
  const nodeAddress = discover('52:54:00:00:80:01');
  assert.equal(nodeAddress, '10.0.0.100', 'the node takes the oldest offer at once');
  const ack = dispatch(clientBytes(REQUEST, { ...pxeRom('52:54:00:00:80:01'), serverId: '10.0.0.1', requested: nodeAddress }), 'server', from, bed.ctx)!;
  assert.equal(messageType(parsePacket(ack.bytes).options), MessageType.ack);
  bed.clock.now += 5000;
  assert.equal(discover(macFor(5)), '10.0.0.101', 'after 5 s an unknown machine takes the oldest unanswered offer');
  assert.equal(discover(macFor(6)), '10.0.0.102');
  assert.equal(discover(macFor(7)), undefined, 'fresh offers and the bound lease are kept');
});

/** Which packets may be served at all: relays must be configured, and packets without giaddr must come from the network itself. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dispatch } from '../../../src/boot/dhcp/dispatch.ts';
import { resolveNetworks, selectNetwork, type DhcpNetworkConfig } from '../../../src/boot/dhcp/network.ts';
import { checkBootNetwork } from '../../../src/server/boot-network-config.ts';
import { BerthError } from '../../../src/errors.ts';
import { clientBytes, DISCOVER, lab, node, pxeRom, REQUEST, testBed } from './helpers.ts';

const rack7: DhcpNetworkConfig = { name: 'rack7', subnet: '10.7.0.0/24', mode: 'full', serverAddress: '10.0.0.1', pool: { start: '10.7.0.100', end: '10.7.0.110' }, relays: ['10.7.0.1', '10.0.0.250'] };
const networks = resolveNetworks([lab, rack7], (a) => a === '10.0.0.1');
const pick = (hints: { giaddr?: string; ciaddr?: string; source: string; arrivedOn?: string }) => {
  const choice = selectNetwork(networks, { giaddr: '0.0.0.0', ciaddr: '0.0.0.0', ...hints });
  return 'dropped' in choice ? choice.dropped : choice.network.name;
};

test('a network whose server address lies outside its subnet is reached through relays, never directly attached', () => {
  assert.deepEqual(networks.map((n) => [n.name, n.direct]), [['lab', true], ['rack7', false]]);
});

test('without giaddr: served when from 0.0.0.0 on an attached network or from inside the subnet, dropped from anywhere else', () => {
  assert.equal(pick({ source: '0.0.0.0' }), 'lab');
  assert.equal(pick({ source: '10.0.0.77' }), 'lab');
  assert.equal(pick({ source: '10.0.0.77', arrivedOn: 'lab' }), 'lab');
  // The attack: a unicast to the server address from a routed network.
  assert.equal(pick({ source: '192.168.50.10', arrivedOn: 'lab' }), 'off-link-source');
  assert.equal(pick({ source: '192.168.50.10' }), 'off-link-source');
  // RFC 2131 §4.4.5: a relayed client renews by unicast, straight from its own address.
  assert.equal(pick({ source: '10.7.0.120', ciaddr: '10.7.0.120' }), 'rack7');
  assert.equal(pick({ source: '10.0.0.77', ciaddr: '10.7.0.120' }), 'off-link-source', 'a source outside the network it claims');
  assert.equal(pick({ source: '0.0.0.0', ciaddr: '10.7.0.120' }), 'off-link-source', '0.0.0.0 cannot have crossed a router');
});

test('with giaddr: only from a configured relay, with its giaddr and source both listed (RFC 3046 §2.1)', () => {
  assert.equal(pick({ giaddr: '10.7.0.1', source: '10.7.0.1' }), 'rack7');
  assert.equal(pick({ giaddr: '10.7.0.1', source: '10.0.0.250' }), 'rack7', 'a relay sending from its server-side address');
  assert.equal(pick({ giaddr: '10.7.0.9', source: '10.7.0.9' }), 'relay-not-configured');
  assert.equal(pick({ giaddr: '10.7.0.1', source: '198.51.100.7' }), 'relay-source-not-configured');
  assert.equal(pick({ giaddr: '10.0.0.254', source: '10.0.0.254' }), 'relay-not-configured', 'a network with no relays takes no relayed packets');
  assert.equal(pick({ giaddr: '10.99.0.1', source: '10.99.0.1' }), 'relay-network-unknown');
});

test('dispatch drops and counts off-link and unconfigured-relay packets, and answers the configured relay', () => {
  const bed = testBed([lab, rack7], [], { direct: ['10.0.0.1'] });
  const discover = (giaddr?: string) => clientBytes(DISCOVER, { ...pxeRom('52:54:00:00:70:01'), ...(giaddr && { giaddr }) });
  assert.equal(dispatch(discover(), 'server', { address: '192.168.50.10', port: 68 }, bed.ctx), undefined);
  assert.equal(dispatch(discover('10.7.0.9'), 'server', { address: '10.7.0.9', port: 67 }, bed.ctx), undefined);
  assert.deepEqual(Object.fromEntries(bed.events.dropped), { 'dhcp:off-link-source': 1, 'dhcp:relay-not-configured': 1 });
  assert.equal(bed.backend.discoveries.length, 0, 'nothing recorded from packets that were not served');
  const offer = dispatch(discover('10.7.0.1'), 'server', { address: '10.7.0.1', port: 67 }, bed.ctx)!;
  assert.deepEqual(offer.to, { address: '10.7.0.1', port: 67 });
  const known = testBed([lab], [node('n1', '52:54:00:00:70:02', '10.0.0.10')]);
  const request = clientBytes(REQUEST, { ...pxeRom('52:54:00:00:70:02'), serverId: '10.0.0.1', requested: '10.0.0.10' });
  assert.equal(dispatch(request, 'server', { address: '203.0.113.5', port: 68 }, known.ctx), undefined, 'a known node off-link is not answered either');
});

test('relays in the network config: validated, named in errors, and the server address of a relayed network may lie outside its subnet', () => {
  assert.throws(() => resolveNetworks([{ ...rack7, relays: ['10.7.0.300'] }], () => false),
    (e: unknown) => e instanceof BerthError && e.code === 'BERTH_CONFIG' && e.where.attribute === 'dhcp.networks[0].relays[0]');
  const relayed = checkBootNetwork({ name: 'rack7', subnet: '10.7.0.0/24', server_address: '10.0.0.1', relays: ['10.7.0.1'] });
  assert.deepEqual(relayed, { ok: true, value: { name: 'rack7', subnet: '10.7.0.0/24', mode: 'full', serverAddress: '10.0.0.1', relays: ['10.7.0.1'] } });
  const bad = checkBootNetwork({ name: 'rack7', subnet: '10.7.0.0/24', server_address: '10.7.0.2', relays: '10.7.0.1' });
  assert.equal(bad.ok, false);
  assert.match((bad as { message: string }).message, /network rack7: relays: expected a list of the relay agents' IPv4 addresses/);
  const unrelayed = checkBootNetwork({ name: 'rack7', subnet: '10.7.0.0/24', server_address: '10.0.0.1' });
  assert.match((unrelayed as { message: string }).message, /server_address: 10\.0\.0\.1 is not inside 10\.7\.0\.0\/24/);
});

/** Discovery records are bounded: a cap with least-recently-seen eviction (counted), and ageing out. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DiscoveryService } from '../../../src/boot/discovery/discovery.ts';
import { RecordingSink } from '../../../src/events/boot-event.ts';
import { Inventory } from '../../../src/inventory/inventory.ts';
import { createMemoryStore } from '../../../src/store/memory-store.ts';

const mac = (i: number) => `02:00:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
const client = (i: number) => ({ mac: mac(i), network: 'lab', kind: 'bios-pxe' as const });

async function setup(limits: { maxRecords?: number; maxAgeMs?: number }) {
  const store = createMemoryStore();
  const inventory = await Inventory.load(store);
  const events = new RecordingSink();
  const clock = { now: Date.parse('2026-01-01T00:00:00Z') };
  const discovery = await DiscoveryService.load(store, inventory, events, { ...limits, now: () => clock.now });
  return { store, inventory, events, clock, discovery };
}

test('at the cap the machine seen longest ago is evicted, counted, and deleted from the store; one that keeps asking stays', async () => {
  const { store, inventory, events, clock, discovery } = await setup({ maxRecords: 100 });
  discovery.observe(client(0)); // a real machine waiting for assignment
  for (let i = 1; i <= 1000; i++) {
    clock.now += 10;
    discovery.observe(client(i));
    if (i % 50 === 0) discovery.observe(client(0)); // it keeps asking
  }
  const macs = discovery.list().map((r) => r.mac);
  assert.equal(macs.length, 100);
  assert.ok(macs.includes(mac(0)), 'the machine that keeps asking is kept');
  assert.ok(macs.includes(mac(1000)), 'the newest is recorded, not refused');
  assert.equal(events.dropped.get('discovery:evicted-at-cap'), 901);
  await discovery.flush();
  assert.equal(await store.read((r) => r.count('discovered')), 100, 'evicted records are deleted from the store');
  const reloaded = await DiscoveryService.load(store, inventory, events, { maxRecords: 10, now: () => clock.now });
  assert.equal(reloaded.list().length, 10, 'a smaller cap applies to what the store holds at once');
});

test('a machine not seen for 24 h is forgotten, in memory and in the store', async () => {
  const { store, clock, discovery } = await setup({});
  discovery.observe(client(1));
  clock.now += 23 * 3600_000;
  discovery.observe(client(2));
  await discovery.flush();
  clock.now += 2 * 3600_000;
  assert.deepEqual(discovery.list().map((r) => r.mac), [mac(2)]);
  await discovery.flush();
  assert.deepEqual((await store.read((r) => r.list('discovered'))).map((d) => d.key), [mac(2)]);
});

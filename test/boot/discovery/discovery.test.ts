/** Discovered machines and the policies that turn them into nodes. */
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { DiscoveryService } from '../../../src/boot/discovery/discovery.ts';
import { InventoryBootBackend } from '../../../src/boot/inventory-backend.ts';
import { BerthError } from '../../../src/errors.ts';
import { RecordingSink } from '../../../src/events/boot-event.ts';
import { Inventory } from '../../../src/inventory/inventory.ts';
import { createMemoryStore } from '../../../src/store/memory-store.ts';
import type { Store } from '../../../src/store/store.ts';

const client = (mac: string, uuid?: string) => ({ mac, network: 'lab', kind: 'bios-pxe' as const, arch: 0, ...(uuid ? { uuid } : {}) });
const settle = () => new Promise((r) => setTimeout(r, 20));

describe('discovery', () => {
  let store: Store;
  let inventory: Inventory;
  let discovery: DiscoveryService;
  let backend: InventoryBootBackend;
  let events: RecordingSink;

  beforeEach(async () => {
    store = createMemoryStore();
    inventory = await Inventory.load(store);
    events = new RecordingSink();
    discovery = await DiscoveryService.load(store, inventory, events);
    backend = new InventoryBootBackend(inventory, discovery);
    await inventory.defineGroup('compute', '', { 'net.boot.ipv4_address': '10.99.0.{n1 + 10}/24' });
    await inventory.defineNodes([1, 2, 3].map((i) => ({ name: `c${i}`, groups: ['compute'] })));
    await inventory.changeNodes(['c2'], { set: { 'id.uuid': '11111111-2222-3333-4444-555555555555' } });
  });

  test('manual: unknown machines are recorded, once, and never assigned by themselves', async () => {
    assert.equal(backend.discovered(client('52:54:00:00:00:0a')), undefined);
    assert.equal(backend.discovered(client('52:54:00:00:00:0a')), undefined);
    await settle();
    const [record] = discovery.list();
    assert.equal(record!.mac, '52:54:00:00:00:0a');
    assert.equal(record!.seen, 2);
    assert.equal(events.events.filter((e) => e.step === 'new').length, 1);
    await discovery.flush();
    const reloaded = await DiscoveryService.load(store, inventory, events);
    assert.equal(reloaded.list().length, 1, 'recorded in the store');
  });

  test('assign by MAC sets the hwaddr, after which DHCP knows the node with its address', async () => {
    backend.discovered(client('52:54:00:00:00:0b'));
    await discovery.assign('52-54-00-00-00-0B', 'c3');
    assert.equal(discovery.list().length, 0);
    const config = backend.nodeByMac('52:54:00:00:00:0b')!;
    assert.equal(config.node, 'c3');
    assert.deepEqual(config.address, { ip: '10.99.0.13', prefixLength: 24 });
    await assert.rejects(discovery.assign('52:54:00:00:00:ff', 'c1'), (e: BerthError) => e.code === 'BERTH_NOT_FOUND');
  });

  test('uuid policy: a machine whose SMBIOS UUID is a node\'s id.uuid becomes that node at once', async () => {
    await discovery.setPolicy({ mode: 'uuid', interfaceName: 'boot' });
    const config = backend.discovered(client('52:54:00:00:00:0c', '11111111-2222-3333-4444-555555555555'));
    assert.equal(config?.node, 'c2');
    assert.equal(config?.address?.ip, '10.99.0.12');
    await settle();
    assert.equal(inventory.resolveNode('c2')['net.boot.hwaddr']?.value, '52:54:00:00:00:0c');
    assert.equal(backend.discovered(client('52:54:00:00:00:0d', '99999999-2222-3333-4444-555555555555')), undefined);
  });

  test('sequential policy fills the noderange in boot order, never one node twice', async () => {
    await discovery.setPolicy({ mode: 'sequential', noderange: 'c[1-3]', interfaceName: 'boot' });
    await inventory.changeNodes(['c1'], { set: { 'net.boot.hwaddr': '52:54:00:00:01:01' } });
    const first = backend.discovered(client('52:54:00:00:00:e1'));
    const second = backend.discovered(client('52:54:00:00:00:e2'));
    const third = backend.discovered(client('52:54:00:00:00:e3'));
    assert.deepEqual([first?.node, second?.node, third], ['c2', 'c3', undefined]);
    await settle();
    assert.equal(backend.nodeByMac('52:54:00:00:00:e2')?.node, 'c3');
  });

  test('a sequential policy needs a valid noderange', async () => {
    await assert.rejects(discovery.setPolicy({ mode: 'sequential', interfaceName: 'boot' }), (e: BerthError) => e.code === 'BERTH_BAD_INPUT');
    await assert.rejects(discovery.setPolicy({ mode: 'sequential', noderange: 'nosuch', interfaceName: 'boot' }), (e: BerthError) => e.code === 'BERTH_NOT_FOUND');
  });
});

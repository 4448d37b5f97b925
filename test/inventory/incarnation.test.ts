/**
 * Node incarnations (src/inventory/incarnation.ts) at the inventory level:
 * node-bound documents die in the same transaction as the change that ends
 * their incarnation, follow renames, and a store written before
 * incarnations keeps the keys it held.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NodeKeyService } from '../../src/deploy/node-keys.ts';
import { Inventory } from '../../src/inventory/inventory.ts';
import { createMemoryStore } from '../../src/store/memory-store.ts';

const anyRequester = { checkRequester: () => undefined };

describe('node incarnations', () => {
  test('remove deletes the node key in the same revision as the node', async () => {
    const store = createMemoryStore();
    const inventory = await Inventory.load(store);
    await inventory.defineNodes([{ name: 'a', attributes: { 'deployment.armed': 'continuous' } }]);
    const keys = new NodeKeyService(store, inventory, anyRequester);
    await keys.grant('a', '10.0.0.1');
    const changes: string[][] = [];
    store.onChange((c) => changes.push(c.map((x) => `${x.kind}/${x.key}${x.value === undefined ? ' deleted' : ''}`)));
    await inventory.removeNodes(['a']);
    assert.deepEqual(changes.map((c) => c.sort()), [['node-key/a deleted', 'node/a deleted']], 'one transaction');
  });

  test('each definition of a name is a new incarnation; other changes keep it', async () => {
    const store = createMemoryStore();
    const inventory = await Inventory.load(store);
    await inventory.defineNodes([{ name: 'a', attributes: { 'net.eth0.hwaddr': '52:54:00:00:00:01' } }]);
    const first = inventory.incarnation('a');
    await inventory.changeNodes(['a'], { set: { 'location.rack': '7' } });
    assert.equal(inventory.incarnation('a'), first);
    await inventory.changeNodes(['a'], { set: { 'net.eth1.hwaddr': '52:54:00:00:00:09' } });
    assert.equal(inventory.incarnation('a'), first, 'a first address on another interface is the same machine');
    await inventory.changeNodes(['a'], { set: { 'net.eth0.hwaddr': '52:54:00:00:00:02' } });
    const second = inventory.incarnation('a');
    assert.notEqual(second, first);
    await inventory.removeNodes(['a']);
    assert.equal(inventory.incarnation('a'), undefined);
    await inventory.defineNodes([{ name: 'a' }]);
    assert.notEqual(inventory.incarnation('a'), second);
    const reloaded = await Inventory.load(store);
    assert.equal(reloaded.incarnation('a'), inventory.incarnation('a'), 'stored, not made up at load');
  });

  test('a rename moves the key with the record; a swap swaps them', async () => {
    const store = createMemoryStore();
    const inventory = await Inventory.load(store);
    await inventory.defineNodes([{ name: 'n1', attributes: { 'deployment.armed': 'continuous' } }, { name: 'n2', attributes: { 'deployment.armed': 'continuous' } }]);
    const keys = new NodeKeyService(store, inventory, anyRequester);
    const k1 = (await keys.grant('n1', 'x')).key;
    const k2 = (await keys.grant('n2', 'x')).key;
    await inventory.renameNodes(new Map([['n1', 'n2'], ['n2', 'n1']]));
    assert.equal(await keys.verify('n1', k1), false);
    assert.equal(await keys.verify('n2', k2), false);
    assert.equal(await keys.verify('n2', k1), true);
    assert.equal(await keys.verify('n1', k2), true);
    await inventory.renameNodes(new Map([['n1', 'm1']]));
    assert.equal(await keys.verify('m1', k2), true);
    assert.deepEqual(await store.read((r) => r.list('node-key').map((d) => d.key)), ['m1', 'n2']);
  });

  test('a store from before incarnations keeps its keys and loses the orphans', async () => {
    const store = createMemoryStore();
    const keyOf = async () => {
      const inventory = await Inventory.load(store);
      await inventory.defineNodes([{ name: 'old', attributes: { 'deployment.armed': 'continuous' } }]);
      return (await new NodeKeyService(store, inventory, anyRequester).grant('old', 'x')).key;
    };
    const key = await keyOf();
    // Written as berth did before incarnations: no incarnation on the node or its key, and a key of a node long removed.
    await store.write((tx) => {
      const node = tx.get<{ groups: string[]; attributes: Record<string, string> }>('node', 'old')!.value;
      tx.put('node', 'old', { groups: node.groups, attributes: node.attributes });
      const stored = tx.get<Record<string, string>>('node-key', 'old')!.value;
      const { incarnation: _, ...before } = stored;
      tx.put('node-key', 'old', before);
      tx.put('node-key', 'gone', before);
    });
    const inventory = await Inventory.load(store);
    assert.ok(inventory.incarnation('old'));
    assert.equal(await new NodeKeyService(store, inventory, anyRequester).verify('old', key), true);
    assert.deepEqual(await store.read((r) => r.list('node-key').map((d) => d.key)), ['old']);
  });
});

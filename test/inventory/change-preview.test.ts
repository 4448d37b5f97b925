/**
 * Dry runs at the inventory level (src/inventory/change-preview.ts): the
 * preview names the node-bound records a change deletes, masks secrets, and
 * the store is left exactly as it was.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NodeKeyService } from '../../src/deploy/node-keys.ts';
import { DryRun } from '../../src/inventory/change-preview.ts';
import { Inventory } from '../../src/inventory/inventory.ts';
import { createMemoryStore } from '../../src/store/memory-store.ts';

const anyRequester = { checkRequester: () => undefined };

describe('change previews', () => {
  test('remove, a new MAC and a rename: what ends with each, and nothing written', async () => {
    const store = createMemoryStore();
    const inventory = await Inventory.load(store);
    await inventory.defineNodes([
      { name: 'a', attributes: { 'deployment.armed': 'continuous', 'net.mgmt.hwaddr': '52:54:00:00:00:01' } },
      { name: 'b', attributes: { 'deployment.armed': 'continuous' } },
    ]);
    const keys = new NodeKeyService(store, inventory, anyRequester);
    await keys.grant('a', '10.0.0.1');
    const revision = await store.revision();

    const removal = new DryRun();
    assert.equal(await inventory.removeNodes(['a', 'b'], removal), 2);
    assert.deepEqual(removal.nodes, [{ node: 'a', removed: true, ends: ['node-key'] }, { node: 'b', removed: true }]);

    const newMac = new DryRun();
    await inventory.changeNodes(['a'], { set: { 'net.mgmt.hwaddr': '52:54:00:00:00:02' } }, newMac);
    assert.deepEqual(newMac.nodes, [{ node: 'a', changes: [{ attribute: 'net.mgmt.hwaddr', from: '52:54:00:00:00:01', to: '52:54:00:00:00:02' }], ends: ['node-key'] }]);

    const rename = new DryRun();
    await inventory.renameNodes(new Map([['a', 'c']]), rename);
    assert.deepEqual(rename.nodes, [{ node: 'c', renamedFrom: 'a' }], 'the key moves with the record');

    assert.equal(await store.revision(), revision, 'nothing written');
    assert.deepEqual(inventory.nodeNames(), ['a', 'b']);
    assert.equal(inventory.node('a')!.attributes['net.mgmt.hwaddr'], '52:54:00:00:00:01');
  });

  test('a secret value is named, never shown', async () => {
    const inventory = await Inventory.load(createMemoryStore());
    await inventory.defineNodes([{ name: 'a' }]);
    const dry = new DryRun();
    await inventory.changeNodes(['a'], { set: { 'crypted.rootpassword': '$6$salt$' + 'x'.repeat(86) } }, dry);
    assert.deepEqual(dry.nodes, [{ node: 'a', changes: [{ attribute: 'crypted.rootpassword', secret: true }] }]);
  });
});

/** Inheritance, precedence, provenance and all-or-nothing changes of the inventory service. */
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { BerthError } from '../../src/errors.ts';
import { Inventory } from '../../src/inventory/inventory.ts';
import { createMemoryStore } from '../../src/store/memory-store.ts';
import type { Store } from '../../src/store/store.ts';

describe('inventory', () => {
  let store: Store;
  let inventory: Inventory;

  beforeEach(async () => {
    store = createMemoryStore();
    inventory = await Inventory.load(store);
    await inventory.defineGroup('compute', '', { 'net.mgmt.hostname': '{node}-c', 'location.rack': '7' });
    await inventory.defineGroup('rack1', '', { 'net.mgmt.hostname': '{node}-r', 'location.row': 'B' });
    await inventory.changeGroup('everything', { set: { 'dns.domain': 'cluster.example', 'location.row': 'Z' } });
  });

  test('every node is in everything, after its own groups', async () => {
    await inventory.defineNodes([{ name: 'n1', groups: ['compute'] }]);
    assert.deepEqual(inventory.members('everything'), ['n1']);
    assert.equal(inventory.resolveNode('n1')['dns.domain']!.value, 'cluster.example');
    assert.equal(inventory.resolveNode('n1')['dns.domain']!.inheritedFrom, 'everything');
  });

  test('the earlier group in a node\'s list wins; the node\'s own value wins over all', async () => {
    await inventory.defineNodes([
      { name: 'a1', groups: ['compute', 'rack1'] },
      { name: 'b1', groups: ['rack1', 'compute'] },
    ]);
    assert.deepEqual(inventory.resolveNode('a1')['net.mgmt.hostname'], { value: 'a1-c', expression: '{node}-c', inheritedFrom: 'compute' });
    assert.deepEqual(inventory.resolveNode('b1')['net.mgmt.hostname'], { value: 'b1-r', expression: '{node}-r', inheritedFrom: 'rack1' });
    assert.equal(inventory.resolveNode('a1')['location.row']!.inheritedFrom, 'rack1', 'a group beats everything');
    await inventory.changeNodes(['a1'], { set: { 'net.mgmt.hostname': 'own' } });
    assert.deepEqual(inventory.resolveNode('a1')['net.mgmt.hostname'], { value: 'own' });
  });

  test('expressions may reference other attributes; cycles are reported, not looped', async () => {
    await inventory.defineNodes([{ name: 'r2u14', groups: ['compute'], attributes: { 'id.serial': 'SN{n1}{n2}', 'custom.label': '{id.serial}-{location.rack}' } }]);
    assert.equal(inventory.resolveNode('r2u14')['custom.label']!.value, 'SN214-7');
    await assert.rejects(
      inventory.changeNodes(['r2u14'], { set: { 'custom.a': '{custom.b}', 'custom.b': '{custom.a}' } }),
      (e: BerthError) => e.code === 'BERTH_EXPRESSION_EVAL' && /cycle/.test(e.message),
    );
    assert.equal(inventory.resolveNode('r2u14')['custom.a'], undefined, 'nothing written');
  });

  test('a group change that is invalid for one member writes nothing at all', async () => {
    await inventory.defineNodes(Array.from({ length: 300 }, (_, i) => ({ name: `n${i + 1}`, groups: ['compute'] })));
    const revision = await store.revision();
    // n256 and above would get a fourth octet of 256+.
    await assert.rejects(
      inventory.changeGroup('compute', { set: { 'net.mgmt.ipv4_address': '10.0.0.{n1}/16' } }),
      (e: BerthError) => e.code === 'BERTH_ATTRIBUTE_TYPE' && /n256/.test(e.message) && e.more.length > 0,
    );
    assert.equal(await store.revision(), revision);
    assert.equal(inventory.resolveNode('n1')['net.mgmt.ipv4_address'], undefined);
  });

  test('names are one namespace; unknown groups and duplicate MACs are refused', async () => {
    await assert.rejects(inventory.defineNodes([{ name: 'compute' }]), (e: BerthError) => e.code === 'BERTH_EXISTS');
    await assert.rejects(inventory.defineNodes([{ name: 'x', groups: ['nosuch'] }]), (e: BerthError) => e.code === 'BERTH_NOT_FOUND');
    await assert.rejects(inventory.defineNodes([{ name: 'bad,name' }]), (e: BerthError) => e.code === 'BERTH_BAD_INPUT');
    await inventory.defineNodes([{ name: 'm1', attributes: { 'net.mgmt.hwaddr': '52:54:00:00:00:01' } }]);
    await assert.rejects(
      inventory.defineNodes([{ name: 'm2', attributes: { 'net.boot.hwaddr': '52-54-00-00-00-01' } }]),
      (e: BerthError) => e.code === 'BERTH_CONFLICT' && /m1/.test(e.message),
    );
  });

  test('renames keep attributes and may swap names in one change', async () => {
    await inventory.defineNodes([
      { name: 'p1', attributes: { 'id.serial': 'one' } },
      { name: 'p2', attributes: { 'id.serial': 'two' } },
    ]);
    await inventory.renameNodes(new Map([['p1', 'p2'], ['p2', 'p1']]));
    assert.equal(inventory.resolveNode('p1')['id.serial']!.value, 'two');
  });

  test('state survives a reload from the store', async () => {
    await inventory.defineNodes([{ name: 'k1', groups: ['rack1', 'compute'], attributes: { 'id.serial': 'X' } }]);
    const reloaded = await Inventory.load(store);
    assert.deepEqual(reloaded.node('k1'), inventory.node('k1'));
    assert.deepEqual(reloaded.members('rack1'), ['k1']);
  });

  test('noderange attribute filters see resolved values but never secrets', async () => {
    await inventory.defineNodes([{ name: 'f1', groups: ['compute'] }, { name: 'f2' }]);
    assert.deepEqual(inventory.expand('location.rack=7'), ['f1']);
    assert.deepEqual(inventory.expand('net.mgmt.hostname=~-c$'), ['f1']);
    assert.throws(() => inventory.expand('crypted.rootpassword=x'), (e: BerthError) => /crypted/.test(e.message));
  });
});

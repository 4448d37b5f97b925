import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expandNoderange } from '../../../src/inventory/noderange/expand.ts';
import { assertFails } from './assert-fails.ts';
import { fakeContext, numbered, sampleInventory } from './fake-inventory.ts';

const context = fakeContext(sampleInventory());
const select = (text: string) => expandNoderange(text, context);

describe('expandNoderange with an inventory: the noderange(5) examples', () => {
  it('selects a single node and a group the same way', () => {
    assert.deepEqual(select('n1'), ['n1']);
    assert.deepEqual(select('rack1'), numbered('r1u', 1, 10, 2));
  });

  it('expands n1:n20, n1-n20 and n[1-20] alike', () => {
    const twenty = numbered('n', 1, 20);
    assert.deepEqual(select('n1:n20'), twenty);
    assert.deepEqual(select('n1-n20'), twenty);
    assert.deepEqual(select('n[1-20]'), twenty);
    assert.deepEqual(select('n1..n20'), twenty);
  });

  it('expands several varying numbers as a cartesian product', () => {
    const thirty = [...numbered('r1u', 1, 10, 2), ...numbered('r2u', 1, 10, 2), ...numbered('r3u', 1, 10, 2)];
    assert.deepEqual(select('r[1-3]u[01-10]'), thirty);
    assert.deepEqual(select('r1u01-r3u10'), thirty);
    assert.deepEqual(select('r1u01:r3u10'), thirty);
  });

  it('ranges over group names select the union of their members', () => {
    const compute = select('compute');
    assert.equal(compute.length, 100);
    assert.deepEqual(select('rack1-rack10'), compute);
    assert.deepEqual(select('rack[1-10]'), compute);
    assert.deepEqual(select('rack1:rack2'), [...select('rack1'), ...select('rack2')]);
  });

  it('selects by regular expression over node names (search, not anchored)', () => {
    assert.deepEqual(select('~r1u..'), numbered('r1u', 1, 10, 2));
    assert.deepEqual(select('/^n1.$'), numbered('n', 10, 19));
    assert.deepEqual(select('~^r(2|3)u0[12]$'), ['r2u01', 'r2u02', 'r3u01', 'r3u02']);
    assert.deepEqual(select('rack1,-~u0[2-9]'), ['r1u01', 'r1u10']);
  });

  it('filters on attributes, with wildcard names and every operator', () => {
    assert.deepEqual(select('location.rack=7'), numbered('r7u', 1, 10, 2));
    assert.deepEqual(select('location.rack==7'), numbered('r7u', 1, 10, 2));
    assert.deepEqual(select('net.mgmt.switch=sw1'), numbered('r1u', 1, 10, 2));
    assert.deepEqual(select('net.*switch=switch1'), numbered('r3u', 1, 10, 2));
    assert.deepEqual(select('compute,-net.*switch=sw2'), numbered('r1u', 1, 10, 2));
    assert.deepEqual(select('compute@location.rack!=2,-location.row=13'), numbered('r1u', 1, 10, 2));
    assert.deepEqual(select('n[1-6]@id.model=~^7X'), ['n1', 'n3', 'n5']);
    assert.deepEqual(select('n[1-6]@id.model!~X'), ['n2', 'n4', 'n6']);
    assert.deepEqual(select('rack1@console.logging==full'), numbered('r1u', 1, 5, 2));
  });

  it('treats an unset attribute as empty, as confluent does', () => {
    assert.deepEqual(select('n1,r1u01@net.mgmt.switch='), ['n1']);
    assert.deepEqual(select('n1,r1u01@net.mgmt.switch!='), ['r1u01']);
    assert.deepEqual(select('n1,r1u01@location.rack!=7'), ['n1', 'r1u01']);
  });

  it('combines with union, exclusion and intersection, left to right', () => {
    assert.deepEqual(select('n1,n2'), ['n1', 'n2']);
    assert.deepEqual(select('n2,n1,n2'), ['n1', 'n2']);
    assert.deepEqual(select('rack1,-r1u02'), select('r1u01,r1u[03-10]'));
    assert.deepEqual(select('rack1,-n2'), select('rack1'));
    assert.deepEqual(select('compute,-location.row=12'), select('rack[3-10]'));
    assert.deepEqual(select('compute@rack1'), select('rack1'));
    assert.deepEqual(select('n1,n2,n3@n2,n3,n4'), ['n2', 'n3', 'n4']);
    assert.deepEqual(select('n[1-5],-n2@n[2-3]'), ['n3']);
  });

  it('groups with parentheses', () => {
    assert.deepEqual(select('rack1,-(console.logging=full@compute)'), numbered('r1u', 6, 10, 2));
    assert.deepEqual(select('n1,(n2,(n3,-n3))'), ['n1', 'n2']);
    assert.deepEqual(select(' n1 , -( n1 ) , n2 '), ['n2']);
  });

  it('pages last, after a natural sort: <skip then >take', () => {
    assert.deepEqual(select('rack1>3<6'), ['r1u07', 'r1u08', 'r1u09']);
    assert.deepEqual(select('rack1<6>3'), ['r1u07', 'r1u08', 'r1u09']);
    assert.deepEqual(select('n[1-20]>3'), ['n1', 'n2', 'n3']);
    assert.deepEqual(select('n[1-20]<18'), ['n19', 'n20']);
    assert.deepEqual(select('(n1,n2)>1'), ['n1']);
    assert.deepEqual(select('>2'), ['n1', 'n2']);
    assert.deepEqual(select('n1<5'), []);
  });

  it('counts on with + and steps inside brackets', () => {
    assert.deepEqual(select('n1+3'), ['n1', 'n2', 'n3', 'n4']);
    assert.deepEqual(select('r1u08+2'), ['r1u08', 'r1u09', 'r1u10']);
    assert.deepEqual(select('n[1:20:2]'), numbered('n', 1, 20).filter((_, i) => i % 2 === 0));
    assert.deepEqual(select('n[2-10-4]'), ['n2', 'n6', 'n10']);
    assert.deepEqual(select('r3u[04:06,09]'), ['r3u04', 'r3u05', 'r3u06', 'r3u09']);
    assert.deepEqual(select('n[1+2]'), ['n1', 'n2', 'n3']);
  });

  it('takes an existing name literally before reading it as a range', () => {
    assert.deepEqual(select('r1-bmc'), ['r1-bmc']);
    assert.deepEqual(select('r1-bmc,n1'), ['n1', 'r1-bmc']);
  });

  it('returns unique names in natural order', () => {
    assert.deepEqual(select('n10,n9,n1,r1u10,n10,n9'), ['n1', 'n9', 'n10', 'r1u10']);
    // Left to right: (n10,n9,n1,rack1) @ r1u10, then n10.
    assert.deepEqual(select('n10,n9,n1,rack1@r1u10,n10'), ['n10', 'r1u10']);
    assert.deepEqual(select('empty,n1'), ['n1']);
  });
});

describe('expandNoderange with an inventory: errors', () => {
  it('reports an unknown node or group at its column', () => {
    assertFails(() => select('n1,nosuch'), 'BERTH_NOT_FOUND', 4, "unknown node or group 'nosuch'");
    assertFails(() => select('r1-nosuch'), 'BERTH_NOT_FOUND', 1, "unknown node or group 'r1-nosuch'");
  });

  it('reports the first name of a range that does not exist', () => {
    assertFails(() => select('n1,n[18-25]'), 'BERTH_NOT_FOUND', 4, "unknown node or group 'n21'");
    assertFails(() => select('n18-n25'), 'BERTH_NOT_FOUND', 1, "'n21'");
    assertFails(() => select('rack9-rack11'), 'BERTH_NOT_FOUND', 1, "'rack11'");
    assertFails(() => select('n19+2'), 'BERTH_NOT_FOUND', 1, "'n21'");
  });

  it('refuses filters over crypted.* attributes', () => {
    const message = 'crypted.* attributes cannot be used in a noderange filter';
    assertFails(() => select('crypted.password=x'), 'BERTH_BAD_INPUT', 1, message);
    assertFails(() => select('compute,-crypted.password=~^\\$6'), 'BERTH_BAD_INPUT', 10, message);
    assertFails(() => select('crypted.*!=x'), 'BERTH_BAD_INPUT', 1, message);
    assertFails(() => select('n1,crypt*.password=x'), 'BERTH_BAD_INPUT', 4, message);
    assertFails(() => select('c?ypted.password=x'), 'BERTH_BAD_INPUT', 1, message);
  });

  it('lets a catch-all wildcard through but never matches it against secrets', () => {
    assert.deepEqual(select('*=~hash'), []);
    assert.deepEqual(select('*=$6$salt$hash'), []);
    assert.deepEqual(select('*.password=~.'), []);
    assert.deepEqual(select('n1,r1u01@*=~redfish|7X'), ['n1']);
    assert.deepEqual(select('r1-bmc,n1@*=redfish'), ['r1-bmc']);
  });

  it('refuses expansions past a million names without allocating them', () => {
    assertFails(() => select('n[1-1000001]'), 'BERTH_BAD_INPUT', 1, '1,000,000');
    assertFails(() => select('n1,a[1-1000]b[1-1001]'), 'BERTH_BAD_INPUT', 4, '1,000,000');
    assertFails(() => select('n1-n99999999'), 'BERTH_BAD_INPUT', 1, '1,000,000');
    assertFails(() => select('n1+99999999'), 'BERTH_BAD_INPUT', 1, '1,000,000');
    assertFails(() => expandNoderange('a[1-600000],b[1-600000]'), 'BERTH_BAD_INPUT', 13, '1,000,000');
  });
});

describe('expandNoderange without an inventory (naming new nodes)', () => {
  it('expands names and ranges literally', () => {
    assert.deepEqual(expandNoderange('n[1-4]'), ['n1', 'n2', 'n3', 'n4']);
    assert.deepEqual(expandNoderange('n[01-03],x'), ['n01', 'n02', 'n03', 'x']);
    assert.deepEqual(expandNoderange('n1-n3'), ['n1', 'n2', 'n3']);
    assert.deepEqual(expandNoderange('r1u1-r2u2'), ['r1u1', 'r1u2', 'r2u1', 'r2u2']);
    assert.deepEqual(expandNoderange('n1+2'), ['n1', 'n2', 'n3']);
    assert.deepEqual(expandNoderange('n1.example.com+2'), ['n1.example.com', 'n2.example.com', 'n3.example.com']);
    assert.deepEqual(expandNoderange('r[1-2]-bmc'), ['r1-bmc', 'r2-bmc']);
    assert.deepEqual(expandNoderange('r1-bmc-r3-bmc'), ['r1-bmc', 'r2-bmc', 'r3-bmc']);
    assert.deepEqual(expandNoderange('n[a,b]1'), ['na1', 'nb1']);
    assert.deepEqual(expandNoderange('n[1-10],-n[2-9]>1'), ['n1']);
  });

  it("reads a '-' between differing words as part of a literal name", () => {
    assert.deepEqual(expandNoderange('r1-bmc'), ['r1-bmc']);
    assert.deepEqual(expandNoderange('login-a'), ['login-a']);
    assert.deepEqual(expandNoderange('a1-b2'), ['a1-b2']);
    assert.deepEqual(expandNoderange('n1-2'), ['n1-2']);
    assert.deepEqual(expandNoderange('n1-n01'), ['n1-n01']);
  });

  it('refuses what only an inventory can answer, saying so', () => {
    assertFails(() => expandNoderange('~r1u..'), 'BERTH_BAD_INPUT', 1, 'needs the node inventory');
    assertFails(() => expandNoderange('n1,location.rack=7'), 'BERTH_BAD_INPUT', 4, 'needs the node inventory');
    assertFails(() => expandNoderange('n[1-4]@rack1'), 'BERTH_BAD_INPUT', 7, 'needs the node inventory');
    assertFails(() => expandNoderange('>3'), 'BERTH_BAD_INPUT', 1, 'needs the node inventory');
  });
});

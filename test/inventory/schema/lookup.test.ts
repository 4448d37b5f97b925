import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BerthError } from '../../../src/errors.ts';
import { attributeSchema, findAttribute, isSecretAttribute, requireAttribute } from '../../../src/inventory/schema/index.ts';

describe('findAttribute', () => {
  it('finds fixed names', () => {
    assert.equal(findAttribute('id.uuid')?.type, 'uuid');
    assert.equal(findAttribute('dns.servers')?.type, 'ipv4-list');
    assert.equal(findAttribute('timezone')?.type, 'timezone');
  });

  it('matches per-interface names to their pattern', () => {
    assert.equal(findAttribute('net.mgmt.hwaddr')?.name, 'net.<if>.hwaddr');
    assert.equal(findAttribute('net.ib0.ipv4_address')?.name, 'net.<if>.ipv4_address');
    assert.equal(findAttribute('net.bond_storage1.mtu')?.name, 'net.<if>.mtu');
  });

  it('refuses interface names Linux could not use or that do not look like one', () => {
    assert.equal(findAttribute('net.0eth.hwaddr'), undefined);
    assert.equal(findAttribute('net.MGMT.hwaddr'), undefined);
    assert.equal(findAttribute('net.abcdefghijklmnop.hwaddr'), undefined); // 16 characters
    assert.equal(findAttribute('net.mgmt.colour'), undefined);
    assert.equal(findAttribute('net..hwaddr'), undefined);
  });

  it('accepts any custom.<name>, but not separators the CLI needs', () => {
    assert.equal(findAttribute('custom.project')?.name, 'custom.*');
    assert.equal(findAttribute('custom.slurm.partition-name')?.name, 'custom.*');
    assert.equal(findAttribute('custom.'), undefined);
    assert.equal(findAttribute('custom.a=b'), undefined);
    assert.equal(findAttribute('custom.a b'), undefined);
    assert.equal(findAttribute('custom.a..b'), undefined);
  });

  it('lists each attribute once, with a description and an example', () => {
    const names = attributeSchema.map((s) => s.name);
    assert.equal(new Set(names).size, names.length);
    for (const spec of attributeSchema) {
      assert.ok(spec.description.length > 20, spec.name);
      assert.ok(spec.example, spec.name);
      if (spec.type === 'enum') assert.ok(spec.values && spec.values.length > 0, spec.name);
    }
  });
});

describe('requireAttribute', () => {
  const unknown = (name: string): BerthError => {
    try {
      requireAttribute(name);
    } catch (e) {
      assert.ok(e instanceof BerthError);
      return e;
    }
    assert.fail(`${name} was accepted`);
  };

  it('returns the spec of known names', () => {
    assert.equal(requireAttribute('net.mgmt.hwaddr').type, 'mac');
  });

  it('suggests the name with the same interface for a typo', () => {
    const e = unknown('net.mgmt.hwadr');
    assert.equal(e.code, 'BERTH_UNKNOWN_ATTRIBUTE');
    assert.equal(e.where.attribute, 'net.mgmt.hwadr');
    assert.match(e.message, /did you mean net\.mgmt\.hwaddr\?/);
  });

  it('suggests for swapped letters and for a missing prefix', () => {
    assert.match(unknown('id.uiud').message, /did you mean id\.uuid\?/);
    assert.match(unknown('deployment.profiel').message, /did you mean deployment\.profile\?/);
    assert.match(unknown('rootpassword').message, /did you mean crypted\.rootpassword\?/);
  });

  it('points to the list and custom.* when nothing is close', () => {
    const e = unknown('favourite.colour');
    assert.doesNotMatch(e.message, /did you mean/);
    assert.match(e.message, /berth attributes/);
    assert.match(e.message, /custom\./);
  });
});

describe('isSecretAttribute', () => {
  it('marks password hashes secret and nothing else', () => {
    assert.equal(isSecretAttribute('crypted.rootpassword'), true);
    assert.equal(isSecretAttribute('crypted.grubpassword'), true);
    assert.equal(isSecretAttribute('ssh.admin_keys'), false);
    assert.equal(isSecretAttribute('net.mgmt.hwaddr'), false);
    assert.equal(isSecretAttribute('no.such.thing'), false);
  });
});

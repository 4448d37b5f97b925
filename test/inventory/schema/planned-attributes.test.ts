/**
 * Attributes the schema knows but berth does not apply yet (console.method,
 * crypted.grubpassword, net.<if>.switch/switchport/vlan/mtu) are refused
 * wherever a value is set, against a real daemon: node define and set, group
 * define and set, inventory import. The error names the attribute, says that
 * berth does not apply it yet and what will; nothing is written. They stay
 * readable (filters, unset) so a value stored by an older berth can be cleared.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { attributeSchema, requireSettableAttribute } from '../../../src/inventory/schema/index.ts';
import { INVENTORY_FORMAT } from '../../../src/api/routes/inventory.ts';
import { startDaemon } from '../../helpers/daemon.ts';
import type { Daemon } from '../../helpers/daemon.ts';

const GRUB = `grub.pbkdf2.sha512.10000.${'AB'.repeat(32)}.${'CD'.repeat(64)}`;
/** A well-typed value for each: the refusal is about the attribute, not the value. */
const PLANNED: Record<string, [value: string, why: RegExp]> = {
  'console.method': ['ipmi', /BMC console arrives with power control/],
  'crypted.grubpassword': [GRUB, /GRUB password/],
  'net.mgmt.switch': ['sw1', /switch port/],
  'net.mgmt.switchport': ['Ethernet1/12', /switch port/],
  'net.mgmt.vlan': ['120', /per-node network configuration/],
  'net.mgmt.mtu': ['9000', /per-node network configuration/],
};

describe('attributes berth does not apply yet', () => {
  let d: Daemon;
  before(async () => {
    d = await startDaemon();
    const ok = d.cli(['node', 'define', 'n[1-2]']);
    assert.equal(ok.code, 0, ok.stderr);
  });
  after(async () => {
    await d.stop();
    d.cleanup();
  });

  test('the schema marks exactly these, each with what will apply it', () => {
    const planned = attributeSchema.filter((s) => s.planned !== undefined).map((s) => s.name);
    assert.deepEqual(planned.sort(), ['console.method', 'crypted.grubpassword', 'net.<if>.mtu', 'net.<if>.switch', 'net.<if>.switchport', 'net.<if>.vlan']);
    assert.equal(requireSettableAttribute('net.mgmt.hwaddr').name, 'net.<if>.hwaddr');
    const listed = d.cli(['attributes', 'console.method']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /Not applied yet, refused when set \(the BMC console arrives with power control\)/);
  });

  test('node set and node define refuse them with the reason, exit 2, and write nothing', () => {
    for (const [attribute, [value, why]] of Object.entries(PLANNED)) {
      const set = d.cli(['node', 'set', 'n1', `${attribute}=${value}`, 'custom.note=x']);
      assert.equal(set.code, 2, `${attribute}: ${set.stderr}`);
      assert.match(set.stderr, new RegExp(`${attribute.replace(/\./g, '\\.')}: berth does not apply this attribute yet`), set.stderr);
      assert.match(set.stderr, why);
      assert.doesNotMatch(set.stderr, /pbkdf2/, 'a secret value is never repeated');
      const define = d.cli(['node', 'define', 'n9', `${attribute}=${value}`]);
      assert.equal(define.code, 2, define.stderr);
      assert.match(define.stderr, /does not apply this attribute yet/);
    }
    assert.equal(d.cli(['node', 'show', 'n1', 'custom.note']).stdout.includes('x'), false, 'the other assignment of the refused change is not written');
    assert.equal(d.cli(['node', 'show', 'n9']).code, 3, 'no node of a refused define exists');
  });

  test('expressions are refused too, and so are group define and group set', () => {
    const expression = d.cli(['node', 'set', 'n1', 'net.mgmt.switchport={n1}']);
    assert.equal(expression.code, 2, expression.stderr);
    assert.match(expression.stderr, /net\.mgmt\.switchport: berth does not apply this attribute yet/);
    const define = d.cli(['group', 'define', 'rack1', 'net.mgmt.vlan=120']);
    assert.equal(define.code, 2, define.stderr);
    assert.match(define.stderr, /net\.mgmt\.vlan: berth does not apply this attribute yet/);
    assert.equal(d.cli(['group', 'show', 'rack1']).code, 3);
    assert.equal(d.cli(['group', 'define', 'rack2']).code, 0);
    const set = d.cli(['group', 'set', 'rack2', 'console.method=ipmi']);
    assert.equal(set.code, 2, set.stderr);
    assert.match(set.stderr, /console\.method: berth does not apply this attribute yet \(the BMC console arrives with power control\)/);
  });

  test('inventory import refuses them and changes nothing', () => {
    const file = join(d.stateDir, 'planned-import.yaml');
    writeFileSync(file, `format: ${INVENTORY_FORMAT}\ngroups: {}\nnodes:\n  n1:\n    groups: []\n    attributes:\n      net.mgmt.mtu: 9000\n`);
    const imported = d.cli(['inventory', 'import', file, '--merge']);
    assert.equal(imported.code, 2, imported.stderr);
    assert.match(imported.stderr, /net\.mgmt\.mtu: berth does not apply this attribute yet/);
    assert.equal(d.cli(['node', 'show', 'n2']).code, 0, 'the inventory is as it was');
  });

  test('they can still be read in a filter and unset', () => {
    const listed = d.cli(['node', 'list', 'net.mgmt.switch=sw1']);
    assert.equal(listed.code, 0, listed.stderr);
    const unset = d.cli(['node', 'unset', 'n1', 'net.mgmt.switch']);
    assert.equal(unset.code, 0, unset.stderr);
  });
});

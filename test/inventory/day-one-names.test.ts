/**
 * Mistakes a new administrator makes on day one (issue 13), through the real
 * CLI against a real daemon: misspelt attribute names, duplicate hardware and
 * network identities, adding one group, and expressions on a machine's own
 * identity.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startDaemon } from '../helpers/daemon.ts';
import type { Daemon } from '../helpers/daemon.ts';

describe('day-one inventory mistakes', () => {
  let d: Daemon;
  const ok = (args: string[]): string => {
    const r = d.cli(args);
    assert.equal(r.code, 0, `berth ${args.join(' ')} failed (${r.code}):\n${r.stderr}`);
    return r.stdout;
  };
  const fails = (args: string[], code: number, stderr: RegExp): string => {
    const r = d.cli(args);
    assert.equal(r.code, code, `berth ${args.join(' ')}: expected exit ${code}, got ${r.code}\n${r.stdout}${r.stderr}`);
    assert.match(r.stderr, stderr);
    return r.stderr;
  };

  before(async () => {
    d = await startDaemon();
    ok(['group', 'define', 'compute', 'location.rack=7']);
    ok(['group', 'define', 'rack7']);
    ok(['group', 'define', 'rack8']);
    ok(['node', 'define', 'n[1-6]', 'groups=compute']);
  });
  after(async () => {
    await d.stop();
    d.cleanup();
  });

  describe('misspelt attribute names are errors with a suggestion', () => {
    test('in a noderange filter of node set: nothing is selected or written, exit 2', () => {
      const stderr = fails(['node', 'set', 'location.rak=7', 'custom.x=y'], 2, /unknown attribute 'location\.rak': did you mean location\.rack\?/);
      assert.match(stderr, /\n  location\.rak=7\n  \^/, 'a caret under the filter');
      assert.doesNotMatch(ok(['node', 'show', 'n1']), /custom\.x/);
    });

    test('in a noderange filter of node list, also inside an expression', () => {
      fails(['node', 'list', 'location.rak=7'], 2, /did you mean location\.rack\?/);
      fails(['node', 'list', 'n1,(compute@id.seriall!=x)'], 2, /unknown attribute 'id\.seriall': did you mean id\.serial\?/);
      // A wildcard whose first word is misspelt cannot match anything berth stores.
      fails(['node', 'list', 'locaton.*=7'], 2, /did you mean location\.\*\?/);
    });

    test('known names, custom.* and wildcards still select', () => {
      assert.equal(ok(['node', 'list', 'location.rack=7', '--compress']).trim(), 'n[1-6]');
      assert.equal(ok(['node', 'list', 'custom.anything=', '--compress']).trim(), 'n[1-6]');
      assert.equal(ok(['node', 'list', 'net.*switch=sw1', '--names']), '');
    });

    test('as a column of node list', () => {
      fails(['node', 'list', 'n1', 'location.rak'], 2, /unknown attribute 'location\.rak': did you mean location\.rack\?/);
      fails(['node', 'list', 'n1', 'locaton.*'], 2, /did you mean location\.\*\?/);
      // A known column stays in the table even when no node has a value for it.
      assert.match(ok(['node', 'list', 'n1', 'location.rack', 'id.serial']), /^NODE +GROUPS +ID\.SERIAL +LOCATION\.RACK$/m);
    });

    test('as an attribute of node show', () => {
      fails(['node', 'show', 'n1', 'location.rak'], 2, /unknown attribute 'location\.rak': did you mean location\.rack\?/);
      assert.match(ok(['node', 'show', 'n1', 'location.*']), /^n1: location\.rack: 7$/m);
    });
  });

  describe('unique identities name the node being changed and the one that has it', () => {
    test('a duplicate MAC blames the node being changed', () => {
      ok(['node', 'set', 'n1', 'net.mgmt.hwaddr=52:54:00:00:13:01']);
      fails(['node', 'set', 'n2', 'net.mgmt.hwaddr=52-54-00-00-13-01'], 4, /^berth: n2: net\.mgmt\.hwaddr 52:54:00:00:13:01 is already used by node n1\b/m);
      assert.doesNotMatch(ok(['node', 'show', 'n2', 'net.*']), /hwaddr/);
    });

    test('a duplicate IPv4 address is refused, whatever the prefix length or interface', () => {
      ok(['node', 'set', 'n1', 'net.mgmt.ipv4_address=10.13.0.1/24']);
      fails(['node', 'set', 'n2', 'net.mgmt.ipv4_address=10.13.0.1/24'], 4, /^berth: n2: net\.mgmt\.ipv4_address 10\.13\.0\.1 is already used by node n1\b/m);
      fails(['node', 'set', 'n2', 'net.data.ipv4_address=10.13.0.1/16'], 4, /n2: net\.data\.ipv4_address 10\.13\.0\.1 is already used by node n1 \(net\.mgmt\.ipv4_address\)/);
      assert.doesNotMatch(ok(['node', 'show', 'n2', 'net.*']), /ipv4/);
    });

    test('addresses from an expression are checked as resolved, across the whole change', () => {
      // n3 and n4 both get 10.13.1.1: the change is refused as a whole.
      fails(['node', 'set', 'n[3-4]', 'net.mgmt.ipv4_address=10.13.1.{n1 / 10 + 1}/24'], 4, /n4: net\.mgmt\.ipv4_address 10\.13\.1\.1 is also given to node n3 by this change/);
      assert.doesNotMatch(ok(['node', 'show', 'n[3-4]', 'net.*']), /ipv4/);
      // A group expression that lands on n1's address for n6.
      fails(['group', 'set', 'compute', 'net.mgmt.ipv4_address=10.13.0.{7 - n1}/24'], 4, /n6: net\.mgmt\.ipv4_address 10\.13\.0\.1 is already used by node n1/);
      ok(['group', 'set', 'compute', 'net.mgmt.ipv4_address=10.13.2.{n1}/24']);
      assert.match(ok(['node', 'show', 'n6', 'net.mgmt.ipv4_address']), /10\.13\.2\.6\/24/);
      assert.match(ok(['node', 'show', 'n1', 'net.mgmt.ipv4_address']), /10\.13\.0\.1\/24/, 'the node value wins');
      ok(['group', 'unset', 'compute', 'net.mgmt.ipv4_address']);
    });

    test('a duplicate host name is refused, one name of a list included', () => {
      ok(['node', 'set', 'n1', 'net.mgmt.hostname=n1-mgmt,head.example.org']);
      fails(['node', 'set', 'n2', 'net.mgmt.hostname=n2-mgmt,head.example.org'], 4, /n2: net\.mgmt\.hostname head\.example\.org is already used by node n1/);
      fails(['node', 'set', 'n2', 'net.bmc.hostname={node}-x,n1-MGMT'], 4, /n2: net\.bmc\.hostname n1-mgmt is already used by node n1/);
    });

    test('a deliberate duplicate is allowed when every node holding it says so', () => {
      ok(['node', 'set', 'n1', 'net.mgmt.allow_duplicates=true']);
      fails(['node', 'set', 'n2', 'net.mgmt.ipv4_address=10.13.0.1/24'], 4, /set net\.mgmt\.allow_duplicates=true on n2 as well/);
      ok(['node', 'set', 'n2', 'net.mgmt.ipv4_address=10.13.0.1/24', 'net.mgmt.hostname=head.example.org', 'net.mgmt.allow_duplicates=true']);
      assert.match(ok(['node', 'show', 'n2', 'net.mgmt.ipv4_address']), /10\.13\.0\.1\/24/);
      // MAC addresses are never exempt: DHCP answers one node per MAC.
      fails(['node', 'set', 'n2', 'net.mgmt.hwaddr=52:54:00:00:13:01'], 4, /n2: net\.mgmt\.hwaddr 52:54:00:00:13:01 is already used by node n1/);
    });
  });

  describe('groups+= and groups-= change one membership', () => {
    test('adds at the end and removes, leaving the other groups alone', () => {
      ok(['node', 'set', 'n5', 'groups+=rack7']);
      assert.match(ok(['node', 'show', 'n5']), /^n5: groups: compute,rack7,everything$/m);
      ok(['node', 'set', 'n5', 'groups+=rack8', 'custom.note=x']);
      assert.match(ok(['node', 'show', 'n5']), /^n5: groups: compute,rack7,rack8,everything$/m);
      ok(['node', 'set', 'n5', 'groups-=compute,rack8']);
      assert.match(ok(['node', 'show', 'n5']), /^n5: groups: rack7,everything$/m);
      // Already a member / not a member: nothing to do, not an error.
      ok(['node', 'set', 'n5', 'groups+=rack7']);
      ok(['node', 'set', 'n5', 'groups-=rack8']);
      assert.match(ok(['node', 'show', 'n5']), /^n5: groups: rack7,everything$/m);
      assert.equal(ok(['node', 'list', 'rack7', '--compress']).trim(), 'n5');
    });

    test('over many nodes, each keeping its own list', () => {
      ok(['node', 'set', 'n[4-5]', 'groups+=rack8', '--yes']);
      assert.match(ok(['node', 'show', 'n4']), /^n4: groups: compute,rack8,everything$/m);
      assert.match(ok(['node', 'show', 'n5']), /^n5: groups: rack7,rack8,everything$/m);
    });

    test('mistakes are refused', () => {
      fails(['node', 'set', 'n5', 'groups+=rack9'], 3, /unknown group 'rack9'/);
      fails(['node', 'set', 'n5', 'groups-=rack9'], 3, /unknown group 'rack9'/);
      fails(['node', 'set', 'n5', 'groups=compute', 'groups+=rack8'], 2, /groups= .*groups\+=/);
      fails(['node', 'define', 'n9', 'groups+=rack7'], 2, /node define takes groups=/);
      fails(['group', 'set', 'rack7', 'groups+=rack8'], 2, /unknown attribute 'groups\+'/);
    });
  });

  describe('a machine identity cannot be an expression', () => {
    test('a MAC from {node} templating is refused, on nodes and on groups', () => {
      fails(['node', 'set', 'n3', 'net.mgmt.hwaddr=52:54:00:00:14:{n1:02x}'], 2, /net\.mgmt\.hwaddr .*cannot be an expression.*rename/);
      fails(['group', 'set', 'compute', 'net.boot.hwaddr=52:54:00:00:14:{n1:02x}'], 2, /net\.boot\.hwaddr .*cannot be an expression/);
      fails(['group', 'define', 'hw', 'id.uuid=4c4c4544-0042-3510-8052-{custom.tail}'], 2, /id\.uuid .*cannot be an expression/);
      fails(['node', 'define', 'n9', 'id.uuid=4c4c4544-0042-3510-8052-b4c04f5644{n1:02d}'], 2, /id\.uuid .*cannot be an expression/);
      assert.doesNotMatch(ok(['node', 'show', 'n3']), /net\.mgmt\.hwaddr/);
      assert.equal(d.cli(['node', 'list', 'n9']).code, 3, 'n9 was not defined');
    });

    test('a literal MAC and UUID are still accepted', () => {
      ok(['node', 'set', 'n3', 'net.mgmt.hwaddr=52:54:00:00:14:03', 'id.uuid=4c4c4544-0042-3510-8052-b4c04f564403']);
      assert.match(ok(['node', 'show', 'n3', 'id.uuid']), /4c4c4544-0042-3510-8052-b4c04f564403/);
    });
  });
});

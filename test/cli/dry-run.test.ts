/**
 * `--dry-run` on node set, unset, rename and remove, against a real daemon:
 * it shows what the server would change (resolved values old → new, the
 * values a rename re-derives, what a removal takes along) and changes
 * nothing; the real change then does exactly that.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startDaemon } from '../helpers/daemon.ts';
import type { Daemon } from '../helpers/daemon.ts';

describe('--dry-run', () => {
  let d: Daemon;
  const ok = (args: string[]) => d.ok(args);

  before(async () => {
    d = await startDaemon();
    ok(['group', 'define', 'compute', 'net.mgmt.hostname={node}-mgmt', 'net.mgmt.ipv4_address=10.1.0.{n1}/16']);
    ok(['node', 'define', 'n[1-3]', 'groups=compute']);
    ok(['node', 'set', 'n2', 'location.rack=4']);
  });
  after(async () => {
    await d.stop();
    d.cleanup();
  });

  test('node set --dry-run lists each resolved value that changes, and changes nothing', () => {
    const before = ok(['inventory', 'export', '--format', 'json']);
    const out = ok(['node', 'set', 'n[1-3]', 'location.rack=4', 'net.mgmt.hostname=h{n1}', '--dry-run']);
    assert.match(out, /^n1: location\.rack: \(unset\) → 4$/m);
    assert.match(out, /^n1: net\.mgmt\.hostname: n1-mgmt → h1$/m);
    assert.match(out, /^n2: net\.mgmt\.hostname: n2-mgmt → h2$/m);
    assert.doesNotMatch(out, /^n2: location\.rack/m, 'n2 already is in rack 4');
    assert.match(out, /would change 3 node\(s\): n\[1-3\]/);
    assert.equal(ok(['inventory', 'export', '--format', 'json']), before, 'nothing changed');
  });

  test('node unset --dry-run shows the inherited value that shows again', () => {
    ok(['node', 'set', 'n3', 'net.mgmt.hostname=special']);
    const out = ok(['node', 'unset', 'n3', 'net.mgmt.hostname', '--dry-run']);
    assert.match(out, /^n3: net\.mgmt\.hostname: special → n3-mgmt$/m);
    assert.match(ok(['node', 'show', 'n3', 'net.mgmt.hostname']), /special/);
  });

  test('node rename --dry-run lists the renames and the values they re-derive', () => {
    const out = ok(['node', 'rename', 'n1', 'm7', '--dry-run']);
    assert.match(out, /^n1 → m7$/m);
    assert.match(out, /^m7: net\.mgmt\.hostname: n1-mgmt → m7-mgmt$/m);
    assert.match(out, /^m7: net\.mgmt\.ipv4_address: 10\.1\.0\.1\/16 → 10\.1\.0\.7\/16$/m);
    assert.match(ok(['node', 'list', '--names']), /^n1$/m);
    assert.doesNotMatch(ok(['node', 'list', '--names']), /m7/);
  });

  test('node remove --dry-run lists the nodes and their state, without asking and without removing', () => {
    ok(['node', 'set', 'n2', 'deployment.armed=continuous']);
    const out = ok(['node', 'remove', 'everything', '--dry-run']);
    assert.match(out, /would remove 3 node\(s\): n\[1-3\]/);
    assert.match(out, /^n2: armed \(continuous\)/m);
    assert.equal(ok(['node', 'list', '--names']).trim().split('\n').length, 3);
  });

  test('a dry run fails exactly as the change would', () => {
    const r = d.cli(['node', 'set', 'n1', 'net.mgmt.ipv4_address=10.1.0.{n1 * 1000}/16', '--dry-run']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /n1/);
  });

  test('the API flag: dryRun on PATCH /api/v1/nodes returns what the real change then does', async () => {
    const dry = await d.api('PATCH', '/api/v1/nodes', { noderange: 'n3', set: { 'location.u': '12' }, dryRun: true });
    assert.equal(dry.status, 200, JSON.stringify(dry.json));
    assert.equal(dry.json.dryRun, true);
    assert.deepEqual(dry.json.nodes, [{ node: 'n3', changes: [{ attribute: 'location.u', to: '12' }] }]);
    assert.doesNotMatch(ok(['node', 'show', 'n3', 'location.u']), /12/);
    const real = await d.api('PATCH', '/api/v1/nodes', { noderange: 'n3', set: { 'location.u': '12' } });
    assert.equal(real.status, 200);
    assert.match(ok(['node', 'show', 'n3', 'location.u']), /^n3: location\.u: 12$/m);
  });
});

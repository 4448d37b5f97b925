/** `berth lab up` as a new user runs it: a VM network-boots from berth, then everything is removed. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { labUnsupportedReason } from '../../src/lab/namespace.ts';
import { BERTH } from '../helpers/daemon.ts';

const unsupported = await labUnsupportedReason();

test('berth lab up boots its nodes, shows their events, and leaves nothing behind', { skip: unsupported && `no lab here: ${unsupported}` }, () => {
  const r = spawnSync(BERTH, ['lab', 'up', '--nodes', '2', '--exit-when-booted'], { encoding: 'utf8', timeout: 600_000, env: { ...process.env, BERTH_SOCKET: '' } });
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /berth serves DHCP, TFTP and HTTP boot on 10\.99\.0\.1/);
  assert.match(r.stdout, />>> node1 booted its profile/);
  assert.match(r.stdout, />>> node2 booted its profile/);
  assert.match(r.stdout, /node1 +dhcp +ack/);
  assert.match(r.stdout, /node2 +http +kernel/);
  assert.match(r.stdout, /all 2 node\(s\) booted/);
  const name = /lab (berth-lab-[0-9a-f]+) removed/.exec(r.stdout)?.[1];
  assert.ok(name, 'the lab says it removed itself');
  // Other tests may run labs at the same time: only this one must be gone.
  assert.doesNotMatch(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout, new RegExp(name), 'no namespace left behind');
  assert.doesNotMatch(spawnSync(BERTH, ['lab', 'status'], { encoding: 'utf8' }).stdout, new RegExp(name));
});

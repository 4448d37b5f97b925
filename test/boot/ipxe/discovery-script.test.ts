/**
 * The script an unknown machine gets, against a real daemon: asking for it
 * records nothing (only berth's DHCP server records machines), so it must
 * not say the machine "is recorded"; it says how to make the machine a node
 * on the interface discovery uses by default (`boot`, as the lab, the README
 * and the profile examples do), by MAC or by SMBIOS UUID.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_DISCOVERY_INTERFACE } from '../../../src/boot/discovery/discovery.ts';
import { startDaemon } from '../../helpers/daemon.ts';
import type { Daemon } from '../../helpers/daemon.ts';

function get(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.setEncoding('latin1').on('data', (c: string) => (body += c)).on('end', () => resolve(body));
    })
      .on('error', reject)
      .end();
  });
}

describe('the discovery script', () => {
  let d: Daemon;
  let port: number;
  before(async () => {
    d = await startDaemon();
    port = JSON.parse(d.cli(['boot', 'status', '--json']).stdout).httpPort;
  });
  after(async () => {
    await d.stop();
    d.cleanup();
  });

  test('says only what is true: fetching it recorded nothing, and how to make the machine a node', async () => {
    const script = await get(port, '/boot/ipxe/52:54:00:99:99:01');
    assert.match(script, /not in the inventory/);
    assert.doesNotMatch(script, /recorded/i, script);
    const listed = JSON.parse(d.cli(['discover', 'list', '--json']).stdout);
    assert.deepEqual(listed.machines, [], 'the script request itself is not a discovery record');
    assert.match(script, /^echo berth: make it a node with: berth node set NODE net\.boot\.hwaddr=52:54:00:99:99:01$/m);
    assert.match(script, /berth discover list shows it \(the berth DHCP server saw it\), berth discover assign 52:54:00:99:99:01 NODE/);
    const byUuid = await get(port, '/boot/ipxe/uuid/4c4c4544-0042-3510-8052-b4c04f333299');
    assert.match(byUuid, /berth node set NODE id\.uuid=4c4c4544-0042-3510-8052-b4c04f333299/);
  });

  test('discovery fills net.boot.* by default, the interface the README and the lab use', () => {
    assert.equal(DEFAULT_DISCOVERY_INTERFACE, 'boot');
    const listed = d.cli(['discover', 'list']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /policy: manual \(interface boot\)/);
  });
});

/**
 * A scripted install's token against a stranger, through a real daemon: the
 * iPXE script for a node's MAC carries the token only for a request from the
 * node's own address; every file behind the token (answer file with the root
 * password hash, post script, reports) is refused to any other address; a
 * report changes `deployment.state` only while armed and only forward
 * (installing, post, installed; failed before installed), and at `installed`
 * the token retires: an old token cannot send an installed node back into
 * its installer.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { startDaemon } from '../helpers/daemon.ts';
import type { Daemon } from '../helpers/daemon.ts';

const NETBOOT = '/usr/lib/debian-installer/images/12/amd64/text';
const HASH = `$6$salt$${'c'.repeat(86)}`;
const MAC = '52:54:00:cc:00:01';
const OWN = '127.0.0.1';
const STRANGER = '127.0.0.2';
const skip = process.getuid?.() !== 0 ? 'needs root (media import writes the state dir as root)' : existsSync(NETBOOT) ? false : `${NETBOOT} is missing (debian-installer-12-netboot-amd64)`;

function get(port: number, path: string, from: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, localAddress: from }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode!, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('install token and the requester', { skip }, () => {
  let d: Daemon;
  let port: number;
  let token: string;
  const ok = (args: string[]) => d.ok(args, { env: { BERTH_STATE_DIR: d.stateDir } });
  const state = () => JSON.parse(ok(['deploy', 'status', 'a', '--json']))[0].state as string;
  const events = () => JSON.parse(ok(['node', 'timeline', 'a', '--json'])).events as { step: string; ip?: string; detail?: Record<string, unknown> }[];
  const settle = () => new Promise((r) => setTimeout(r, 300));

  before(async () => {
    d = await startDaemon();
    port = JSON.parse(ok(['boot', 'status', '--json'])).httpPort;
    ok(['media', 'import', NETBOOT, '--name', 'deb12']);
    ok(['node', 'define', 'a', `net.eth0.hwaddr=${MAC}`, `net.eth0.ipv4_address=${OWN}/8`, `crypted.rootpassword=${HASH}`]);
    ok(['deploy', 'a', 'deb12-default', '--no-wait', '--arm', 'continuous']);
    token = /\/install\/a\/([A-Za-z0-9_-]{43})\//.exec(JSON.parse(ok(['profile', 'render', 'deb12-default', 'a', '--json'])).ipxe)![1]!;
  });
  after(async () => {
    await d?.stop();
    d?.cleanup();
  });

  test("the script for a's MAC carries the token only for a's own address; a stranger's request is in a's audit record", async () => {
    const stranger = await get(port, `/boot/ipxe/${MAC}`, STRANGER);
    assert.equal(stranger.status, 200);
    assert.doesNotMatch(stranger.body, /\/install\//, 'no install URL, no token');
    assert.ok(!stranger.body.includes(token));
    assert.match(stranger.body, /own address/);
    assert.match(stranger.body, /^chain --replace --autofree http:\/\/127\.0\.0\.1:\d+\/boot\/ipxe\/52:54:00:cc:00:01/m, 'it asks again');
    const own = await get(port, `/boot/ipxe/${MAC}`, OWN);
    assert.ok(own.body.includes(`/install/a/${token}/ipxe/`), own.body);
    await settle();
    const refused = events().filter((e) => e.step === 'install-refused');
    assert.equal(refused.at(-1)?.ip, STRANGER);
  });

  test('with the token, a stranger gets neither the answer file, the post script nor a report in', async () => {
    for (const file of ['preseed.cfg', 'post.sh', 'ipxe/pcbios', 'node-support.tar', 'report?step=failed&state=failed&reason=stolen']) {
      const r = await get(port, `/install/a/${token}/${file}`, STRANGER);
      assert.equal(r.status, 403, file);
      assert.ok(!r.body.includes(HASH), `${file}: no password hash`);
      assert.doesNotMatch(r.body, /127\.0\.0\.1/, `${file}: the stranger learns not even a's address`);
    }
    assert.equal(state(), 'pending', 'the stolen report changed nothing');
    const answer = await get(port, `/install/a/${token}/preseed.cfg`, OWN);
    assert.equal(answer.status, 200);
    assert.ok(answer.body.includes(HASH), 'the node itself gets its answer file');
  });

  test('reports move the state only forward, and only while armed', async () => {
    const report = (q: string) => get(port, `/install/a/${token}/report?${q}`, OWN);
    assert.equal((await report('step=installing&state=installing')).status, 200);
    assert.equal(state(), 'installing');
    assert.equal((await report('step=installing&state=installing')).status, 200, 'a repeated report is no move');
    assert.equal((await report('step=post&state=post')).status, 200);
    assert.equal(state(), 'post');
    const back = await report('step=installing&state=installing&reason=replayed');
    assert.equal(back.status, 409);
    assert.match(back.body, /is at post, and installing does not follow it/);
    assert.equal(state(), 'post');
    ok(['node', 'unset', 'a', 'deployment.armed']);
    const unarmed = await report('step=failed&state=failed&reason=late');
    assert.equal(unarmed.status, 409);
    assert.match(unarmed.body, /not armed/);
    assert.equal(state(), 'post', 'without arming a report only adds to the timeline');
    assert.equal((await report('step=note')).status, 200, 'a report without a state is fine unarmed');
    await settle();
    assert.ok(events().some((e) => e.step === 'failed' && e.detail?.['message'] === 'late'), 'the unarmed report is in the timeline');
    ok(['node', 'set', 'a', 'deployment.armed=continuous']);
  });

  test('at installed the token retires: an old token cannot make an installed node boot its installer again', async () => {
    assert.equal((await get(port, `/install/a/${token}/report?step=installed&state=installed`, OWN)).status, 200);
    assert.equal(state(), 'installed');
    for (const from of [STRANGER, OWN]) {
      const r = await get(port, `/install/a/${token}/report?step=failed&state=failed&reason=stale`, from);
      assert.equal(r.status, 403, from);
    }
    assert.equal((await get(port, `/install/a/${token}/preseed.cfg`, OWN)).status, 403, 'files too, armed or not');
    assert.equal(state(), 'installed');
    const script = await get(port, `/boot/ipxe/${MAC}`, OWN);
    assert.match(script.body, /is installed on its disk/);
    assert.match(script.body, /^exit$/m);
  });
});

/**
 * Scripted installs through a real daemon: `berth media import` of Debian's
 * netboot installer, the generated profile, `berth deploy` refusing nodes
 * that lack what their answer file needs (arming nothing), `berth profile
 * render` equal to what the node fetches, and the plain-HTTP side an
 * installer sees: the chain from the iPXE script to the installer's own
 * script, the answer file, reports, post script and node support files only
 * with the deployment's token and only while armed, and the media tree
 * served without escaping it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDaemon } from '../helpers/daemon.ts';
import type { Daemon } from '../helpers/daemon.ts';

const NETBOOT = '/usr/lib/debian-installer/images/12/amd64/text';
const HASH = `$6$salt$${'a'.repeat(86)}`;
const MAC_A = '52:54:00:aa:00:01';
const skip = process.getuid?.() !== 0 ? 'needs root (media import writes the state dir as root)' : existsSync(NETBOOT) ? false : `${NETBOOT} is missing (debian-installer-12-netboot-amd64)`;

function get(port: number, path: string): Promise<{ status: number; body: Buffer; type: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks), type: String(res.headers['content-type']) }));
    })
      .on('error', reject)
      .end();
  });
}

describe('scripted installs over the daemon', { skip }, () => {
  let daemon: Daemon;
  let port: number;
  let token: string;
  const ok = (args: string[]) => daemon.ok(args);
  const local = (args: string[]) => daemon.cli([...args, '--state-dir', daemon.stateDir], { env: { BERTH_STATE_DIR: daemon.stateDir } });

  before(async () => {
    daemon = await startDaemon();
    port = JSON.parse(ok(['boot', 'status', '--json'])).httpPort;
  });
  after(async () => {
    await daemon?.stop();
    daemon?.cleanup();
  });

  test('media import identifies the netboot installer and generates a profile; a second import copies nothing', () => {
    const first = local(['media', 'import', NETBOOT, '--name', 'deb12']);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^imported deb12: .*\(debian 12 x86_64, preseed\)$/m);
    assert.match(first.stdout, /^profile deb12-default created/m);
    const again = local(['media', 'import', NETBOOT, '--name', 'deb12']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^already imported deb12/m);
    assert.match(again.stdout, /^profile deb12-default kept as it is$/m);
    const profile = ok(['profile', 'show', 'deb12-default']);
    assert.match(profile, /^deb12-default: media: deb12$/m);
    assert.ok(existsSync(join(daemon.stateDir, 'profiles/deb12-default/answer.tmpl')), 'the template is in the profile folder to be edited');
    const list = JSON.parse(local(['media', 'list', '--json']).stdout);
    assert.deepEqual(list.map((m: { name: string; profiles: string[] }) => [m.name, m.profiles]), [['deb12', ['deb12-default']]]);
  });

  test('deploy names every node that lacks what its answer file needs, and arms nothing', () => {
    // The daemon sees this test's requests from 127.0.0.1: a's own address, to which alone its install files go.
    ok(['node', 'define', 'a', `net.eth0.hwaddr=${MAC_A}`, 'net.eth0.ipv4_address=127.0.0.1/8']);
    ok(['node', 'define', 'b', 'net.eth0.hwaddr=52:54:00:aa:00:02']);
    const r = daemon.cli(['deploy', 'a,b', 'deb12-default', '--no-wait']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /crypted\.rootpassword/);
    assert.match(r.stderr, /\ba\b/);
    assert.match(r.stderr, /\bb\b/);
    const status = JSON.parse(ok(['deploy', 'status', 'a,b', '--json']));
    for (const node of status) assert.ok(!node.armed, `${node.node} is not armed`);
  });

  test('deploy with the attributes set; render shows exactly what the node fetches', async () => {
    ok(['node', 'set', 'a,b', `crypted.rootpassword=${HASH}`, 'timezone=Europe/Berlin', '--yes']);
    ok(['deploy', 'a,b', 'deb12-default', '--no-wait']);
    const rendered = JSON.parse(ok(['profile', 'render', 'deb12-default', 'a', '--json']));
    assert.equal(rendered.deployed, true);
    assert.deepEqual(rendered.problems, []);
    const url = new RegExp(`/install/a/([A-Za-z0-9_-]{43})/${rendered.fileName.replace('.', '\\.')}`);
    const match = url.exec(rendered.ipxe);
    assert.ok(match, `the installer script names the answer file URL:\n${rendered.ipxe}`);
    token = match[1]!;
    const script = await get(port, `/boot/ipxe/${MAC_A}`);
    assert.equal(script.status, 200);
    assert.match(script.body.toString(), new RegExp(`^chain --replace --autofree http://127\\.0\\.0\\.1:${port}/install/a/${token}/ipxe/\\$\\{platform\\}`, 'm'));
    const installer = await get(port, `/install/a/${token}/ipxe/pcbios`);
    assert.equal(installer.status, 200);
    assert.match(installer.body.toString(), /\/media\/deb12\/debian-installer\/amd64\/linux/);
    const answer = await get(port, `/install/a/${token}/${rendered.fileName}`);
    assert.equal(answer.status, 200);
    assert.equal(answer.body.toString().replaceAll(`http://127.0.0.1:${port}`, 'BASE'), rendered.text.replace(/http:\/\/[^/]+/g, 'BASE'));
    assert.match(answer.body.toString(), /Europe\/Berlin/);
    // The checker of the ecosystem itself accepts it.
    const dir = mkdtempSync(join(tmpdir(), 'berth-preseed-'));
    writeFileSync(join(dir, 'preseed.cfg'), answer.body);
    const check = spawnSync('debconf-set-selections', ['--checkonly', join(dir, 'preseed.cfg')], { encoding: 'utf8' });
    rmSync(dir, { recursive: true, force: true });
    assert.equal(check.status, 0, check.stderr);
  });

  test("the token opens only its own node's files, only while armed", async () => {
    const rendered = JSON.parse(ok(['profile', 'render', 'deb12-default', 'b', '--json']));
    const tokenB = /\/install\/b\/([A-Za-z0-9_-]{43})\//.exec(rendered.ipxe)![1]!;
    assert.notEqual(tokenB, token);
    assert.equal((await get(port, `/install/a/${tokenB}/${rendered.fileName}`)).status, 403, "b's token does not open a's answer file");
    assert.equal((await get(port, `/install/a/${'x'.repeat(43)}/${rendered.fileName}`)).status, 403);
    assert.equal((await get(port, `/install/a/${token}/post.sh`)).status, 200);
    ok(['node', 'unset', 'a', 'deployment.armed']);
    const refused = await get(port, `/install/a/${token}/${rendered.fileName}`);
    assert.equal(refused.status, 403);
    assert.match(refused.body.toString(), /not armed/);
    const timeline = ok(['node', 'timeline', 'a']);
    assert.match(timeline, /install-refused/);
    ok(['node', 'set', 'a', 'deployment.armed=once']);
  });

  test('reports reach the timeline and the state; post script and node support files', async () => {
    const report = await get(port, `/install/a/${token}/report?step=installing&state=installing&reason=${encodeURIComponent('d-i started')}`);
    assert.equal(report.status, 200);
    assert.equal(JSON.parse(ok(['deploy', 'status', 'a', '--json']))[0].state, 'installing');
    assert.match(ok(['node', 'timeline', 'a']), /installing.*d-i started/);
    assert.equal((await get(port, `/install/a/${token}/report?step=Bad;step`)).status, 400);
    assert.equal((await get(port, `/install/a/${token}/report?step=x&state=booted`)).status, 400, 'booted is for the node API only');
    const post = (await get(port, `/install/a/${token}/post.sh`)).body.toString();
    assert.match(post, /^BERTH_NODE='a'$/m);
    assert.match(post, /^BERTH_CALLBACK='http:\/\/127\.0\.0\.1:\d+\/install\/a\/[A-Za-z0-9_-]{43}'$/m);
    assert.match(post, /-----BEGIN CERTIFICATE-----/);
    assert.equal(spawnSync('sh', ['-n'], { input: post }).status, 0, 'post.sh is valid sh');
    const tar = await get(port, `/install/a/${token}/node-support.tar`);
    const dir = mkdtempSync(join(tmpdir(), 'berth-support-'));
    writeFileSync(join(dir, 'x.tar'), tar.body);
    const list = spawnSync('tar', ['-tf', join(dir, 'x.tar')], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(list, [
      'etc/systemd/system/berth-booted.service',
      'etc/systemd/system/berth-firstboot.service',
      'etc/systemd/system/berth-ssh-renew.service',
      'etc/systemd/system/berth-ssh-renew.timer',
      'usr/lib/berth/berth-api.sh',
      'usr/lib/berth/berth-firstboot',
      'usr/lib/berth/berth-report',
      'usr/lib/berth/berth-scripts.sh',
      'usr/lib/berth/berth-ssh-renew',
    ]);
  });

  test('an installer without berth\'s post script (ESXi) reports installed with the token: the node boots its disk next', async () => {
    const report = await get(port, `/install/a/${token}/report?step=installed&state=installed&reason=esxi+installed`);
    assert.equal(report.status, 200);
    const status = JSON.parse(ok(['deploy', 'status', 'a', '--json']))[0];
    assert.equal(status.state, 'installed');
    assert.equal(status.profile, 'deb12-default');
    assert.ok(!status.armed, 'once is used up by the install');
    const script = (await get(port, `/boot/ipxe/${MAC_A}`)).body.toString();
    assert.match(script, /is installed on its disk/);
    assert.match(script, /^exit$/m);
    // The install is finished: its token opens nothing more but ESXi's state-less first-boot report from the node itself.
    assert.equal((await get(port, `/install/a/${token}/report?step=firstboot-done`)).status, 200);
    assert.equal((await get(port, `/install/a/${token}/report?step=failed&state=failed`)).status, 403);
    assert.equal((await get(port, `/install/a/${token}/post.sh`)).status, 403);
    assert.equal(JSON.parse(ok(['deploy', 'status', 'a', '--json']))[0].state, 'installed');
  });

  test('the media tree is served byte for byte, and nothing outside it', async () => {
    const kernel = await get(port, '/media/deb12/debian-installer/amd64/linux');
    assert.equal(kernel.status, 200);
    assert.ok(kernel.body.equals(readFileSync(join(NETBOOT, 'debian-installer/amd64/linux'))));
    for (const path of ['/media/deb12/../../private/install-token.key', '/media/deb12/%2e%2e/media.json', '/media/deb12/.hidden', '/media/nope/x', '/media/deb12']) {
      assert.equal((await get(port, path)).status, 404, path);
    }
  });

  test('a site template with an unknown variable stops the deploy, naming the file and line, arming nothing', () => {
    const folder = join(daemon.stateDir, 'profiles/site');
    mkdirSync(join(folder, 'post.d'), { recursive: true });
    writeFileSync(join(folder, 'profile.yaml'), 'media: deb12\n');
    writeFileSync(join(folder, 'answer.tmpl'), 'd-i passwd/root-password-crypted password {{ rootPasswordHash }}\nd-i time/zone string {{ time_zone }}\n');
    ok(['node', 'unset', 'b', 'deployment.armed']);
    const r = daemon.cli(['deploy', 'b', 'site', '--no-wait']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /answer\.tmpl:2:\d+.*time_zone/);
    const status = JSON.parse(ok(['deploy', 'status', 'b', '--json']))[0];
    assert.equal(status.pending, 'deb12-default', 'the pending profile is unchanged');
    assert.ok(!status.armed, 'nothing was armed');
  });

  test('media in use by a profile is not removed; a redeploy makes the old token useless', async () => {
    const r = local(['media', 'remove', 'deb12']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /deb12-default/);
    assert.match(r.stderr, /\bsite\b/);
    ok(['deploy', 'a', 'deb12-default', '--no-wait']);
    assert.equal((await get(port, `/install/a/${token}/post.sh`)).status, 403);
  });
});

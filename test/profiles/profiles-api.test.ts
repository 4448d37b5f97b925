/**
 * Profiles against a real daemon: the API, and the boot script and files a
 * node gets for an image profile, with image versions written by hand.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDaemon } from '../helpers/daemon.ts';
import type { Daemon } from '../helpers/daemon.ts';
import { writeFakeImageVersion } from '../helpers/fake-image-version.ts';

describe('profiles API and boot', () => {
  let d: Daemon;
  let base: string;
  const kernel1 = randomBytes(300 * 1024 + 3);
  const script = async () => (await fetch(`${base}/boot/ipxe/52:54:00:00:01:01`)).text();
  const kernelLine = async () => /^kernel .*$/m.exec(await script())?.[0] ?? '(no kernel line)';

  before(async () => {
    d = await startDaemon();
    base = `http://127.0.0.1:${JSON.parse(d.cli(['boot', 'status', '--json']).stdout).httpPort}`;
    await writeFakeImageVersion(d.stateDir, 'compute', 1, { kernel: kernel1 });
    await mkdir(join(d.stateDir, 'trees', 'fresh', 'root'), { recursive: true });
    for (const args of [
      ['group', 'define', 'compute', 'location.rack=4'],
      ['node', 'define', 'n1', 'groups=compute', 'net.boot.hwaddr=52:54:00:00:01:01', 'net.boot.ipv4_address=127.0.0.1/8', 'deployment.pending_profile=cn'],
    ]) assert.equal(d.cli(args).code, 0);
  });
  after(async () => {
    await d.stop();
    d.cleanup();
  });

  test('POST defines an image profile; the answer says what latest resolves to', async () => {
    const { status, json } = await d.api('POST', '/api/v1/profiles', { name: 'cn', image: 'compute@latest', kernelArgs: 'console=ttyS0 rack={location.rack}', description: 'compute' });
    assert.equal(status, 201, JSON.stringify(json));
    assert.equal(json.kind, 'image');
    assert.equal(json.bootMethod, 'tethered');
    assert.equal(json.resolvesTo.ref, 'compute@1');
    assert.equal(json.resolvesTo.kernelVersion, '6.1.0-test-amd64');
    assert.deepEqual(json.nodes, { pending: 'n1', deployed: '', count: 1 });
    assert.deepEqual(json.scripts, { 'post.d': [], 'firstboot.d': [], 'onboot.d': [] });
  });

  test('POST refuses an image that does not resolve, an unknown boot method, bad kernel arguments', async () => {
    const cases: [unknown, number, string, RegExp][] = [
      [{ name: 'x', image: 'nosuch' }, 404, 'BERTH_NOT_FOUND', /image 'nosuch' does not exist/],
      [{ name: 'x', image: 'fresh' }, 404, 'BERTH_NOT_FOUND', /image 'fresh' has no packed version yet/],
      [{ name: 'x', image: 'compute@9' }, 404, 'BERTH_NOT_FOUND', /compute@9 does not exist/],
      [{ name: 'x', image: 'compute', bootMethod: 'diskless' }, 400, 'BERTH_BAD_INPUT', /bootMethod must be one of tethered, untethered, installtodisk/],
      [{ name: 'x', image: 'compute', kernelArgs: 'ip={net.boot.ipv4_address' }, 400, 'BERTH_EXPRESSION_SYNTAX', /kernel_args: expression/],
      [{ name: 'x', image: 'compute', kernelArgs: 'quiet ; reboot' }, 400, 'BERTH_BAD_INPUT', /';' at column 7 cannot be passed through an iPXE script/],
      [{ name: 'x', image: 'compute', kernelArgs: 'quiet ${x}' }, 400, 'BERTH_BAD_INPUT', /'\$' at column 7 cannot be passed through an iPXE script/],
      [{ name: 'x', image: 'compute', kernelArgs: 'berth.image=other@1' }, 400, 'BERTH_BAD_INPUT', /berth sets berth\.image= itself/],
      [{ name: '../x', image: 'compute' }, 400, 'BERTH_BAD_INPUT', /not a profile name/],
      [{ name: 'cn', image: 'compute' }, 409, 'BERTH_EXISTS', /already exists/],
    ];
    for (const [body, status, code, message] of cases) {
      const answer = await d.api('POST', '/api/v1/profiles', body);
      assert.equal(answer.status, status, JSON.stringify([body, answer.json]));
      assert.equal(answer.json.error.code, code);
      assert.match(answer.json.error.message, message);
    }
    const syntax = await d.api('POST', '/api/v1/profiles', { name: 'x', image: 'compute', kernelArgs: 'ip={net.boot.ipv4_address' });
    assert.equal(syntax.json.error.where.column, 26);
    assert.equal(syntax.json.error.where.pointer, '/kernelArgs');
  });

  test("the node's iPXE script loads the version's kernel and initramfs with berth's arguments first", async () => {
    const text = await script();
    assert.match(text, /^kernel --name vmlinuz http:\/\/127\.0\.0\.1:\d+\/boot\/images\/compute\/1\/vmlinuz\?node=n1 initrd=initrd\.img initrd=site\.cpio ip=dhcp berth\.node=n1 berth\.boot=http:\/\/127\.0\.0\.1:\d+ berth\.server=https:\/\/127\.0\.0\.1:\d+ boot=berth berth\.image=compute@1 berth\.method=tethered berth\.profile=cn console=ttyS0 rack=4 BOOTIF=01-52-54-00-00-01-01$/m);
    assert.match(text, /^initrd --name site\.cpio http:\/\/127\.0\.0\.1:\d+\/boot\/site\.cpio$/m, 'the site layer (berth CA) follows the image initramfs');
    assert.match(text, /^initrd --name initrd\.img http:\/\/127\.0\.0\.1:\d+\/boot\/images\/compute\/1\/initrd\.img\?node=n1$/m);
  });

  test('the boot server serves the boot files and the artifact of a version, nothing else, with ranges and validators', async () => {
    const url = `${base}/boot/images/compute/1/vmlinuz?node=n1`;
    const whole = Buffer.from(await (await fetch(url)).arrayBuffer());
    assert.deepEqual(whole, kernel1);
    const part = await fetch(url, { headers: { range: 'bytes=100-199' } });
    assert.equal(part.status, 206);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), kernel1.subarray(100, 200));
    const etag = part.headers.get('etag')!;
    assert.equal((await fetch(url, { headers: { 'if-none-match': etag } })).status, 304);
    assert.equal((await fetch(`${base}/boot/images/compute/1/initrd.img`)).status, 200);
    for (const path of ['compute/1/metadata.json', 'compute/1/manifest.json', 'compute/2/vmlinuz', 'compute/01/vmlinuz', '..%2f..%2fprivate/1/vmlinuz', 'compute/1/..%2f..%2f..%2fstore.db']) {
      const answer = await fetch(`${base}/boot/images/${path}`);
      assert.equal(answer.status, 404, path);
      await answer.arrayBuffer();
    }
  });

  test('downloads are steps of the node timeline, with the image version', async () => {
    await new Promise((r) => setTimeout(r, 300));
    const { json } = await d.api('GET', '/api/v1/nodes/n1/timeline');
    const scriptEvent = json.events.find((e: { step: string }) => e.step === 'script');
    assert.deepEqual(scriptEvent.detail, { script: 'boot', profile: 'cn', image: 'compute@1' });
    const kernelEvent = json.events.find((e: { step: string; detail: { status: number } }) => e.step === 'kernel' && e.detail.status === 200);
    assert.equal(kernelEvent.detail.image, 'compute@1');
    assert.equal(kernelEvent.detail.bytes, kernel1.length);
  });

  test('latest follows a newly packed version at the next boot', async () => {
    await writeFakeImageVersion(d.stateDir, 'compute', 2);
    assert.match(await kernelLine(), /\/boot\/images\/compute\/2\/vmlinuz\?node=n1 .* berth\.image=compute@2 /);
    assert.equal((await d.api('GET', '/api/v1/profiles/cn')).json.resolvesTo.ref, 'compute@2');
  });

  test('PATCH pins a version and changes the method; the next boot uses them', async () => {
    const { status, json } = await d.api('PATCH', '/api/v1/profiles/cn', { image: 'compute@1', bootMethod: 'untethered' });
    assert.equal(status, 200, JSON.stringify(json));
    assert.equal(json.image, 'compute@1');
    assert.match(await kernelLine(), /\/boot\/images\/compute\/1\/vmlinuz\?node=n1 initrd=initrd\.img initrd=site\.cpio ip=dhcp berth\.node=n1 \S+ \S+ boot=berth berth\.image=compute@1 berth\.method=untethered berth\.profile=cn /);
    const refused = await d.api('PATCH', '/api/v1/profiles/cn', { image: 'compute@5' });
    assert.equal(refused.status, 404);
    assert.equal((await d.api('PATCH', '/api/v1/profiles/cn', {})).status, 400);
    assert.equal((await d.api('PATCH', '/api/v1/profiles/cn', { bootMethod: 'x' })).status, 400);
  });

  test('GET lists profiles, and kernel profiles beside image profiles', async () => {
    const { json } = await d.api('GET', '/api/v1/profiles');
    assert.deepEqual(
      json.profiles.map((p: { name: string; image: string; resolvesTo?: { ref: string }; bootMethod: string; nodes: { count: number } }) => [p.name, p.image, p.resolvesTo?.ref, p.bootMethod, p.nodes.count]),
      [['cn', 'compute@1', 'compute@1', 'untethered', 1]],
    );
    assert.equal((await d.api('GET', '/api/v1/profiles/nope')).status, 404);
  });

  test('DELETE refuses while nodes use the profile, naming them; force removes it and the node boots locally', async () => {
    const refused = await d.api('DELETE', '/api/v1/profiles/cn');
    assert.equal(refused.status, 409);
    assert.equal(refused.json.error.code, 'BERTH_CONFLICT');
    assert.match(refused.json.error.message, /in use by n1 \(deployment\.pending_profile\)/);
    const forced = await d.api('DELETE', '/api/v1/profiles/cn?force=true');
    assert.equal(forced.status, 200);
    assert.deepEqual(forced.json, { removed: 'cn', pending: 'n1', deployed: '' });
    assert.match(await script(), /n1: profile cn cannot be booted: no profile named _cn_ \(no \/\S+\/profiles\/cn\/profile\.yaml\); booting from local disk\nexit/);
    assert.equal((await d.api('DELETE', '/api/v1/profiles/cn')).status, 404);
  });

  test('the OpenAPI document describes the profile routes', async () => {
    const { json } = await d.api('GET', '/api/v1/openapi.json');
    assert.ok(json.paths['/api/v1/profiles']?.post, Object.keys(json.paths).join(' '));
    assert.ok(json.paths['/api/v1/profiles/{name}']?.delete);
  });
});

/** Boot HTTP against a real daemon, with curl as the client. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomBytes, createHash } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDaemon } from '../../helpers/daemon.ts';
import type { Daemon } from '../../helpers/daemon.ts';

const headerFile = join(tmpdir(), `berth-curl-headers-${process.pid}`);

function curl(args: string[]): { code: number; stdout: string; stderr: string; headers: string } {
  const r = spawnSync('curl', ['-sS', '-D', headerFile, ...args], { encoding: 'latin1' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, headers: readFileSync(headerFile, 'latin1').toLowerCase() };
}

describe('boot HTTP', () => {
  let d: Daemon;
  let base: string;
  const kernel = randomBytes(3 * 1024 * 1024 + 17);
  const initrd = randomBytes(1024 * 1024);

  before(async () => {
    d = await startDaemon();
    const status = JSON.parse(d.cli(['boot', 'status', '--json']).stdout);
    base = `http://127.0.0.1:${status.httpPort}`;
    const profile = join(d.stateDir, 'profiles', 'test');
    mkdirSync(profile, { recursive: true });
    writeFileSync(join(profile, 'vmlinuz'), kernel);
    writeFileSync(join(profile, 'initrd.gz'), initrd);
    writeFileSync(join(profile, 'profile.yaml'), 'kernel: vmlinuz\ninitrds: [initrd.gz]\nkernel_args: console=ttyS0 berth.node={node} rack={location.rack}\n');
    for (const args of [
      ['group', 'define', 'compute', 'location.rack=4'],
      ['node', 'define', 'n1', 'groups=compute', 'net.boot.hwaddr=52:54:00:00:00:01', 'net.boot.ipv4_address=127.0.0.1/8', 'deployment.pending_profile=test'],
      ['node', 'define', 'n2', 'net.boot.hwaddr=52:54:00:00:00:02', 'id.uuid=4c4c4544-0042-3510-8052-b4c04f333232'],
    ]) assert.equal(d.cli(args).code, 0);
  });
  after(async () => {
    await d.stop();
    d.cleanup();
    rmSync(headerFile, { force: true });
  });

  test('a node with a pending profile gets a script that boots it, arguments evaluated per node', () => {
    const r = curl([`${base}/boot/ipxe/52:54:00:00:00:01`]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^#!ipxe\n/);
    assert.match(r.stdout, /^kernel --name vmlinuz http:\/\/127\.0\.0\.1:\d+\/boot\/profiles\/test\/vmlinuz\?node=n1 initrd=initrd\.gz console=ttyS0 berth\.node=n1 rack=4 BOOTIF=01-52-54-00-00-00-01$/m);
    assert.match(r.stdout, /^initrd --name initrd\.gz http:\/\/127\.0\.0\.1:\d+\/boot\/profiles\/test\/initrd\.gz\?node=n1$/m);
    assert.match(r.stdout, /^boot \|\| goto failed$/m);
  });

  test('a node with nothing pending boots locally; by UUID too', () => {
    assert.match(curl([`${base}/boot/ipxe/52:54:00:00:00:02`]).stdout, /no deployment is pending; booting from local disk\nexit/);
    assert.match(curl([`${base}/boot/ipxe/uuid/4c4c4544-0042-3510-8052-b4c04f333232`]).stdout, /n2: no deployment is pending/);
  });

  test('an unknown machine gets the discovery script, which asks again until assigned', () => {
    const r = curl([`${base}/boot/ipxe/52:54:00:99:99:99`]);
    assert.match(r.stdout, /not in the inventory/);
    assert.match(r.stdout, /chain --replace --autofree http:\/\/127\.0\.0\.1:\d+\/boot\/ipxe\/52:54:00:99:99:99 \|\| goto wait/);
  });

  test('files: whole, HEAD, Range, suffix range, 416, ETag revalidation, If-Range', () => {
    const url = `${base}/boot/profiles/test/vmlinuz?node=n1`;
    const whole = spawnSync('curl', ['-sS', url], { maxBuffer: 64 << 20 });
    assert.equal(createHash('sha256').update(whole.stdout).digest('hex'), createHash('sha256').update(kernel).digest('hex'));
    const head = curl(['-I', url]);
    assert.match(head.headers, new RegExp(`content-length: ${kernel.length}`));
    assert.match(head.headers, /accept-ranges: bytes/);
    const etag = /etag: ("[^"]+")/.exec(head.headers)![1]!;
    const part = spawnSync('curl', ['-sS', '-r', '1000-1999', url]);
    assert.deepEqual(part.stdout, kernel.subarray(1000, 2000));
    const suffix = spawnSync('curl', ['-sS', '-H', 'Range: bytes=-10', url]);
    assert.deepEqual(suffix.stdout, kernel.subarray(kernel.length - 10));
    assert.match(curl(['-o', '/dev/null', '-r', `${kernel.length + 5}-`, url]).headers, /^http\/1\.1 416/);
    assert.match(curl(['-o', '/dev/null', '-H', `If-None-Match: ${etag}`, url]).headers, /^http\/1\.1 304/);
    assert.match(curl(['-o', '/dev/null', '-r', '0-9', '-H', `If-Range: ${etag}`, url]).headers, /^http\/1\.1 206/);
    assert.match(curl(['-o', '/dev/null', '-r', '0-9', '-H', 'If-Range: "stale"', url]).headers, /^http\/1\.1 200/);
    assert.match(curl(['-o', '/dev/null', `${base}/boot/profiles/test/..%2f..%2fstore.db`]).headers, /^http\/1\.1 404/);
  });

  test('each answer is a step of the node timeline', async () => {
    await new Promise((r) => setTimeout(r, 400));
    const timeline = JSON.parse(d.cli(['node', 'timeline', 'n1', '--json']).stdout);
    const steps = timeline.events.map((e: { source: string; step: string }) => `${e.source}:${e.step}`);
    assert.ok(steps.includes('http:script'), steps.join(' '));
    assert.ok(steps.includes('http:kernel'));
    const kernelEvent = timeline.events.find((e: { step: string; detail: { bytes: number; status: number } }) => e.step === 'kernel' && e.detail.status === 200);
    assert.equal(kernelEvent.detail.bytes, kernel.length);
    const text = d.cli(['node', 'timeline', 'n1']).stdout;
    assert.match(text, /http +kernel +profile=test file=vmlinuz status=200 bytes=3145745/);
  });

  test('berth events --follow streams boot events as they happen', async () => {
    const follower = spawn(join(import.meta.dirname, '../../../bin/berth'), ['events', '--follow', 'n1'], { env: { ...process.env, BERTH_SOCKET: d.socket } });
    let out = '';
    follower.stdout.setEncoding('utf8');
    follower.stdout.on('data', (c: string) => (out += c));
    await new Promise((r) => setTimeout(r, 700));
    curl([`${base}/boot/ipxe/52:54:00:00:00:02`]);
    curl([`${base}/boot/ipxe/52:54:00:00:00:01`]);
    const deadline = Date.now() + 5000;
    while (!/n1 +http +script/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    follower.kill();
    assert.match(out, /n1 +http +script +script=boot profile=test/);
    assert.doesNotMatch(out, /n2/, 'only the noderange asked for');
  });
});

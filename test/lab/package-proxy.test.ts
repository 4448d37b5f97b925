/**
 * The package proxy, from inside a lab namespace: Debian's archive comes
 * through apt-cacher-ng (a pool file the second time from its cache), what is
 * not Debian's archive is refused, nothing else leaves the namespace (it has
 * no route), and stop() leaves no process and no socket behind.
 *
 * Fetches a few small files from deb.debian.org; skips without root, without
 * namespaces, without the tools, or when the host cannot reach deb.debian.org.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isBerthError } from '../../src/errors.ts';
import { onProcessExit } from '../../src/lab/exit-cleanup.ts';
import { LabNamespace, labUnsupportedReason } from '../../src/lab/namespace.ts';
import { aptCacherNgConfig, parseAccessLog, startPackageProxy } from '../../src/lab/package-proxy.ts';
import type { PackageProxy } from '../../src/lab/package-proxy.ts';
import { processStartTime } from '../../src/lab/process-record.ts';
import { run } from '../../src/util/run.ts';

const mirror = 'http://deb.debian.org/debian';
const releasePath = 'dists/bookworm/Release';
const poolPath = 'pool/main/h/hello/hello_2.10-3_amd64.deb';
/** Not 10.99.0.1: other lab tests may run at the same time (in namespaces of their own, but still). */
const bridgeIp = '10.97.0.1';

async function eventually(condition: () => boolean, what: () => string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`not within ${timeoutMs} ms: ${what()}`);
    await sleep(50);
  }
}

async function unsupportedReason(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  const lab = await labUnsupportedReason();
  if (lab) return `the lab cannot run on this machine: ${lab}`;
  for (const tool of ['apt-cacher-ng', 'socat', 'curl', 'nsenter']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  }
  const online = spawnSync('curl', ['-fsS', '--max-time', '10', '-o', '/dev/null', `${mirror}/${releasePath}`], { encoding: 'utf8' });
  if (online.status !== 0) return `the host cannot reach deb.debian.org: ${online.stderr.trim()}`;
  return undefined;
}

describe('package proxy: pure parts', () => {
  it('counts responses and upstream downloads in the access log', () => {
    const log = [
      '1795290856|E|832|127.0.0.1| [HTTP error, code: 200]',
      '1795290856|I|149506|127.0.0.1|debrep/dists/bookworm/Release',
      '1795290856|O|149482|127.0.0.1|debrep/dists/bookworm/Release',
      '1795290856|I|53326|127.0.0.1|debrep/pool/main/h/hello/hello_2.10-3_amd64.deb',
      '1795290856|O|53313|127.0.0.1|debrep/pool/main/h/hello/hello_2.10-3_amd64.deb',
      '1795290856|O|53313|127.0.0.1|debrep/pool/main/h/hello/hello_2.10-3_amd64.deb',
      '',
    ].join('\n');
    assert.deepEqual(parseAccessLog(log), { requests: 3, bytesServed: 149482 + 2 * 53313, fetches: 2, bytesFetched: 149506 + 53326 });
    assert.deepEqual(parseAccessLog(''), { requests: 0, bytesServed: 0, fetches: 0, bytesFetched: 0 });
  });

  it('configures apt-cacher-ng for Debian only, on loopback, in the foreground', () => {
    const conf = aptCacherNgConfig({ cacheDir: '/c', logDir: '/l', port: 31000 });
    for (const line of ['CacheDir: /c', 'LogDir: /l', 'ForeGround: 1', 'BindAddress: 127.0.0.1', 'Port: 31000', 'ForceManaged: 1', 'PassThroughPattern: ^$']) {
      assert.ok(conf.split('\n').includes(line), `${line} in\n${conf}`);
    }
    assert.throws(() => aptCacherNgConfig({ cacheDir: '/c', logDir: '/l', port: 40000 }), (e) => isBerthError(e) && e.code === 'BERTH_BAD_INPUT');
  });
});

const unsupported = await unsupportedReason();

describe('package proxy: from inside a lab namespace', { skip: unsupported && `skipped: ${unsupported}`, timeout: 120_000 }, () => {
  let namespace: LabNamespace;
  let proxy: PackageProxy;
  let unregister = () => {};
  const labDir = mkdtempSync(join(tmpdir(), 'berth-pp-'));
  const cacheDir = mkdtempSync(join(tmpdir(), 'berth-pp-cache-'));

  /** curl inside the namespace; resolves with its exit code, stdout and stderr. */
  const curl = (...args: string[]) =>
    run('ip', ['netns', 'exec', namespace.name, 'curl', '-sS', ...args], { timeoutMs: 30_000, allowedExitCodes: Array.from({ length: 100 }, (_, i) => i) });

  before(async () => {
    namespace = await LabNamespace.create({ bridgeAddress: `${bridgeIp}/24` });
    unregister = onProcessExit({ graceful: async () => void (await namespace.destroy()), immediate: () => namespace.destroyImmediately() });
    const started = Date.now();
    proxy = await startPackageProxy({ namespace, bridgeIp, labDir, cacheDir });
    console.log(`# package proxy up in ${Date.now() - started} ms at ${proxy.url}`);
  });

  after(async () => {
    await proxy?.stop();
    await namespace?.destroy();
    unregister();
    rmSync(labDir, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('listens on the bridge address at 3142 and is recorded with the namespace', () => {
    assert.equal(proxy.url, `http://${bridgeIp}:3142`);
    const recorded = namespace.state().processes;
    for (const pid of Object.values(proxy.pids)) {
      assert.ok(recorded.some((p) => p.pid === pid && p.label.startsWith('package proxy')), `pid ${pid} in ${JSON.stringify(recorded)}`);
    }
  });

  it('serves Debian\'s Release file to a client in the namespace', async () => {
    const r = await curl('-f', '-x', proxy.url, `${mirror}/${releasePath}`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Codename: bookworm$/m);
  });

  it('serves a pool file the second time from its cache', async () => {
    const accessLog = () => readFileSync(join(proxy.runDir, 'apt-cacher.log'), 'utf8');
    /** The access log's lines for the pool file, by type: I fetched upstream, O sent to the client. */
    const poolLines = (type: 'I' | 'O') => accessLog().split('\n').filter((l) => l.split('|')[1] === type && l.endsWith(`|debrep/${poolPath}`)).length;
    const before = await proxy.stats();
    const first = join(labDir, 'hello-1.deb');
    const second = join(labDir, 'hello-2.deb');
    const a = await curl('-f', '-x', proxy.url, '-o', first, `${mirror}/${poolPath}`);
    assert.equal(a.code, 0, a.stderr);
    const b = await curl('-f', '-x', proxy.url, '-o', second, `${mirror}/${poolPath}`);
    assert.equal(b.code, 0, b.stderr);
    // apt-cacher-ng may write a line a moment after the client has its answer.
    await eventually(() => poolLines('O') === 2, () => `two responses for the pool file in the access log:\n${accessLog()}`);
    await sleep(300);
    assert.equal(poolLines('I'), 1, `fetched upstream once, the second time a cache hit; access log:\n${accessLog()}`);
    const stats = await proxy.stats();
    assert.ok(stats.requests >= before.requests + 2 && stats.fetches >= before.fetches + 1 && stats.bytesServed >= before.bytesServed + 2 * 50_000, JSON.stringify({ before, stats }));
    const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
    assert.equal(sha(second), sha(first));
    assert.equal(readFileSync(first).subarray(0, 8).toString('latin1'), '!<arch>\n', 'a .deb is an ar archive');
    assert.ok(existsSync(join(cacheDir, 'debrep', poolPath)), 'kept in the cache directory');
  });

  it('refuses what is not Debian\'s archive: other hosts, CONNECT tunnels', async () => {
    // A loopback URL: if apt-cacher-ng did try it, nothing would leave the host.
    const other = await curl('-o', '/dev/null', '-w', '%{http_code}', '-x', proxy.url, 'http://127.0.0.1:9/some.deb');
    assert.equal(other.stdout, '403', other.stderr);
    const tunnel = await curl('-o', '/dev/null', '--max-time', '10', '-x', proxy.url, 'https://deb.debian.org/debian/');
    assert.notEqual(tunnel.code, 0);
    assert.match(tunnel.stderr, /CONNECT tunnel failed, response 403/);
  });

  it('lets nothing else leave the namespace: there is no route', async () => {
    const started = Date.now();
    const byName = await curl('--max-time', '5', '-o', '/dev/null', 'http://deb.debian.org/');
    assert.notEqual(byName.code, 0, 'deb.debian.org reached without the proxy');
    // By address too, so it is not only that names do not resolve: connect() fails at once (7, "Network is unreachable").
    const { address } = await lookup('deb.debian.org', { family: 4 });
    const byAddress = await curl('--max-time', '5', '-o', '/dev/null', `http://${address}/`);
    assert.equal(byAddress.code, 7, byAddress.stderr);
    assert.ok(Date.now() - started < 9000, 'failed at once rather than timing out');
    const route = await run('ip', ['-n', namespace.name, 'route', 'get', address], { allowedExitCodes: [0, 1, 2] });
    assert.notEqual(route.code, 0, `a route to ${address}: ${route.stdout}`);
    assert.match(route.stderr, /Network is unreachable/);
  });

  it('admits one proxy per cache directory', async () => {
    const otherLabDir = mkdtempSync(join(tmpdir(), 'berth-pp-'));
    try {
      await assert.rejects(startPackageProxy({ namespace, bridgeIp, labDir: otherLabDir, cacheDir, port: 3143 }), (e) => isBerthError(e) && e.code === 'BERTH_CONFLICT');
    } finally {
      rmSync(otherLabDir, { recursive: true, force: true });
    }
  });

  it('stop() ends its three processes and removes the socket', async () => {
    const pids = Object.values(proxy.pids);
    assert.ok(existsSync(proxy.socket));
    await proxy.stop();
    for (const pid of pids) assert.equal(processStartTime(pid), undefined, `pid ${pid} still running`);
    assert.equal(existsSync(proxy.socket), false);
    assert.equal(existsSync(join(cacheDir, 'berth-package-proxy.lock')), false);
    assert.deepEqual(namespace.state().processes.filter((p) => pids.includes(p.pid)), []);
    await proxy.stop(); // twice is fine
  });
});

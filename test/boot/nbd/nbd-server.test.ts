/**
 * NbdServer on a loopback port against real clients (libnbd's nbdinfo and
 * nbdcopy; qemu-img when installed), and raw sockets for what real clients
 * never do: old-style negotiation, pipelines with bad requests, writes,
 * silence, too many connections, files that vanish or shrink under a client.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { NbdServer, type NbdEvent, type NbdExport } from '../../../src/boot/nbd/nbd-server.ts';
import { nullLogger } from '../../../src/util/logger.ts';
import { run, SubprocessError } from '../../../src/util/run.ts';
import { clientFlags, cmd, goData, info, opt, option, RawClient, rep, request } from './client-wire.ts';

const MiB = 1024 * 1024;
let dir = '';
let server: NbdServer;
let base = '';
const events: NbdEvent[] = [];
const exports = new Map<string, NbdExport>();
let small: Buffer;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-nbd-server-'));
  small = randomBytes(MiB + 123);
  writeFileSync(join(dir, 'small.img'), small);
  // 100 MiB of random content, written in pieces to keep the test's memory flat.
  const big = join(dir, 'big.img');
  writeFileSync(big, '');
  for (let i = 0; i < 100; i++) writeFileSync(big, randomBytes(MiB), { flag: 'a' });
  exports.set('small', { name: 'small', path: join(dir, 'small.img'), size: small.length, description: 'a small test image' });
  exports.set('big', { name: 'big', path: big, size: 100 * MiB });
  exports.set('', { name: 'small', path: join(dir, 'small.img'), size: small.length });
  server = new NbdServer({
    host: '127.0.0.1',
    port: 0,
    exportFor: (name) => {
      if (name === 'throws') throw new Error('store is down');
      if (name === 'rejects') return Promise.reject(new Error('store is down'));
      return exports.get(name);
    },
    listExports: () => [...exports.values()].filter((e, i, all) => all.findIndex((x) => x.name === e.name) === i),
    log: nullLogger(),
    events: { emit: (e) => events.push(e) },
  });
  await server.start();
  base = `nbd://127.0.0.1:${server.port}`;
});

after(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function connectTo(name: string, port = server.port): Promise<RawClient> {
  const c = await RawClient.connect(port);
  await c.handshake();
  await c.go(name);
  return c;
}

test('nbdinfo: size, read-only, multi-conn, no flush, block sizes, description', async () => {
  const { stdout } = await run('nbdinfo', ['--json', `${base}/small`], { timeoutMs: 20_000 });
  const j = JSON.parse(stdout) as { protocol: string; exports: Record<string, unknown>[] };
  assert.equal(j.protocol, 'newstyle-fixed');
  const e = j.exports[0]!;
  assert.equal(e['export-name'], 'small');
  assert.equal(e['export-size'], MiB + 123);
  assert.equal(e['is_read_only'], true);
  assert.equal(e['can_multi_conn'], true);
  assert.equal(e['can_flush'], false);
  assert.equal(e['can_trim'], false);
  assert.equal(e['can_zero'], false);
  assert.equal(e['block_size_minimum'], 1);
  assert.equal(e['block_size_preferred'], 4096);
  assert.equal(e['block_size_maximum'], 32 * MiB);
  assert.equal(e['description'], 'a small test image');
});

test('nbdinfo --list shows every export', async () => {
  const { stdout } = await run('nbdinfo', ['--list', '--json', base], { timeoutMs: 20_000 });
  const j = JSON.parse(stdout) as { exports: { 'export-name': string; 'export-size': number; description?: string }[] };
  const byName = new Map(j.exports.map((e) => [e['export-name'], e]));
  assert.deepEqual([...byName.keys()].sort(), ['big', 'small']);
  assert.equal(byName.get('big')!['export-size'], 100 * MiB);
  assert.equal(byName.get('small')!.description, 'a small test image');
});

test('nbdcopy copies an export byte for byte; the empty name is the default export', async () => {
  for (const uri of [`${base}/small`, `${base}/`]) {
    const out = join(dir, 'small-out.img');
    await run('nbdcopy', [uri, out], { timeoutMs: 30_000 });
    assert.deepEqual(readFileSync(out), small, uri);
    rmSync(out);
  }
});

test('nbdcopy reads a 100 MiB random export back identically (4 connections, 64 requests each)', async () => {
  const before = server.stats();
  const out = join(dir, 'big-out.img');
  // nbdcopy opens min(threads, connections) connections, and only when the server allows multi-conn.
  await run('nbdcopy', ['--threads=4', '--connections=4', '--requests=64', `${base}/big`, out], { timeoutMs: 120_000 });
  assert.equal(await sha256(out), await sha256(exports.get('big')!.path));
  rmSync(out);
  const after = server.stats();
  assert.ok(after.bytesRead - before.bytesRead >= 100 * MiB);
  assert.ok(after.connectionsTotal - before.connectionsTotal >= 4, 'multi-conn: nbdcopy opened several connections');
});

test('qemu-img converts an export to raw identically', { skip: existsSync('/usr/bin/qemu-img') ? false : 'qemu-img not installed (Debian package qemu-utils)' }, async () => {
  // A size in whole sectors: qemu's NBD client (7.2) hangs on an export whose size is not a multiple of
  // 512 when the server sends simple replies, nbdkit --no-sr included. berth's images are 4 KiB multiples.
  exports.set('aligned', { name: 'aligned', path: exports.get('small')!.path, size: MiB });
  try {
    const out = join(dir, 'qemu-out.raw');
    await run('qemu-img', ['convert', '-f', 'raw', '-O', 'raw', `${base}/aligned`, out], { timeoutMs: 30_000 });
    assert.deepEqual(readFileSync(out), small.subarray(0, MiB));
    rmSync(out);
  } finally {
    exports.delete('aligned');
  }
});

test('writing with nbdcopy is refused and the file is unchanged', async () => {
  const src = join(dir, 'junk.img');
  writeFileSync(src, Buffer.alloc(small.length, 0xee));
  await assert.rejects(run('nbdcopy', [src, `${base}/small`], { timeoutMs: 20_000 }), (e: SubprocessError) => /read-only/.test(e.stderr));
  assert.deepEqual(readFileSync(exports.get('small')!.path), small);
});

test('an unknown export: nbdinfo fails and names it; the refusal is counted and reported', async () => {
  const before = server.stats().refused['unknown-export'] ?? 0;
  await assert.rejects(run('nbdinfo', [`${base}/no-such-version`], { timeoutMs: 20_000 }), (e: SubprocessError) => {
    assert.match(e.stderr, /server replied with error to opt_go request/);
    assert.match(e.stderr, /no-such-version/);
    return true;
  });
  assert.ok((server.stats().refused['unknown-export'] ?? 0) > before);
  assert.ok(events.some((e) => e.step === 'refused' && e.detail?.['reason'] === 'unknown-export' && e.detail?.['export'] === 'no-such-version'));
});

test('raw WRITE, TRIM, WRITE_ZEROES get EPERM; the connection stays usable', async () => {
  const c = await connectTo('small');
  try {
    c.send(request(cmd.WRITE, 1n, 0, 8192), Buffer.alloc(8192, 1), request(cmd.TRIM, 2n, 0, 4096), request(cmd.WRITE_ZEROES, 3n, 0, 4096), request(cmd.READ, 4n, 0, 4096));
    for (const handle of [1n, 2n, 3n]) assert.deepEqual(await c.simpleReply().then((r) => [r.handle, r.error]), [handle, 1]);
    const r = await c.simpleReply(4096);
    assert.equal(r.error, 0);
    assert.deepEqual(r.data, small.subarray(0, 4096));
  } finally {
    c.close();
  }
  assert.deepEqual(readFileSync(exports.get('small')!.path), small);
});

test('pipelined reads, good and bad, are answered in order with the right bytes', async () => {
  const c = await connectTo('small');
  try {
    const reqs: { handle: bigint; offset: number; length: number; error: number }[] = [];
    for (let i = 0; i < 300; i++) {
      const length = [1, 512, 4096, 65536, 131072][i % 5]!;
      const offset = (i * 7919 * 13) % (small.length - length);
      const bad = i % 37 === 0;
      reqs.push({ handle: BigInt(i) << 32n, offset: bad ? small.length : offset, length, error: bad ? 22 : 0 });
    }
    c.send(...reqs.map((r) => request(cmd.READ, r.handle, r.offset, r.length)), request(cmd.FLUSH, 999n, 0, 0));
    for (const r of reqs) {
      const got = await c.simpleReply(r.error === 0 ? r.length : 0);
      assert.equal(got.handle, r.handle);
      assert.equal(got.error, r.error);
      if (r.error === 0) assert.ok(got.data.equals(small.subarray(r.offset, r.offset + r.length)), `data of ${r.handle}`);
    }
    assert.deepEqual(await c.simpleReply().then((r) => [r.handle, r.error]), [999n, 0]);
    c.send(request(cmd.DISC, 0n, 0, 0));
    await c.closedByServer();
  } finally {
    c.close();
  }
});

test('reads of exactly 32 MiB are served; one byte more is EINVAL', async () => {
  const c = await connectTo('big');
  try {
    c.send(request(cmd.READ, 1n, 50 * MiB, 32 * MiB), request(cmd.READ, 2n, 0, 32 * MiB + 1), request(cmd.READ, 3n, 100 * MiB - 1, 1));
    const r1 = await c.simpleReply(32 * MiB);
    assert.equal(r1.error, 0);
    assert.equal(r1.data.length, 32 * MiB);
    assert.deepEqual(await c.simpleReply().then((r) => [r.handle, r.error]), [2n, 22]);
    assert.equal((await c.simpleReply(1)).error, 0);
  } finally {
    c.close();
  }
});

test('a client pipelining huge reads without reading replies does not make the server buffer them all', async () => {
  const c = await connectTo('big');
  try {
    c.socket.pause(); // like a client that stopped reading: the socket buffers fill up
    const before = process.memoryUsage().arrayBuffers;
    // 60 × 32 MiB = 1.9 GiB asked for at once.
    c.send(...Array.from({ length: 60 }, (_, i) => request(cmd.READ, BigInt(i), (i % 3) * 32 * MiB, 32 * MiB)));
    await new Promise((r) => setTimeout(r, 1500));
    const grown = process.memoryUsage().arrayBuffers - before;
    assert.ok(grown < 200 * MiB, `server buffered ${Math.round(grown / MiB)} MiB`);
  } finally {
    c.close();
  }
});

test('NBD_OPT_EXPORT_NAME (old clients): size, flags, zeroes, then reads', async () => {
  const c = await RawClient.connect(server.port);
  try {
    await c.handshake(1); // fixed newstyle, without NO_ZEROES
    c.send(option(opt.EXPORT_NAME, Buffer.from('small')));
    const reply = await c.read(134);
    assert.equal(Number(reply.readBigUInt64BE(0)), small.length);
    assert.equal(reply.readUInt16BE(8) & 0b11, 0b11); // HAS_FLAGS | READ_ONLY
    assert.ok(reply.subarray(10).every((b) => b === 0));
    c.send(request(cmd.READ, 77n, 100, 50));
    const r = await c.simpleReply(50);
    assert.deepEqual(r.data, small.subarray(100, 150));
  } finally {
    c.close();
  }
});

test('NBD_OPT_EXPORT_NAME of an unknown export: the connection is closed', async () => {
  const c = await RawClient.connect(server.port);
  try {
    await c.handshake();
    c.send(option(opt.EXPORT_NAME, Buffer.from('nope')));
    await c.closedByServer();
  } finally {
    c.close();
  }
});

test('a plain-newstyle client (no fixed flag), an HTTP client and a client sending garbage options are closed and counted', async () => {
  const before = server.stats().refused;
  const plain = await RawClient.connect(server.port);
  await plain.handshake(0);
  plain.send(option(opt.EXPORT_NAME, Buffer.from('small')));
  await plain.closedByServer();
  const http = await RawClient.connect(server.port);
  await http.read(18);
  http.send(Buffer.from('GET / HTTP/1.1\r\nHost: berth\r\n\r\n'));
  await http.closedByServer();
  const garbage = await RawClient.connect(server.port);
  await garbage.handshake();
  garbage.send(Buffer.from('IHAVEOPS and then some more bytes'));
  await garbage.closedByServer();
  const afterRefused = server.stats().refused;
  const delta = (reason: string) => (afterRefused[reason] ?? 0) - (before[reason] ?? 0);
  assert.equal(delta('not-fixed-newstyle'), 1);
  assert.equal(delta('unknown-client-flags'), 1, '"GET " read as client flags');
  assert.equal(delta('bad-option-magic'), 1);
});

test('an export whose lookup throws or rejects is an error reply, not a crash', async () => {
  const c = await RawClient.connect(server.port);
  try {
    await c.handshake();
    for (const name of ['throws', 'rejects']) {
      c.send(option(opt.GO, goData(name, [info.BLOCK_SIZE])));
      const r = await c.optionReply();
      assert.equal(r.type, rep.ERR_UNKNOWN);
    }
    assert.ok((await c.go('small')) > 0);
  } finally {
    c.close();
  }
});

test('oversized option: skipped, NBD_REP_ERR_TOO_BIG, negotiation goes on', async () => {
  const c = await RawClient.connect(server.port);
  try {
    await c.handshake();
    c.send(option(opt.GO, Buffer.alloc(100_000, 0x61)));
    assert.equal((await c.optionReply()).type, rep.ERR_TOO_BIG);
    c.send(option(opt.STRUCTURED_REPLY));
    assert.equal((await c.optionReply()).type, rep.ERR_UNSUP);
    assert.equal(await c.go('small'), small.length);
  } finally {
    c.close();
  }
});

test('an export file unlinked under an attached client still serves it; new clients are told it is unavailable', async () => {
  const path = join(dir, 'vanishing.img');
  copyFileSync(exports.get('small')!.path, path);
  exports.set('vanishing', { name: 'vanishing', path, size: small.length });
  const c = await connectTo('vanishing');
  try {
    unlinkSync(path);
    c.send(request(cmd.READ, 1n, 1000, 4096));
    assert.deepEqual((await c.simpleReply(4096)).data, small.subarray(1000, 5096));
    const late = await RawClient.connect(server.port);
    await late.handshake();
    late.send(option(opt.GO, goData('vanishing')));
    const r = await late.optionReply();
    assert.equal(r.type, rep.ERR_UNKNOWN);
    assert.match(r.data.toString(), /vanishing.*ENOENT/);
    late.close();
  } finally {
    c.close();
    exports.delete('vanishing');
  }
});

test('an export file truncated under a client: EIO for reads past the new end, the connection carries on', async () => {
  const path = join(dir, 'shrinking.img');
  copyFileSync(exports.get('small')!.path, path);
  exports.set('shrinking', { name: 'shrinking', path, size: small.length });
  const before = server.stats().refused['read-failed'] ?? 0;
  const c = await connectTo('shrinking');
  try {
    truncateSync(path, 4096);
    c.send(request(cmd.READ, 1n, 8192, 4096), request(cmd.READ, 2n, 0, 4096));
    assert.deepEqual(await c.simpleReply().then((r) => [r.handle, r.error]), [1n, 5]);
    assert.deepEqual((await c.simpleReply(4096)).data, small.subarray(0, 4096));
    assert.equal((server.stats().refused['read-failed'] ?? 0) - before, 1);
  } finally {
    c.close();
    exports.delete('shrinking');
  }
});

test('an export whose file is shorter than its size is refused at GO', async () => {
  exports.set('short', { name: 'short', path: exports.get('small')!.path, size: small.length + 1 });
  try {
    const c = await RawClient.connect(server.port);
    await c.handshake();
    c.send(option(opt.GO, goData('short')));
    assert.equal((await c.optionReply()).type, rep.ERR_UNKNOWN);
    c.close();
  } finally {
    exports.delete('short');
  }
});

test('a silent client is closed after the handshake timeout', async () => {
  const s = new NbdServer({ host: '127.0.0.1', port: 0, exportFor: () => undefined, log: nullLogger(), handshakeTimeoutMs: 200 });
  await s.start();
  try {
    const c = await RawClient.connect(s.port);
    await c.read(18);
    await c.closedByServer(3000);
    assert.equal(s.stats().refused['handshake-timeout'], 1);
  } finally {
    await s.stop();
  }
});

test('beyond maxConnections a client is closed at once; a freed slot is usable again', async () => {
  const s = new NbdServer({ host: '127.0.0.1', port: 0, exportFor: (n) => exports.get(n), log: nullLogger(), maxConnections: 2 });
  await s.start();
  try {
    const a = await connectTo('small', s.port);
    const b = await connectTo('small', s.port);
    const c = await RawClient.connect(s.port);
    await c.closedByServer();
    assert.equal(s.stats().refused['max-connections'], 1);
    assert.equal(s.stats().connections, 2);
    a.close();
    await new Promise((r) => setTimeout(r, 100));
    const d = await connectTo('small', s.port);
    d.send(request(cmd.READ, 1n, 0, 16));
    assert.deepEqual((await d.simpleReply(16)).data, small.subarray(0, 16));
    b.close();
    d.close();
  } finally {
    await s.stop();
  }
});

test('without listExports, NBD_OPT_LIST is refused with NBD_REP_ERR_POLICY', async () => {
  const s = new NbdServer({ host: '127.0.0.1', port: 0, exportFor: (n) => exports.get(n), log: nullLogger() });
  await s.start();
  try {
    const c = await RawClient.connect(s.port);
    await c.handshake();
    c.send(option(opt.LIST));
    assert.equal((await c.optionReply()).type, rep.ERR_POLICY);
    c.close();
    await assert.rejects(run('nbdinfo', ['--list', `nbd://127.0.0.1:${s.port}`], { timeoutMs: 20_000 }));
  } finally {
    await s.stop();
  }
});

test('stop() closes attached clients and resolves; stats count what happened', async () => {
  const s = new NbdServer({ host: '127.0.0.1', port: 0, exportFor: (n) => exports.get(n), log: nullLogger() });
  await s.start();
  const c = await connectTo('small', s.port);
  c.send(request(cmd.READ, 1n, 0, 4096), request(cmd.READ, 2n, 0, 0));
  await c.simpleReply(4096);
  await c.simpleReply();
  const idle = await RawClient.connect(s.port);
  await s.stop();
  await c.closedByServer();
  await idle.closedByServer();
  const st = s.stats();
  assert.equal(st.connections, 0);
  assert.equal(st.connectionsTotal, 2);
  assert.equal(st.requests, 2);
  assert.equal(st.bytesRead, 4096);
  assert.equal(st.refused['bad-length'], 1);
  await assert.rejects(RawClient.connect(s.port));
});

test('events: attach and detach carry export, requests, bytes and how it ended', async () => {
  const from = events.length;
  const c = await connectTo('small');
  c.send(request(cmd.READ, 1n, 0, 1000), request(cmd.DISC, 2n, 0, 0));
  await c.simpleReply(1000);
  await c.closedByServer();
  await new Promise((r) => setTimeout(r, 50));
  const mine = events.slice(from);
  const attach = mine.find((e) => e.step === 'attach')!;
  assert.deepEqual(attach.detail, { export: 'small', via: 'go', size: small.length });
  assert.equal(attach.ip, '127.0.0.1');
  const detach = mine.find((e) => e.step === 'detach')!;
  assert.equal(detach.detail?.['requests'], 2);
  assert.equal(detach.detail?.['bytes'], 1000);
  assert.equal(detach.detail?.['reason'], 'disconnect');
});

test('bad options to the constructor are configuration errors', () => {
  const ok = { host: '127.0.0.1', exportFor: () => undefined, log: nullLogger() };
  for (const bad of [{ port: 70000 }, { port: -1 }, { maxConnections: 0 }, { handshakeTimeoutMs: 0 }, { host: '' }]) {
    assert.throws(() => new NbdServer({ ...ok, ...bad }), { code: 'BERTH_CONFIG' });
  }
  assert.equal(new NbdServer(ok).port, 10809);
});

test('a client flag the server did not offer closes the connection', async () => {
  const c = await RawClient.connect(server.port);
  await c.read(18);
  c.send(clientFlags(1 | 8));
  await c.closedByServer();
});

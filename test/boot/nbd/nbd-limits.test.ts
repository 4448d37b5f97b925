/**
 * NbdServer's limits against the attacks that found them, on loopback with
 * raw clients: one address opening every connection the server allows, and
 * clients that pipeline large READs and never read the replies (alone and
 * several at once). 127.0.0.2 and 127.0.0.3 stand for two machines.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { NbdServer, type NbdEvent, type NbdExport, type NbdServerOptions } from '../../../src/boot/nbd/nbd-server.ts';
import { nullLogger } from '../../../src/util/logger.ts';
import { cmd, opt, option, RawClient, request } from './client-wire.ts';

const MiB = 1024 * 1024;
let dir = '';
let content: Buffer;
const exports = new Map<string, NbdExport>();

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-nbd-limits-'));
  content = randomBytes(64 * MiB);
  writeFileSync(join(dir, 'image'), content);
  exports.set('image', { name: 'image', path: join(dir, 'image'), size: content.length });
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function withServer(options: Partial<NbdServerOptions>, body: (s: NbdServer) => Promise<void>): Promise<void> {
  const s = new NbdServer({ host: '127.0.0.1', port: 0, exportFor: (n) => exports.get(n), log: nullLogger(), ...options });
  await s.start();
  try {
    await body(s);
  } finally {
    await s.stop();
  }
}

async function attach(port: number, from = '127.0.0.1'): Promise<RawClient> {
  const c = await RawClient.connect(port, '127.0.0.1', from);
  try {
    await c.handshake();
    await c.go('image');
  } catch (e) {
    c.close();
    throw e;
  }
  return c;
}

/** A client that asks for `count` reads of `length` bytes and stops reading replies (its socket buffers fill up). */
async function nonReader(port: number, count: number, length: number, from = '127.0.0.1'): Promise<RawClient> {
  const c = await attach(port, from);
  c.socket.pause();
  c.send(...Array.from({ length: count }, (_, i) => request(cmd.READ, BigInt(i), (i * length) % (content.length - length + 1), length)));
  return c;
}

/** Resolves once the server has dropped `n` connections for not draining; a paused client sees the close only once it reads again. */
async function drainDrops(s: NbdServer, n: number, clients: RawClient[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((s.stats().refused['drain-timeout'] ?? 0) < n) {
    if (Date.now() > deadline) throw new Error(`${s.stats().refused['drain-timeout'] ?? 0} of ${n} connections dropped for not draining`);
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const c of clients) {
    c.socket.resume();
    await c.closedByServer();
  }
}

/** Highest value `probe` returned, sampled every 20 ms for `ms`. */
async function peakOver(ms: number, probe: () => number): Promise<number> {
  let peak = probe();
  const until = Date.now() + ms;
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, 20));
    peak = Math.max(peak, probe());
  }
  return peak;
}

test('1,024 connections from one address do not lock another address out', async () => {
  const events: NbdEvent[] = [];
  await withServer({ events: { emit: (e) => events.push(e) } }, async (s) => {
    // Attached and idle: in the transmission phase nothing times them out (a node may sit idle for hours).
    const flood: RawClient[] = [];
    let refused = 0;
    for (let batch = 0; batch < 1024; batch += 64) {
      const tries = await Promise.allSettled(Array.from({ length: 64 }, () => attach(s.port, '127.0.0.2')));
      for (const t of tries) {
        if (t.status === 'fulfilled') flood.push(t.value);
        else refused++;
      }
    }
    try {
      const st = s.stats();
      assert.ok(flood.length <= 16, `one address holds ${flood.length} connections`);
      assert.equal(refused, 1024 - flood.length);
      assert.equal(st.refused['max-connections-per-address'], refused);
      assert.ok(events.some((e) => e.step === 'refused' && e.ip === '127.0.0.2' && e.detail?.['reason'] === 'max-connections-per-address'));
      assert.ok(events.filter((e) => e.step === 'refused').length < 10, 'a flood is one event per episode, not one per connection');

      const other = await attach(s.port, '127.0.0.3');
      other.send(request(cmd.READ, 1n, 4096, 65536));
      const r = await other.simpleReply(65536);
      assert.equal(r.error, 0);
      assert.deepEqual(r.data, content.subarray(4096, 4096 + 65536));
      other.close();
    } finally {
      for (const c of flood) c.close();
    }
  });
});

test('a client that never reads its replies is held to the per-connection budget, then dropped when its output does not drain', async () => {
  const budget = 8 * MiB; // the default per-connection budget
  await withServer({ drainTimeoutMs: 1500 }, async (s) => {
    const memoryBefore = process.memoryUsage().arrayBuffers;
    // 128 × 1 MiB and 16 × 32 MiB: 640 MiB asked for at once.
    const c = await nonReader(s.port, 128, MiB);
    c.send(...Array.from({ length: 16 }, (_, i) => request(cmd.READ, BigInt(1000 + i), 0, 32 * MiB)));
    const peak = await peakOver(1000, () => s.stats().queuedBytes);
    const grown = process.memoryUsage().arrayBuffers - memoryBefore;
    // Both ends live in this process: the server's queue, buffers kept for reuse, what the kernel handed the paused client.
    assert.ok(grown < 40 * MiB, `buffers grew by ${Math.round(grown / MiB)} MiB`);
    assert.ok(peak > 0, 'the server did queue replies');
    assert.ok(peak <= budget, `queued ${(peak / MiB).toFixed(1)} MiB for one connection`);
    assert.ok(s.stats().queuedBytesPeak <= budget);
    await drainDrops(s, 1, [c], 6000);
    assert.equal(s.stats().refused['drain-timeout'], 1);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(s.stats().connections, 0);
    assert.equal(s.stats().queuedBytes, 0, 'a dropped connection gives its bytes back');
  });
});

test('the global budget holds with several non-reading clients, and a reading client is still served', async () => {
  const global = 24 * MiB;
  await withServer({ maxQueuedBytes: global, drainTimeoutMs: 2000 }, async (s) => {
    const stuck = await Promise.all(Array.from({ length: 6 }, () => nonReader(s.port, 64, MiB)));
    const peak = await peakOver(800, () => s.stats().queuedBytes);
    assert.ok(peak <= global, `queued ${(peak / MiB).toFixed(1)} MiB in all`);
    assert.ok(s.stats().queuedBytesPeak <= global);

    // A well-behaved client asking now: served (at the latest once the stuck ones are dropped), byte for byte.
    const reader = await attach(s.port);
    reader.send(...Array.from({ length: 8 }, (_, i) => request(cmd.READ, BigInt(i), i * MiB, MiB)));
    for (let i = 0; i < 8; i++) {
      const r = await reader.simpleReply(MiB);
      assert.equal(r.error, 0);
      assert.equal(r.handle, BigInt(i));
      assert.ok(r.data.equals(content.subarray(i * MiB, (i + 1) * MiB)));
    }
    reader.close();
    await drainDrops(s, 6, stuck, 8000);
    assert.equal(s.stats().refused['drain-timeout'], 6);
    assert.ok(s.stats().queuedBytesPeak <= global);
  });
});

test('a READ larger than one piece is served byte for byte; one whose later piece fails closes the connection', async () => {
  const path = join(dir, 'shrinking');
  copyFileSync(join(dir, 'image'), path);
  exports.set('shrinking', { name: 'shrinking', path, size: content.length });
  try {
    await withServer({}, async (s) => {
      const c = await RawClient.connect(s.port);
      await c.handshake();
      await c.go('shrinking');
      c.send(request(cmd.READ, 1n, 3 * MiB + 5, 5 * MiB + 3));
      assert.ok((await c.simpleReply(5 * MiB + 3)).data.equals(content.subarray(3 * MiB + 5, 8 * MiB + 8)));
      // The first MiB of the reply can be on the wire before the read past the new end fails: only closing is honest.
      truncateSync(path, 2 * MiB);
      c.send(request(cmd.READ, 2n, MiB, 4 * MiB));
      await c.closedByServer();
      assert.equal(s.stats().refused['read-failed'], 1);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(s.stats().queuedBytes, 0);
    });
  } finally {
    exports.delete('shrinking');
  }
});

test('a client asking for export lists it never reads does not make the handshake buffer them', async () => {
  const many = Array.from({ length: 200 }, (_, i): NbdExport => ({ name: `image-${i}`, path: join(dir, 'image'), size: content.length, description: 'd'.repeat(2000) }));
  await withServer({ listExports: () => many }, async (s) => {
    const c = await RawClient.connect(s.port);
    await c.handshake();
    c.socket.pause();
    const before = process.memoryUsage();
    // Each listing is about 400 KiB: 1,000 of them asked at once would be 400 MiB.
    c.send(...Array.from({ length: 1000 }, () => option(opt.LIST)));
    await new Promise((r) => setTimeout(r, 1500));
    const after = process.memoryUsage();
    const grown = after.arrayBuffers - before.arrayBuffers + (after.heapUsed - before.heapUsed);
    assert.ok(grown < 64 * MiB, `the handshake buffered ${Math.round(grown / MiB)} MiB`);
    c.close();
  });
});

test('over-budget options are configuration errors', () => {
  const ok = { host: '127.0.0.1', exportFor: () => undefined, log: nullLogger() };
  for (const bad of [{ maxConnectionsPerAddress: 0 }, { maxQueuedBytes: MiB }, { maxQueuedBytesPerConnection: 1024 }, { maxQueuedBytesPerConnection: 512 * MiB }, { drainTimeoutMs: 0 }]) {
    assert.throws(() => new NbdServer({ ...ok, ...bad }), { code: 'BERTH_CONFIG' }, JSON.stringify(bad));
  }
});

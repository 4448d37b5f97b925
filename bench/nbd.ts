/**
 * NBD read throughput: berth's NbdServer against `nbdkit file` (the standard
 * NBD server, run read-only here on a spare loopback port and killed by PID
 * afterwards), on one 1 GiB file of random content, in the same run:
 *
 *   - sequential 1 MiB reads of the whole file with nbdcopy (libnbd's copy
 *     tool: one connection, 16 requests in flight) to null:;
 *   - sequential 1 MiB reads with a small NBD client written here (8 in flight);
 *   - random 4 KiB reads with that client at queue depth 1 (one request at
 *     a time: what a booting node's latency-bound reads look like) and at
 *     queue depth 32 (the kernel nbd driver keeps many requests in flight).
 *
 * Each figure is the median of BERTH_BENCH_ROUNDS rounds (default 3), berth
 * and nbdkit alternating. The client here asks neither server for
 * structured replies, so both answer with simple replies; nbdcopy gets
 * structured replies from nbdkit (berth refuses them), as a real client
 * would. Prints MiB/s and berth/nbdkit; target ≥ 1.0×.
 *
 *   node bench/nbd.ts            (needs Debian packages nbdkit and libnbd-bin)
 *
 * berth's server runs in a child process (this file with `--serve`), so the
 * client here does not share its event loop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NbdServer } from '../src/boot/nbd/nbd-server.ts';
import { nullLogger } from '../src/util/logger.ts';
import { run } from '../src/util/run.ts';
import { seededRandom } from '../test/helpers/seeded-random.ts';

const ROUNDS = Number(process.env['BERTH_BENCH_ROUNDS'] ?? 3);
const SIZE = 1024 * 1024 * 1024;
const MiB = 1024 * 1024;

if (process.argv[2] === '--serve') {
  const path = process.argv[3]!;
  const server = new NbdServer({ host: '127.0.0.1', port: 0, exportFor: (name) => (name === 'image' ? { name, path, size: SIZE } : undefined), log: nullLogger() });
  await server.start();
  process.stdout.write(`${server.port}\n`);
  process.on('SIGTERM', () => void server.stop().then(() => process.exit(0)));
} else {
  await main();
}

async function main(): Promise<void> {
  for (const [what, path] of [['nbdkit (Debian package nbdkit)', '/usr/sbin/nbdkit'], ['nbdcopy (Debian package libnbd-bin)', '/usr/bin/nbdcopy']] as const) {
    if (!existsSync(path) && !existsSync(path.replace('/sbin/', '/bin/'))) {
      console.error(`missing ${what}; as root: apt-get install nbdkit libnbd-bin`);
      process.exit(1);
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-nbd-'));
  const children: ChildProcess[] = [];
  try {
    const file = join(dir, 'image');
    const fd = openSync(file, 'w');
    for (let at = 0; at < SIZE; at += 16 * MiB) writeSync(fd, randomBytes(16 * MiB));
    closeSync(fd);

    const berth = spawn(process.execPath, [import.meta.filename, '--serve', file], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(berth);
    const berthPort = await new Promise<number>((resolve, reject) => {
      berth.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
      berth.once('exit', (code) => reject(new Error(`berth server exited with ${code}`)));
    });

    const nbdkitPort = await sparePort();
    // -r read-only, -f foreground (so the PID is nbdkit's), -i/-p loopback port, -e the export name.
    const nbdkit = spawn('nbdkit', ['-r', '-f', '--exit-with-parent', '-i', '127.0.0.1', '-p', String(nbdkitPort), '-e', 'image', 'file', file], { stdio: 'ignore' });
    children.push(nbdkit);
    await waitForPort(nbdkitPort);

    const servers = [
      { name: 'berth', port: berthPort },
      { name: 'nbdkit', port: nbdkitPort },
    ];
    // Warm-up and a correctness check of the client against both servers.
    for (const s of servers) await verify(s.port, file);

    const nbdkitVersion = (await run('nbdkit', ['--version'])).stdout.trim();
    console.log(`1 GiB random file, loopback, median of ${ROUNDS} rounds; berth vs ${nbdkitVersion} (file plugin, -r)`);
    const scenarios: { label: string; bytes: number; run: (port: number) => Promise<number> }[] = [
      { label: 'sequential 1 MiB, nbdcopy (1 conn, 16 in flight)', bytes: SIZE, run: (port) => timed(() => run('nbdcopy', ['--connections=1', '--threads=1', '--requests=16', '--request-size=1048576', '--no-extents', `nbd://127.0.0.1:${port}/image`, 'null:'], { timeoutMs: 300_000 })) },
      { label: 'sequential 1 MiB, node client (8 in flight)', bytes: SIZE, run: (port) => readPattern(port, 'sequential', MiB, 8, SIZE / MiB) },
      { label: 'random 4 KiB, node client, queue depth 1', bytes: 20_000 * 4096, run: (port) => readPattern(port, 'random', 4096, 1, 20_000) },
      { label: 'random 4 KiB, node client, queue depth 32', bytes: 200_000 * 4096, run: (port) => readPattern(port, 'random', 4096, 32, 200_000) },
    ];
    for (const sc of scenarios) {
      const times = new Map<string, number[]>(servers.map((s) => [s.name, []]));
      for (let i = 0; i < ROUNDS; i++) for (const s of servers) times.get(s.name)!.push(await sc.run(s.port));
      const rate = (name: string) => sc.bytes / MiB / (median(times.get(name)!) / 1000);
      const b = rate('berth');
      const k = rate('nbdkit');
      console.log(`${sc.label}:`);
      console.log(`  berth   ${b.toFixed(1).padStart(8)} MiB/s${sc.label.includes('4 KiB') ? `  ${((b * MiB) / 4096).toFixed(0).padStart(7)} IOPS` : ''}`);
      console.log(`  nbdkit  ${k.toFixed(1).padStart(8)} MiB/s${sc.label.includes('4 KiB') ? `  ${((k * MiB) / 4096).toFixed(0).padStart(7)} IOPS` : ''}`);
      console.log(`  berth/nbdkit: ${(b / k).toFixed(2)}×`);
    }
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/**
 * A minimal NBD client: fixed newstyle, NBD_OPT_GO "image", then `count`
 * reads of `length` bytes with `depth` in flight, sequential or at random
 * aligned offsets. Replies may come out of order (nbdkit's threads), so the
 * length of each reply is looked up by handle. Returns milliseconds for the
 * reads (the handshake is not timed). With `check`, keeps the data of every
 * 97th read to compare with the file.
 */
async function readPattern(port: number, pattern: 'sequential' | 'random', length: number, depth: number, count: number, check?: Map<number, Buffer>): Promise<number> {
  const socket = await connect(port);
  socket.setNoDelay(true);
  const random = seededRandom(count * length + depth);
  const blocks = SIZE / length;
  const offsets = new Float64Array(count);
  for (let i = 0; i < count; i++) offsets[i] = (pattern === 'sequential' ? i % blocks : Math.floor(random() * blocks)) * length;

  let pending: Buffer = Buffer.alloc(0);
  const need = async (n: number): Promise<Buffer> => {
    while (pending.length < n) {
      const chunk = await new Promise<Buffer>((resolve, reject) => {
        socket.once('data', resolve);
        socket.once('error', reject);
      });
      socket.removeAllListeners('error');
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    }
    const out = pending.subarray(0, n);
    pending = pending.subarray(n);
    return out;
  };
  await need(18);
  const go = Buffer.alloc(4 + 16 + 4 + 5 + 2);
  go.writeUInt32BE(3, 0); // client flags: fixed newstyle, no zeroes
  go.writeBigUInt64BE(0x49484156454f5054n, 4);
  go.writeUInt32BE(7, 12); // NBD_OPT_GO
  go.writeUInt32BE(4 + 5 + 2, 16);
  go.writeUInt32BE(5, 20);
  go.write('image', 24);
  go.writeUInt16BE(0, 29);
  socket.write(go);
  for (;;) {
    const h = await need(20);
    const data = await need(h.readUInt32BE(16));
    const type = h.readUInt32BE(12);
    if (type === 1) break; // ACK: transmission
    if (type !== 3) throw new Error(`NBD_OPT_GO failed on port ${port}: 0x${type.toString(16)} ${data.toString()}`);
  }
  socket.removeAllListeners('data');

  const started = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    let sent = 0;
    let done = 0;
    const requestBytes = Buffer.alloc(28 * depth);
    const sendSome = () => {
      let n = 0;
      while (sent < count && sent - done < depth) {
        const r = requestBytes.subarray(n * 28, n * 28 + 28);
        r.writeUInt32BE(0x25609513, 0);
        r.writeUInt32BE(0, 4); // flags 0, type READ
        r.writeBigUInt64BE(BigInt(sent), 8);
        r.writeBigUInt64BE(BigInt(offsets[sent]!), 16);
        r.writeUInt32BE(length, 24);
        sent++;
        n++;
      }
      if (n > 0) socket.write(Buffer.from(requestBytes.subarray(0, n * 28)));
    };
    // Reply parsing without copying data: a 16-byte header, then `length` bytes skipped (or kept for checking).
    let header = Buffer.alloc(0);
    let skip = 0;
    let keep: { handle: number; parts: Buffer[] } | undefined;
    socket.on('data', (chunk: Buffer) => {
      let at = 0;
      while (at < chunk.length) {
        if (skip > 0) {
          const n = Math.min(skip, chunk.length - at);
          if (keep) keep.parts.push(chunk.subarray(at, at + n));
          skip -= n;
          at += n;
          if (skip === 0) {
            if (keep) check!.set(offsets[keep.handle]!, Buffer.concat(keep.parts));
            keep = undefined;
            done++;
          }
          continue;
        }
        const n = Math.min(16 - header.length, chunk.length - at);
        header = Buffer.concat([header, chunk.subarray(at, at + n)]);
        at += n;
        if (header.length < 16) break;
        const error = header.readUInt32BE(4);
        const handle = Number(header.readBigUInt64BE(8));
        header = Buffer.alloc(0);
        if (error !== 0) return reject(new Error(`read ${handle} failed with error ${error} on port ${port}`));
        skip = length;
        if (check && handle % 97 === 0) keep = { handle, parts: [] };
      }
      if (done === count) resolve();
      else sendSome();
    });
    socket.once('error', reject);
    sendSome();
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  socket.destroy();
  return ms;
}

/** The bench client reads what the file holds, from both servers. */
async function verify(port: number, file: string): Promise<void> {
  const kept = new Map<number, Buffer>();
  await readPattern(port, 'random', 4096, 8, 2000, kept);
  const fd = openSync(file, 'r');
  try {
    for (const [offset, data] of kept) {
      const want = Buffer.alloc(data.length);
      readSync(fd, want, 0, want.length, offset);
      if (!want.equals(data)) throw new Error(`port ${port}: data at ${offset} differs from the file`);
    }
  } finally {
    closeSync(fd);
  }
}

function connect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = new Socket();
    s.once('error', reject);
    s.connect(port, '127.0.0.1', () => resolve(s));
  });
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      (await connect(port)).destroy();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`nothing listens on port ${port}`);
}

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}

/** A TCP port free on loopback right now. */
async function sparePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const address = s.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

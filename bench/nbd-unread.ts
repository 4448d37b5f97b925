/**
 * What clients that never read their replies cost berth's NBD server, and
 * what a one-address flood does to a well-behaved client.
 *
 *   1. Server RSS with 1, 16 and 64 non-reading clients: each attaches,
 *      stops reading and asks for 64 × 1 MiB + 8 × 32 MiB (320 MiB). A fresh
 *      server per count, RSS read from /proc while they sit (well under the
 *      30 s drain limit, so what is measured is what they hold, not the drop).
 *      16 clients per address (127.0.1.1, .2, ...): the per-address cap.
 *   2. A client on 127.0.0.3 reading (sequential 1 MiB at 8 in flight, then
 *      random 4 KiB at queue depth 1): alone, while 127.0.0.2 holds 1,024
 *      attached idle connections (or as many as it is let), and while
 *      127.0.0.2 holds 16 non-reading clients.
 *
 * Bounded: about a minute and a half, on a 256 MiB file in a temp dir; the server runs
 * in a child process (this file with `--serve`) killed by PID at the end.
 *
 *   node bench/nbd-unread.ts
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NbdServer } from '../src/boot/nbd/nbd-server.ts';
import { nullLogger } from '../src/util/logger.ts';
import { cmd, RawClient, request } from '../test/boot/nbd/client-wire.ts';
import { seededRandom } from '../test/helpers/seeded-random.ts';

const MiB = 1024 * 1024;
const SIZE = 256 * MiB;

if (process.argv[2] === '--serve') {
  const path = process.argv[3]!;
  const server = new NbdServer({ host: '127.0.0.1', port: 0, exportFor: (name) => (name === 'image' ? { name, path, size: SIZE } : undefined), log: nullLogger() });
  await server.start();
  process.stdout.write(`${server.port}\n`);
  process.on('SIGTERM', () => void server.stop().then(() => process.exit(0)));
} else {
  await main();
}

interface Served {
  child: ChildProcess;
  port: number;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-nbd-unread-'));
  const children: ChildProcess[] = [];
  try {
    const file = join(dir, 'image');
    const fd = openSync(file, 'w');
    for (let i = 0; i < SIZE / (16 * MiB); i++) writeSync(fd, randomBytes(16 * MiB));
    closeSync(fd);
    readFileSync(file); // into the page cache

    console.log('non-reading clients (64 × 1 MiB + 8 × 32 MiB asked each): server RSS');
    for (const count of [1, 16, 64]) {
      const served = await serve(file, children);
      const idle = rssMiB(served.child.pid!);
      const tries = await Promise.allSettled(Array.from({ length: count }, (_, i) => nonReader(served.port, `127.0.1.${Math.floor(i / 16) + 1}`)));
      const clients = tries.flatMap((t) => (t.status === 'fulfilled' ? [t.value] : []));
      let peak = 0;
      for (let t = 0; t < 40; t++) {
        await sleep(150);
        peak = Math.max(peak, rssMiB(served.child.pid!));
      }
      console.log(`  ${String(count).padStart(2)} clients: RSS ${idle} MiB idle → ${peak} MiB peak (+${peak - idle} MiB, ${((peak - idle) / count).toFixed(1)} MiB per client)${clients.length < count ? `; only ${clients.length} attached: the server was too busy to greet the rest within 5 s` : ''}`);
      for (const c of clients) c.close();
      await stop(served);
    }

    console.log('client on 127.0.0.3: sequential 1 MiB ×64 at 8 in flight; random 4 KiB ×500 at queue depth 1');
    for (const flood of ['none', '1,024 idle from 127.0.0.2', '16 non-reading from 127.0.0.2'] as const) {
      const served = await serve(file, children);
      const held: RawClient[] = [];
      let refused = 0;
      if (flood === '1,024 idle from 127.0.0.2') {
        for (let b = 0; b < 1024; b += 64) {
          for (const t of await Promise.allSettled(Array.from({ length: 64 }, () => attach(served.port, '127.0.0.2')))) {
            if (t.status === 'fulfilled') held.push(t.value);
            else refused++;
          }
        }
      } else if (flood === '16 non-reading from 127.0.0.2') {
        for (const t of await Promise.allSettled(Array.from({ length: 16 }, () => nonReader(served.port, '127.0.0.2')))) {
          if (t.status === 'fulfilled') held.push(t.value);
          else refused++;
        }
        await sleep(1000);
      }
      const note = flood === 'none' ? '' : ` (${held.length} held, ${refused} refused)`;
      try {
        const c = await attach(served.port, '127.0.0.3');
        const { mibps } = await sequential(c);
        const { p50, p99 } = await random4k(c);
        c.close();
        console.log(`  flood ${flood}${note}: ${mibps.toFixed(0)} MiB/s; 4 KiB p50 ${p50.toFixed(3)} ms, p99 ${p99.toFixed(3)} ms; server RSS ${rssMiB(served.child.pid!)} MiB`);
      } catch (e) {
        console.log(`  flood ${flood}${note}: the client could not attach or read: ${(e as Error).message}`);
      }
      for (const c of held) c.close();
      await stop(served);
    }
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

async function serve(file: string, children: ChildProcess[]): Promise<Served> {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', import.meta.filename, '--serve', file], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { child, port };
}

async function stop(s: Served): Promise<void> {
  const exited = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGTERM');
  await Promise.race([exited, sleep(5000)]);
  if (s.child.exitCode === null) s.child.kill('SIGKILL');
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Math.round(Number(m![1]) / 1024);
}

async function attach(port: number, from: string): Promise<RawClient> {
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

async function nonReader(port: number, from: string): Promise<RawClient> {
  const c = await attach(port, from);
  c.socket.pause();
  c.send(...Array.from({ length: 64 }, (_, i) => request(cmd.READ, BigInt(i), i * MiB, MiB)), ...Array.from({ length: 8 }, (_, i) => request(cmd.READ, BigInt(100 + i), i * 32 * MiB, 32 * MiB)));
  return c;
}

async function sequential(c: RawClient): Promise<{ mibps: number }> {
  const started = performance.now();
  let sent = 0;
  for (; sent < 8; sent++) c.send(request(cmd.READ, BigInt(sent), sent * MiB, MiB));
  for (let got = 0; got < 64; got++) {
    const r = await c.simpleReply(MiB);
    if (r.error !== 0) throw new Error(`READ error ${r.error}`);
    if (sent < 64) {
      c.send(request(cmd.READ, BigInt(sent), sent * MiB, MiB));
      sent++;
    }
  }
  return { mibps: 64 / ((performance.now() - started) / 1000) };
}

async function random4k(c: RawClient): Promise<{ p50: number; p99: number }> {
  const random = seededRandom(7);
  const times: number[] = [];
  for (let i = 0; i < 500; i++) {
    const offset = Math.floor(random() * (SIZE / 4096)) * 4096;
    const t = performance.now();
    c.send(request(cmd.READ, BigInt(i), offset, 4096));
    const r = await c.simpleReply(4096);
    if (r.error !== 0) throw new Error(`READ error ${r.error}`);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(times.length / 2)]!, p99: times[Math.floor(times.length * 0.99)]! };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

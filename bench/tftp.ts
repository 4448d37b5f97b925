/**
 * TFTP throughput: 50 concurrent curl downloads of Debian's ipxe.efi from
 * berth's TftpServer and from tftpd-hpa's in.tftpd (run here in the
 * foreground on a spare loopback port, killed by PID afterwards), at curl's
 * default blksize 512 and at 1468. Each figure is the median of 5 rounds
 * (BERTH_BENCH_ROUNDS), berth and tftpd-hpa alternating.
 * Prints total time, throughput and berth/tftpd-hpa; target ≥ 1.0×.
 *
 *   node bench/tftp.ts            (needs Debian packages ipxe, tftpd-hpa, curl)
 *
 * berth's server runs in a child process (this file with `--serve`), so the
 * driver spawning 50 curls does not share its event loop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TftpServer } from '../src/boot/tftp/tftp-server.ts';
import type { EventSink } from '../src/events/boot-event.ts';
import { nullLogger } from '../src/util/logger.ts';
import { run } from '../src/util/run.ts';

const CLIENTS = 50;
const ROUNDS = Number(process.env['BERTH_BENCH_ROUNDS'] ?? 5);
const SOURCE = '/usr/lib/ipxe/ipxe.efi';

if (process.argv[2] === '--serve') {
  const events: EventSink = { emit: () => {}, countDropped: () => {} };
  const server = new TftpServer({ root: process.argv[3]!, port: Number(process.argv[4]), address: '127.0.0.1', maxTransfersPerAddress: CLIENTS, events, log: nullLogger() });
  await server.start();
  process.stdout.write('listening\n');
  process.on('SIGTERM', () => void server.stop().then(() => process.exit(0)));
} else {
  await main();
}

async function main(): Promise<void> {
  for (const [what, path] of [['ipxe.efi (Debian package ipxe)', SOURCE], ['in.tftpd (Debian package tftpd-hpa)', '/usr/sbin/in.tftpd'], ['curl', '/usr/bin/curl']]) {
    if (!existsSync(path!)) {
      console.error(`missing ${what} at ${path}; as root: apt-get install ipxe tftpd-hpa curl`);
      process.exit(1);
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-tftp-'));
  const children: ChildProcess[] = [];
  try {
    chmodSync(dir, 0o755); // in.tftpd drops to user tftp
    copyFileSync(SOURCE, join(dir, 'ipxe.efi'));
    chmodSync(join(dir, 'ipxe.efi'), 0o644);
    const size = readFileSync(join(dir, 'ipxe.efi')).length;
    console.log(`${CLIENTS} concurrent curl downloads of ipxe.efi (${size.toLocaleString('en')} bytes), median of ${ROUNDS} rounds`);

    const berthPort = await sparePort();
    const berth = spawn(process.execPath, [import.meta.filename, '--serve', dir, String(berthPort)], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(berth);
    await new Promise<void>((resolve, reject) => {
      berth.stdout!.once('data', () => resolve());
      berth.once('exit', (code) => reject(new Error(`berth server exited with ${code}`)));
    });

    const hpaPort = await sparePort();
    // -L foreground, -s chroot to the root (its secure mode), -a listen address.
    const hpa = spawn('/usr/sbin/in.tftpd', ['-L', '-a', `127.0.0.1:${hpaPort}`, '-s', dir], { stdio: 'ignore' });
    children.push(hpa);
    await new Promise((r) => setTimeout(r, 300));
    if (hpa.exitCode !== null) throw new Error(`in.tftpd exited with ${hpa.exitCode}`);

    const want = readFileSync(join(dir, 'ipxe.efi'));
    for (const port of [berthPort, hpaPort]) {
      const check = join(dir, `check-${port}`);
      await run('curl', ['-s', '-o', check, `tftp://127.0.0.1:${port}/ipxe.efi`]);
      if (!readFileSync(check).equals(want)) throw new Error(`download from port ${port} differs from ipxe.efi`);
    }

    for (const blksize of [512, 1468]) {
      // Rounds alternate between the servers so load from elsewhere on the machine hits both alike.
      const berthTimes: number[] = [];
      const hpaTimes: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        berthTimes.push(await round(berthPort, blksize));
        hpaTimes.push(await round(hpaPort, blksize));
      }
      const berthMs = median(berthTimes);
      const hpaMs = median(hpaTimes);
      const mbps = (ms: number) => ((CLIENTS * size) / (ms / 1000) / 1e6).toFixed(1);
      console.log(`blksize ${blksize}:`);
      console.log(`  berth      ${berthMs.toFixed(0).padStart(6)} ms  ${mbps(berthMs).padStart(6)} MB/s`);
      console.log(`  tftpd-hpa  ${hpaMs.toFixed(0).padStart(6)} ms  ${mbps(hpaMs).padStart(6)} MB/s`);
      console.log(`  berth/tftpd-hpa throughput: ${(hpaMs / berthMs).toFixed(2)}×  (target ≥ 1.0×)`);
    }
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Wall time for CLIENTS concurrent downloads. */
async function round(port: number, blksize: number): Promise<number> {
  const args = ['-s', '-o', '/dev/null', ...(blksize !== 512 ? ['--tftp-blksize', String(blksize)] : []), `tftp://127.0.0.1:${port}/ipxe.efi`];
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: CLIENTS }, () => run('curl', args, { timeoutMs: 120_000 })));
  return Number(process.hrtime.bigint() - started) / 1e6;
}

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}

/** A UDP port free on loopback right now. */
async function sparePort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const port = s.address().port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

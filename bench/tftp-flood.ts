/**
 * A PXE client beside a one-address TFTP flood: berth's TftpServer with its
 * default limits on loopback, 127.0.0.2 sending read requests it never
 * acknowledges, 127.0.0.3 downloading a 256 KiB loader over and over
 * (blksize 1468, lockstep, like a PXE ROM) from 6.5 s into the flood until
 * it ends. Prints the client's success rate and download times, and how
 * much of the server the flood got.
 *
 *   node bench/tftp-flood.ts [rate per second, default 170] [seconds, default 12]
 *
 * Bounded: at most rate × seconds requests (each from its own socket, closed
 * at the end), then the server stops. Server and flood share this process;
 * transfers run on the server's worker threads.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TftpServer } from '../src/boot/tftp/tftp-server.ts';
import type { EventSink } from '../src/events/boot-event.ts';
import { nullLogger } from '../src/util/logger.ts';
import { legitimateDuringFlood } from '../test/boot/tftp/flood-harness.ts';

const rate = Number(process.argv[2] ?? 170);
const seconds = Number(process.argv[3] ?? 12);
if (!(rate > 0 && rate <= 2000) || !(seconds >= 7 && seconds <= 60)) {
  console.error('usage: node bench/tftp-flood.ts [rate 1..2000] [seconds 7..60]');
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'berth-bench-tftp-flood-'));
const loader = randomBytes(256 * 1024 + 77);
writeFileSync(join(dir, 'ipxe.efi'), loader);
const dropped = new Map<string, number>();
const events: EventSink = { emit: () => {}, countDropped: (_source, reason) => dropped.set(reason, (dropped.get(reason) ?? 0) + 1) };
const server = new TftpServer({ root: dir, port: 0, address: '127.0.0.1', events, log: nullLogger() });
try {
  await server.start();
  const r = await legitimateDuringFlood({
    port: server.port,
    target: '127.0.0.1',
    from: '127.0.0.2',
    client: '127.0.0.3',
    file: 'ipxe.efi',
    rate,
    durationMs: seconds * 1000,
    warmupMs: 6500,
    activeTransfers: () => server.activeTransfers,
  });
  const ok = r.attempts.filter((a) => a.ok && a.bytes.equals(loader));
  const times = ok.map((a) => a.ms).sort((a, b) => a - b);
  const pct = (p: number) => (times.length ? `${times[Math.min(times.length - 1, Math.floor(p * times.length))]} ms` : '-');
  const failures = new Map<string, number>();
  for (const a of r.attempts) if (!a.ok) failures.set(a.error ?? '?', (failures.get(a.error ?? '?') ?? 0) + 1);
  console.log(`flood from 127.0.0.2: ${rate}/s for ${seconds} s, ${r.flood.requests} requests, ${r.flood.accepted} started a transfer; peak transfers held ${r.peakTransfers}`);
  console.log(`  server refusals: ${[...dropped].map(([reason, n]) => `${reason} ${n}`).join(', ') || 'none'}`);
  console.log(`client 127.0.0.3: ${ok.length}/${r.attempts.length} downloads byte-exact (${((100 * ok.length) / Math.max(1, r.attempts.length)).toFixed(0)}%), median ${pct(0.5)}, max ${pct(1)}`);
  if (failures.size) console.log(`  failures: ${[...failures].map(([m, n]) => `${n}× "${m}"`).join(', ')}`);
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}

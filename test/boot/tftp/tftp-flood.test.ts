/**
 * One address flooding the real TftpServer (default limits, on loopback)
 * with read requests it never acknowledges, while a PXE-like client on
 * another address downloads a loader. ~170 requests a second used to fill
 * every transfer slot (1000 slots, each held 6 s); the flood here sends 300,
 * so that without the limits the client is refused on most tries, not on a
 * few that timer jitter decides. The client must
 * get its file, byte-exact, every time; the flooder must be held to a few
 * transfers and told the server is busy for the rest.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, test } from 'node:test';
import { RecordingSink } from '../../../src/events/boot-event.ts';
import { TftpServer } from '../../../src/boot/tftp/tftp-server.ts';
import { nullLogger } from '../../../src/util/logger.ts';
import { legitimateDuringFlood, SilentRequester } from './flood-harness.ts';

let root = '';
let server: TftpServer;
const events = new RecordingSink();
const loader = randomBytes(256 * 1024 + 77);

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'berth-tftp-flood-'));
  writeFileSync(join(root, 'ipxe.efi'), loader);
  // Listening on 127.0.0.1 serves the whole of 127/8: the flooder is 127.0.0.2, the client 127.0.0.3.
  server = new TftpServer({ root, port: 0, address: '127.0.0.1', events, log: nullLogger() });
  await server.start();
});

after(async () => {
  await server.stop();
  rmSync(root, { recursive: true, force: true });
});

test('a PXE client downloads byte-exact while one address floods 300 unacknowledged requests a second', { timeout: 60_000 }, async () => {
  const r = await legitimateDuringFlood({
    port: server.port,
    target: '127.0.0.1',
    from: '127.0.0.2',
    client: '127.0.0.3',
    file: 'ipxe.efi',
    rate: 300,
    durationMs: 12_000,
    // By now, without limits per address, the flood holds every slot.
    warmupMs: 6_500,
    activeTransfers: () => server.activeTransfers,
  });
  const ok = r.attempts.filter((a) => a.ok);
  const refusals = [...r.flood.refusals.values()].reduce((a, b) => a + b, 0);
  console.log(
    `flood: ${r.flood.requests} requests, ${r.flood.accepted} accepted, ${refusals} refused (${[...r.flood.refusals].map(([m, n]) => `${n}× "${m}"`).join(', ')}); ` +
      `peak transfers held ${r.peakTransfers}; ` +
      `client: ${ok.length}/${r.attempts.length} downloads ok, ms ${r.attempts.map((a) => (a.ok ? a.ms : `${a.ms}(${a.error})`)).join(' ')}`,
  );
  assert.ok(r.attempts.length >= 2, `the client tried ${r.attempts.length} time(s)`);
  for (const attempt of r.attempts) {
    assert.ok(attempt.ok, `download failed during the flood: ${attempt.error}`);
    assert.ok(attempt.bytes.equals(loader), 'download is byte-exact');
  }
  // The flooder holds a few transfers at a time, not the server's thousand, and is told why it is refused.
  assert.ok(r.peakTransfers <= 8, `server held ${r.peakTransfers} transfers at once`);
  assert.ok(r.flood.accepted < r.flood.requests / 10, `${r.flood.accepted} of ${r.flood.requests} flood requests started a transfer`);
  assert.ok(refusals > r.flood.requests / 2, `${refusals} of ${r.flood.requests} flood requests got an ERROR`);
  assert.ok((events.dropped.get('tftp:address-busy') ?? 0) > 0, 'refusals are counted as tftp:address-busy');
});

test('a request that asks for a 255 s timeout and never acknowledges frees its slot after ~3 s', { timeout: 30_000 }, async () => {
  // RFC 2349 lets the client choose the resend interval; before, that also made the slot's hold 255 s × 6.
  const started = performance.now();
  const silent = await SilentRequester.ask(server.port, '127.0.0.1', '127.0.0.4', 'ipxe.efi', [{ name: 'timeout', value: '255' }]);
  try {
    const oack = await silent.next();
    assert.equal(oack?.opcode, 'oack');
    assert.deepEqual(oack?.opcode === 'oack' && oack.options, [{ name: 'timeout', value: '255' }], 'the timeout is still acknowledged');
    const error = await silent.next(10_000);
    const waited = performance.now() - started;
    assert.equal(error?.opcode, 'error', 'the server gives the transfer up and says so');
    assert.match(error?.opcode === 'error' ? error.message : '', /no acknowledgement of the OACK within 3000 ms/);
    assert.ok(waited < 6000, `given up after ${Math.round(waited)} ms`);
    assert.equal(server.activeTransfers, 0);
  } finally {
    silent.close();
  }
});

test('near the limit, addresses already holding transfers cannot take the last slots; a new address still gets one', { timeout: 30_000 }, async () => {
  const small = new TftpServer({ root, port: 0, address: '127.0.0.1', events: new RecordingSink(), log: nullLogger(), maxTransfers: 10, maxTransfersPerAddress: 4 });
  await small.start();
  const held: SilentRequester[] = [];
  /** Asks from `from` and says whether a transfer started (DATA) or the server refused (its message). */
  const ask = async (from: string) => {
    const r = await SilentRequester.ask(small.port, '127.0.0.1', from, 'ipxe.efi');
    held.push(r);
    const reply = await r.next();
    return reply?.opcode === 'data' ? 'started' : reply?.opcode === 'error' ? reply.message : String(reply?.opcode);
  };
  try {
    // Two busy hosts take 8 of the 10 slots, 4 each; the per-address cap stops them there.
    for (const from of ['127.0.0.11', '127.0.0.12']) for (let i = 0; i < 4; i++) assert.equal(await ask(from), 'started');
    assert.equal(await ask('127.0.0.11'), 'too many transfers from this address, try again later');
    // The last tenth (1 slot) is only for addresses with nothing in flight: a third host gets one transfer, not two.
    assert.equal(await ask('127.0.0.13'), 'started', 'slot 9');
    assert.equal(await ask('127.0.0.13'), 'server busy, try again later', 'slot 10 is kept for a new address');
    assert.equal(await ask('127.0.0.14'), 'started', 'slot 10, to a machine that just powered on');
    assert.equal(await ask('127.0.0.15'), 'server busy, try again later', 'full');
    assert.equal(small.activeTransfers, 10);
  } finally {
    for (const r of held) r.close();
    await small.stop();
  }
});

/**
 * The server against real clients on a loopback port: curl (tftp://) and
 * tftp-hpa's `tftp`, byte-exact, plus raw-socket clients for the protocol
 * corners a normal client never hits (wrong TID, lost packets, silence).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { RecordingSink } from '../../../src/events/boot-event.ts';
import { encodeAck, encodeRequest, parsePacket, type TftpPacket } from '../../../src/boot/tftp/packet.ts';
import { TftpServer } from '../../../src/boot/tftp/tftp-server.ts';
import { nullLogger } from '../../../src/util/logger.ts';
import { run } from '../../../src/util/run.ts';

const sizes: Record<string, number> = {
  'size-0': 0,
  'size-511': 511,
  'size-512': 512,
  'size-513': 513,
  'size-1m': 1 << 20,
  // More than 65535 blocks of 512: the block number wraps.
  'size-rollover': 65535 * 512 + 3 * 512 + 77,
};

let dir = '';
let root = '';
let out = '';
let server: TftpServer;
const events = new RecordingSink();
const contents = new Map<string, Buffer>();

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-tftp-server-'));
  root = join(dir, 'root');
  out = join(dir, 'out');
  mkdirSync(root);
  mkdirSync(out);
  for (const [name, size] of Object.entries(sizes)) {
    const data = randomBytes(size);
    contents.set(name, data);
    writeFileSync(join(root, name), data);
  }
  server = new TftpServer({
    root,
    port: 0,
    address: '127.0.0.1',
    events,
    log: nullLogger(),
    resolveNode: (ip) => (ip === '127.0.0.1' ? 'loopback-node' : undefined),
    timeoutMs: 200,
    maxRetries: 3,
    // Every client here is 127.0.0.1, 50 of them at once in one test.
    maxTransfersPerAddress: 64,
  });
  await server.start();
});

after(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

const url = (name: string) => `tftp://127.0.0.1:${server.port}/${name}`;

async function curl(name: string, target: string, ...extra: string[]): Promise<void> {
  await run('curl', ['--silent', '--show-error', '--max-time', '60', ...extra, '-o', target, url(name)], { timeoutMs: 90_000 });
}

async function tftpHpa(name: string, target: string): Promise<string> {
  const r = await run('tftp', ['-m', 'binary', '127.0.0.1', String(server.port), '-c', 'get', name, target], { timeoutMs: 90_000, allowedExitCodes: [0, 1] });
  return r.stdout + r.stderr;
}

function sameBytes(name: string, target: string): void {
  const got = readFileSync(target);
  const want = contents.get(name)!;
  assert.equal(got.length, want.length, `${name}: length`);
  assert.ok(got.equals(want), `${name}: content differs`);
}

for (const name of Object.keys(sizes)) {
  test(`curl downloads ${name} byte-exact at blksize 512 and 1468`, { timeout: 120_000 }, async () => {
    if (name === 'size-0') {
      // curl 7.88 refuses an OACK with tsize 0 (tftpd-hpa gets the same
      // treatment), so fetch the empty file without options.
      // curl also writes no file for zero bytes, hence stdout.
      const r = await run('curl', ['--silent', '--show-error', '--tftp-no-options', url(name)], { timeoutMs: 20_000 });
      assert.equal(r.stdout, '');
      return;
    }
    await curl(name, join(out, `${name}.curl512`));
    sameBytes(name, join(out, `${name}.curl512`));
    await curl(name, join(out, `${name}.curl1468`), '--tftp-blksize', '1468');
    sameBytes(name, join(out, `${name}.curl1468`));
  });

  test(`tftp-hpa downloads ${name} byte-exact`, { timeout: 120_000 }, async () => {
    const said = await tftpHpa(name, join(out, `${name}.hpa`));
    assert.doesNotMatch(said, /Error|Transfer timed out/);
    sameBytes(name, join(out, `${name}.hpa`));
  });
}

test('50 concurrent curl downloads of 1 MiB all arrive intact', { timeout: 120_000 }, async () => {
  // Transfers run on worker threads whose events reach the main thread a moment
  // later: let earlier tests' last events land before counting.
  for (let i = 0; i < 100 && server.activeTransfers > 0; i++) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 200));
  const before = events.events.filter((e) => e.step === 'done').length;
  await Promise.all(Array.from({ length: 50 }, (_, i) => curl('size-1m', join(out, `parallel-${i}`), ...(i % 2 ? ['--tftp-blksize', '1468'] : []))));
  for (let i = 0; i < 50; i++) sameBytes('size-1m', join(out, `parallel-${i}`));
  const done = () => events.events.filter((e) => e.step === 'done').length - before;
  for (let i = 0; i < 100 && done() < 50; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(done(), 50);
  assert.equal(server.activeTransfers, 0);
});

test('events: start and done carry file, sizes, node and ip', async () => {
  events.events.length = 0;
  await curl('size-513', join(out, 'events'), '--tftp-blksize', '1024');
  const start = events.events.find((e) => e.step === 'start');
  const done = events.events.find((e) => e.step === 'done');
  assert.deepEqual({ ...start, time: '' }, { time: '', source: 'tftp', step: 'start', ip: '127.0.0.1', node: 'loopback-node', detail: { file: 'size-513', blksize: 1024, windowsize: 1, tsize: 513 } });
  assert.equal(done?.node, 'loopback-node');
  assert.equal(done?.detail?.['bytes'], 513);
  assert.equal(done?.detail?.['retransmits'], 0);
  assert.equal(typeof done?.detail?.['durationMs'], 'number');
});

test('upload (WRQ) is refused: tftp-hpa prints the server message', async () => {
  const local = join(out, 'upload-me');
  writeFileSync(local, 'data');
  const r = await run('tftp', ['-m', 'binary', '127.0.0.1', String(server.port), '-c', 'put', local, 'uploaded'], { allowedExitCodes: [0, 1], timeoutMs: 20_000 });
  assert.match(r.stdout + r.stderr, /Error code 2: this TFTP server is read-only/);
});

test('a missing file and a path outside the root are answered with clear errors', async () => {
  const missing = await tftpHpa('no-such-file', join(out, 'missing'));
  assert.match(missing, /Error code 1: no-such-file: file not found/);
  const traversal = await tftpHpa('../../etc/passwd', join(out, 'passwd'));
  assert.match(traversal, /Error code 2: '\.\.' is not allowed/);
});

// ---- raw-socket clients ------------------------------------------------------------

class RawClient {
  readonly socket: Socket = createSocket('udp4');
  private readonly inbox: { packet: TftpPacket; port: number }[] = [];
  private waiting: (() => void) | undefined;

  async open(): Promise<this> {
    await new Promise<void>((resolve) => this.socket.bind(0, '127.0.0.1', resolve));
    this.socket.on('message', (msg, rinfo) => {
      this.inbox.push({ packet: parsePacket(msg), port: rinfo.port });
      this.waiting?.();
    });
    return this;
  }

  send(bytes: Uint8Array, port: number): void {
    this.socket.send(bytes, port, '127.0.0.1');
  }

  async next(timeoutMs = 3000): Promise<{ packet: TftpPacket; port: number } | undefined> {
    if (this.inbox.length === 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, timeoutMs);
        this.waiting = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiting = undefined;
    }
    return this.inbox.shift();
  }

  close(): void {
    this.socket.close();
  }
}

test('a packet from a wrong TID gets ERROR 5 and the transfer carries on', async () => {
  const client = await new RawClient().open();
  const intruder = await new RawClient().open();
  try {
    client.send(encodeRequest({ opcode: 'rrq', filename: 'size-1m', mode: 'octet', options: [{ name: 'blksize', value: '65464' }] }), server.port);
    const oack = await client.next();
    assert.equal(oack?.packet.opcode, 'oack');
    const tid = oack!.port;
    assert.notEqual(tid, server.port, 'transfer runs on its own port');
    intruder.send(encodeAck(0), tid);
    const rejected = await intruder.next();
    assert.deepEqual(rejected?.packet, { opcode: 'error', code: 5, message: 'unknown transfer ID' });
    const chunks: Buffer[] = [];
    client.send(encodeAck(0), tid);
    for (;;) {
      const m = await client.next();
      assert.equal(m?.packet.opcode, 'data');
      if (m?.packet.opcode !== 'data') return;
      chunks.push(Buffer.from(m.packet.data));
      client.send(encodeAck(m.packet.block), tid);
      if (m.packet.data.length < 65464) break;
    }
    assert.ok(Buffer.concat(chunks).equals(contents.get('size-1m')!));
  } finally {
    client.close();
    intruder.close();
  }
});

test('a lost ACK is recovered by retransmission, and counted', async () => {
  events.events.length = 0;
  const client = await new RawClient().open();
  try {
    client.send(encodeRequest({ opcode: 'rrq', filename: 'size-513', mode: 'octet' }), server.port);
    const first = await client.next();
    assert.equal(first?.packet.opcode, 'data');
    // Do not ACK: the server must send block 1 again after its 200 ms timeout.
    const again = await client.next(1000);
    assert.deepEqual(again?.packet.opcode === 'data' && again.packet.block, 1);
    client.send(encodeAck(1), first!.port);
    client.send(encodeAck(1), first!.port); // duplicate: must not cause a resend
    const second = await client.next();
    assert.deepEqual(second?.packet.opcode === 'data' && [second.packet.block, second.packet.data.length], [2, 1]);
    assert.equal(await client.next(100), undefined, 'no second copy of block 2 for the duplicate ACK');
    client.send(encodeAck(2), first!.port);
    await new Promise((r) => setTimeout(r, 50));
    const done = events.events.find((e) => e.step === 'done');
    assert.equal(done?.detail?.['retransmits'], 1);
  } finally {
    client.close();
  }
});

test('a client that goes silent is given up after the retry limit, with an error event', async () => {
  events.events.length = 0;
  const client = await new RawClient().open();
  try {
    client.send(encodeRequest({ opcode: 'rrq', filename: 'size-1m', mode: 'octet' }), server.port);
    const seen: number[] = [];
    for (;;) {
      const m = await client.next(2000);
      if (!m) break;
      if (m.packet.opcode === 'data') seen.push(m.packet.block);
      if (m.packet.opcode === 'error') {
        assert.match(m.packet.message, /no acknowledgement of block 1 after 3 retransmission/);
        break;
      }
    }
    assert.deepEqual(seen, [1, 1, 1, 1]);
    const error = events.events.find((e) => e.step === 'error');
    assert.equal(error?.detail?.['file'], 'size-1m');
    assert.match(String(error?.detail?.['reason']), /no acknowledgement/);
    assert.equal(server.activeTransfers, 0);
  } finally {
    client.close();
  }
});

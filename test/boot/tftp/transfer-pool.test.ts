/**
 * The worker pool on its own, with real worker threads and raw UDP clients:
 * what happens to transfers when a worker dies, and when the pool stops.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { RecordingSink } from '../../../src/events/boot-event.ts';
import { encodeAck, parsePacket, type TftpPacket } from '../../../src/boot/tftp/packet.ts';
import { RootedFiles } from '../../../src/boot/tftp/root-files.ts';
import { TransferPool, type TransferJob } from '../../../src/boot/tftp/transfer-pool.ts';
import { nullLogger } from '../../../src/util/logger.ts';

let root = '';
let files: RootedFiles;
before(async () => {
  root = mkdtempSync(join(tmpdir(), 'berth-tftp-pool-'));
  writeFileSync(join(root, 'small'), 'hello, pool');
  writeFileSync(join(root, 'big'), Buffer.alloc(100_000, 7));
  files = await RootedFiles.at(root);
});
after(() => rmSync(root, { recursive: true, force: true }));

class Client {
  readonly socket: Socket = createSocket('udp4');
  readonly inbox: { packet: TftpPacket; port: number }[] = [];

  async open(): Promise<this> {
    await new Promise<void>((resolve) => this.socket.bind(0, '127.0.0.1', resolve));
    this.socket.on('message', (msg, rinfo) => this.inbox.push({ packet: parsePacket(msg), port: rinfo.port }));
    return this;
  }

  get address() {
    return { address: '127.0.0.1', port: this.socket.address().port };
  }
}

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A job for `name` to `client`, recording when it finishes and when its file is closed. */
async function job(name: string, client: Client, timeoutMs = 60_000): Promise<TransferJob & { finished: boolean; closed: boolean }> {
  const r = await files.open(name);
  assert.ok(r.ok);
  const j = {
    client: client.address,
    file: name,
    opened: { ...r.file, close: () => ((j.closed = true), r.file.close()) },
    negotiated: { blksize: 512, windowsize: 1, acknowledged: [] },
    timeoutMs,
    maxRetries: 5,
    firstAckTimeoutMs: timeoutMs * 3,
    readAheadBytes: 65536,
    onFinished: () => (j.finished = true),
    finished: false,
    closed: false,
  };
  return j;
}

test('a worker that dies fails only its transfers, closes their files, and is replaced', async () => {
  const events = new RecordingSink();
  const pool = new TransferPool({ size: 1, address: '127.0.0.1', socketType: 'udp4', events, log: nullLogger() });
  await pool.start();
  const silent = await new Client().open();
  const later = await new Client().open();
  try {
    const stuck = await job('big', silent);
    assert.equal(pool.run(stuck), true);
    await until('block 1 to the silent client', () => silent.inbox.length > 0);
    const [dead] = pool.workers;
    await dead!.terminate();

    await until('the error event', () => events.events.some((e) => e.step === 'error'));
    const error = events.events.find((e) => e.step === 'error')!;
    assert.equal(error.detail?.['file'], 'big');
    assert.match(String(error.detail?.['reason']), /transfer worker stopped unexpectedly/);
    assert.equal(stuck.finished, true);
    assert.equal(stuck.closed, true);
    assert.equal(pool.size, 0);

    // A replacement takes new transfers.
    await until('a replacement worker', () => pool.workers.length === 1 && pool.workers[0] !== dead);
    const next = await job('small', later);
    assert.equal(pool.run(next), true);
    await until('block 1 to the next client', () => later.inbox.length > 0);
    const data = later.inbox[0]!;
    assert.deepEqual(data.packet.opcode === 'data' && Buffer.from(data.packet.data).toString(), 'hello, pool');
    later.socket.send(encodeAck(1), data.port, '127.0.0.1');
    await until('the done event', () => events.events.some((e) => e.step === 'done'));
    assert.equal(next.finished, true);
    await until('the file closed', () => next.closed);
  } finally {
    await pool.stop();
    silent.socket.close();
    later.socket.close();
  }
});

test('stop() ends running transfers, telling their clients, closes their files and stops the workers', async () => {
  const events = new RecordingSink();
  const pool = new TransferPool({ size: 2, address: '127.0.0.1', socketType: 'udp4', events, log: nullLogger() });
  await pool.start();
  assert.equal(pool.workers.length, 2);
  const client = await new Client().open();
  try {
    const running = await job('big', client);
    pool.run(running);
    await until('block 1', () => client.inbox.length > 0);
    await pool.stop();
    assert.equal(running.finished, true);
    assert.equal(running.closed, true);
    assert.equal(pool.workers.length, 0);
    await until('the ERROR packet', () => client.inbox.some((m) => m.packet.opcode === 'error'));
    assert.deepEqual(client.inbox.find((m) => m.packet.opcode === 'error')?.packet, { opcode: 'error', code: 0, message: 'server stopping' });
    const spare = await job('small', client);
    assert.equal(pool.run(spare), false, 'a stopped pool takes no transfers');
    await spare.opened.close();
  } finally {
    client.socket.close();
  }
});

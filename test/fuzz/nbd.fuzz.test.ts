/**
 * Hostile clients for the NBD server. Seeded random bytes and mutated valid
 * sessions (handshake, options, requests, split into random TCP chunks) go
 * through the pure handshake and request parser: no exception may escape,
 * every step must be well-formed (replies that parse, reads inside the
 * export, known refusal reasons), and the generator must reach the
 * interesting paths. A shorter run then sends such sessions to a real
 * NbdServer over loopback: every connection must end, and the server must
 * still serve a well-behaved client afterwards.
 *
 * BERTH_FUZZ_ROUNDS / BERTH_FUZZ_SEED change the run.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FrameReader } from '../../src/boot/nbd/frame-reader.ts';
import { Handshake, type ExportDescription, type HandshakeStep } from '../../src/boot/nbd/handshake.ts';
import { refusalReasons, type RefusalReason } from '../../src/boot/nbd/nbd-constants.ts';
import { NbdServer } from '../../src/boot/nbd/nbd-server.ts';
import { RequestParser, type TransmissionStep } from '../../src/boot/nbd/transmission.ts';
import { nullLogger } from '../../src/util/logger.ts';
import { clientFlags, cmd, goData, opt, option, parseOptionReplies, RawClient, request } from '../boot/nbd/client-wire.ts';
import { seededRandom } from '../helpers/seeded-random.ts';

const SEED = Number(process.env['BERTH_FUZZ_SEED'] ?? 20261121);
const ROUNDS = Number(process.env['BERTH_FUZZ_ROUNDS'] ?? 50_000);
const MiB = 1024 * 1024;

const exports = new Map<string, ExportDescription>([
  ['debian-12@3', { name: 'debian-12@3', size: 221 * MiB, description: 'Debian 12' }],
  ['', { name: 'debian-12@3', size: 221 * MiB }],
  ['tiny', { name: 'tiny', size: 1 }],
  ['empty', { name: 'empty', size: 0 }],
  ['huge', { name: 'huge', size: Number.MAX_SAFE_INTEGER }],
]);
const names = [...exports.keys(), 'nope', 'unavailable', 'x'.repeat(300), 'debian-12@3\u00e9', '../../etc/passwd'];
const interesting32 = [0, 1, 2, 511, 512, 4095, 4096, 4097, 65536, 32 * MiB - 1, 32 * MiB, 32 * MiB + 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
const interesting64 = [0n, 1n, 4095n, 4096n, BigInt(221 * MiB) - 4096n, BigInt(221 * MiB), 2n ** 53n - 1n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n];

type Random = () => number;
const pick = <T>(random: Random, xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
const int = (random: Random, n: number) => Math.floor(random() * n);

function randomBytes(random: Random, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = int(random, 256);
  return b;
}

/** A plausible session: flags, a few options, usually a GO, then requests. */
function validSession(random: Random): Buffer {
  const parts: Buffer[] = [clientFlags(random() < 0.9 ? pick(random, [1, 3]) : pick(random, [0, 2, 5, 0xffffffff]))];
  const optionCount = int(random, 5);
  for (let i = 0; i < optionCount; i++) {
    const r = random();
    if (r < 0.25) parts.push(option(pick(random, [opt.GO, opt.INFO]), goData(pick(random, names), Array.from({ length: int(random, 4) }, () => int(random, 5)))));
    else if (r < 0.35) parts.push(option(opt.LIST, random() < 0.8 ? Buffer.alloc(0) : Buffer.from('x')));
    else if (r < 0.55) parts.push(option(pick(random, [opt.STRUCTURED_REPLY, opt.STARTTLS, opt.SET_META_CONTEXT, opt.LIST_META_CONTEXT, opt.EXTENDED_HEADERS, 4, 99]), randomBytes(random, int(random, 20))));
    else if (r < 0.6) parts.push(option(opt.ABORT));
    else if (r < 0.7) parts.push(option(pick(random, [opt.GO, opt.INFO, opt.EXPORT_NAME]), randomBytes(random, 4097 + int(random, 3000))));
    else parts.push(option(pick(random, [opt.GO, opt.INFO]), randomBytes(random, int(random, 40))));
  }
  parts.push(random() < 0.8 ? option(opt.GO, goData(random() < 0.8 ? pick(random, ['debian-12@3', '', 'tiny', 'huge', 'empty']) : pick(random, names))) : option(opt.EXPORT_NAME, Buffer.from(pick(random, names))));
  const requestCount = int(random, 12);
  for (let i = 0; i < requestCount; i++) {
    const type = random() < 0.6 ? cmd.READ : pick(random, [cmd.WRITE, cmd.DISC, cmd.FLUSH, cmd.TRIM, cmd.CACHE, cmd.WRITE_ZEROES, cmd.BLOCK_STATUS, 8, 0xffff]);
    const length = random() < 0.5 ? pick(random, interesting32) : int(random, 70_000);
    const offset = random() < 0.5 ? pick(random, interesting64) : BigInt(int(random, 230 * MiB));
    const flags = random() < 0.85 ? 0 : int(random, 0x10000);
    parts.push(request(type, BigInt(i), offset, type === cmd.WRITE && length > 100_000 && random() < 0.7 ? int(random, 5000) : length, flags));
    if (type === cmd.WRITE) {
      const declared = parts.at(-1)!.readUInt32BE(24);
      parts.push(Buffer.alloc(Math.min(declared, 100_000), 0x77));
    }
  }
  return Buffer.concat(parts);
}

function mutate(input: Buffer, random: Random): Buffer {
  let b = Buffer.from(input);
  const edits = 1 + int(random, 4);
  for (let e = 0; e < edits; e++) {
    const at = int(random, b.length + 1);
    const kind = random();
    if (kind < 0.3 && b.length > 0) b[Math.min(at, b.length - 1)] = int(random, 256);
    else if (kind < 0.45) b = Buffer.concat([b.subarray(0, at), randomBytes(random, 1 + int(random, 16)), b.subarray(at)]);
    else if (kind < 0.6) b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + int(random, 16)))]);
    else if (kind < 0.7) b = b.subarray(0, at);
    else if (kind < 0.85 && b.length >= 4) {
      const p = Math.min(at, b.length - 4);
      b.writeUInt32BE(pick(random, interesting32), p);
    } else if (b.length > 0) {
      const from = int(random, b.length);
      b = Buffer.concat([b.subarray(0, at), b.subarray(from, from + 1 + int(random, 40)), b.subarray(at)]);
    }
  }
  return b;
}

function fuzzSession(random: Random): Buffer {
  const r = random();
  if (r < 0.1) return randomBytes(random, int(random, 300));
  if (r < 0.15) return Buffer.concat([clientFlags(pick(random, [1, 3])), randomBytes(random, int(random, 300))]);
  const session = validSession(random);
  return random() < 0.3 ? session : mutate(session, random);
}

function split(bytes: Buffer, random: Random): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at < bytes.length) {
    const n = random() < 0.3 ? 1 + int(random, 8) : 1 + int(random, 2000);
    out.push(bytes.subarray(at, at + n));
    at += n;
  }
  return out;
}

interface Tally {
  refused: Map<string, number>;
  reads: number;
  transmissions: number;
  closes: number;
  escaped: string[];
}

const knownReasons = new Set<string>(refusalReasons);

/** Runs one session through the pure machines, checking every step. Throws on a malformed step. */
function drive(chunks: Buffer[], random: Random, tally: Tally): void {
  const reader = new FrameReader();
  const handshake = new Handshake(reader, { canList: random() < 0.8, maxOptions: 64 });
  let parser: RequestParser | undefined;
  let size = 0;
  let ended = false;
  let steps = 0;
  const total = chunks.reduce((a, c) => a + c.length, 0);

  const refused = (reason: RefusalReason | undefined) => {
    if (reason === undefined) return;
    assert.ok(knownReasons.has(reason), `unknown refusal ${reason}`);
    tally.refused.set(reason, (tally.refused.get(reason) ?? 0) + 1);
  };
  const onHandshake = (step: HandshakeStep): void => {
    switch (step.kind) {
      case 'reply': {
        const r = parseOptionReplies(step.bytes);
        assert.ok(r.length >= 1);
        for (const x of r) assert.ok(x.data.length <= 4096 + 4, 'reply data within the string limit');
        refused(step.refused);
        return;
      }
      case 'lookup': {
        assert.equal(typeof step.name, 'string');
        if (step.name === 'unavailable') return onHandshake(handshake.exportMissing('export-unavailable', 'cannot open'));
        const found = exports.get(step.name);
        return onHandshake(found ? handshake.exportFound(found) : handshake.exportMissing('unknown-export', `no export "${step.name}"`));
      }
      case 'list':
        return onHandshake(random() < 0.9 ? handshake.exportsListed([...exports.values()]) : handshake.listFailed('down'));
      case 'close':
        if (step.bytes) assert.ok(parseOptionReplies(step.bytes).length === 1);
        refused(step.refused);
        tally.closes++;
        ended = true;
        return;
      case 'transmission':
        if (step.via === 'go') assert.equal(parseOptionReplies(step.bytes).at(-1)!.type, 1);
        else assert.ok(step.bytes.length === 10 || step.bytes.length === 134);
        size = step.export.size;
        parser = new RequestParser(reader, size);
        tally.transmissions++;
        return;
    }
  };
  const onRequest = (step: TransmissionStep): void => {
    switch (step.kind) {
      case 'read':
        assert.equal(step.handle.length, 8);
        assert.ok(step.length >= 1 && step.length <= 32 * MiB, `read length ${step.length}`);
        assert.ok(Number.isSafeInteger(step.offset) && step.offset >= 0 && step.offset + step.length <= size, `read ${step.offset}+${step.length} of ${size}`);
        tally.reads++;
        return;
      case 'reply':
        assert.equal(step.handle.length, 8);
        assert.ok([0, 1, 22].includes(step.error), `error ${step.error}`);
        assert.ok(step.error === 0 || step.refused !== undefined, 'every error reply is a counted refusal');
        refused(step.refused);
        return;
      case 'disconnect':
        ended = true;
        return;
      case 'close':
        refused(step.refused);
        ended = true;
        return;
    }
  };

  for (const chunk of chunks) {
    if (ended) break;
    reader.push(chunk);
    for (;;) {
      if (ended) break;
      if (++steps > total + 10) assert.fail('more steps than bytes: the machine is not consuming input');
      if (!parser) {
        const step = handshake.next();
        if (!step) break;
        onHandshake(step);
      } else {
        const step = parser.next();
        if (!step) break;
        onRequest(step);
      }
    }
  }
}

test(`${ROUNDS} hostile sessions through the handshake and the request parser`, () => {
  const random = seededRandom(SEED);
  const tally: Tally = { refused: new Map(), reads: 0, transmissions: 0, closes: 0, escaped: [] };
  for (let i = 0; i < ROUNDS; i++) {
    const session = fuzzSession(random);
    const chunks = split(session, random);
    try {
      drive(chunks, random, tally);
    } catch (e) {
      tally.escaped.push(`case ${i} (${session.subarray(0, 64).toString('hex')}...): ${(e as Error).stack}`);
      if (tally.escaped.length >= 5) break;
    }
  }
  assert.deepEqual(tally.escaped, []);
  // The generator reaches the interesting paths, not just the first check.
  const wanted: RefusalReason[] = [
    'not-fixed-newstyle', 'unknown-client-flags', 'bad-option-magic', 'option-too-large', 'invalid-option', 'unsupported-option',
    'list-disabled', 'list-failed', 'unknown-export', 'export-unavailable', 'bad-request-magic', 'write-too-large', 'read-only',
    'bad-length', 'out-of-range', 'bad-command-flags', 'unknown-command',
  ];
  for (const reason of wanted) assert.ok((tally.refused.get(reason) ?? 0) > 0, `never refused for ${reason}: ${JSON.stringify([...tally.refused])}`);
  assert.ok(tally.transmissions > ROUNDS / 10, `only ${tally.transmissions} sessions reached transmission`);
  assert.ok(tally.reads > ROUNDS / 10, `only ${tally.reads} reads`);
});

test('hostile sessions against a real server on loopback: every connection ends, the server keeps serving', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-nbd-fuzz-'));
  const content = Buffer.alloc(64 * 1024);
  for (let i = 0; i < content.length; i++) content[i] = (i * 31 + 7) & 0xff;
  writeFileSync(join(dir, 'image'), content);
  const server = new NbdServer({
    host: '127.0.0.1',
    port: 0,
    // Every name resolves, with small sizes, so hostile reads hit the file's real bounds.
    exportFor: (name) => (name === 'nope' ? undefined : { name, path: join(dir, 'image'), size: name === 'tiny' ? 1 : content.length }),
    listExports: () => [{ name: 'image', path: join(dir, 'image'), size: content.length }],
    log: nullLogger(),
    handshakeTimeoutMs: 3000,
  });
  await server.start();
  try {
    const random = seededRandom(SEED + 1);
    const sessions = Math.max(50, Math.min(400, Math.floor(ROUNDS / 125)));
    const one = async () => {
      const chunks = split(fuzzSession(random), random);
      const s = new Socket();
      const closed = new Promise<void>((resolve) => s.on('close', () => resolve()));
      s.on('error', () => {});
      s.on('data', () => {});
      s.connect(server.port, '127.0.0.1');
      for (const c of chunks) {
        if (s.destroyed) break;
        s.write(c);
        if (random() < 0.2) await new Promise((r) => setImmediate(r));
      }
      s.end();
      const timeout = new Promise<string>((resolve) => setTimeout(() => resolve('timeout'), 8000).unref());
      assert.notEqual(await Promise.race([closed, timeout]), 'timeout', 'the server did not close a hostile connection');
    };
    for (let i = 0; i < sessions; i += 20) await Promise.all(Array.from({ length: Math.min(20, sessions - i) }, one));

    const good = await RawClient.connect(server.port);
    await good.handshake();
    assert.equal(await good.go('image'), content.length);
    good.send(request(cmd.READ, 1n, 1000, 3000));
    assert.deepEqual((await good.simpleReply(3000)).data, content.subarray(1000, 4000));
    good.close();
    for (let i = 0; i < 100 && server.stats().connections > 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(server.stats().connections, 0, 'every connection was released');
    assert.ok(server.stats().connectionsTotal >= sessions);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

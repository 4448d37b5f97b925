import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReadTransfer, wireBlock, type ReadTransferSettings, type SendRange } from '../../../src/boot/tftp/transfer.ts';
import { seededRandom } from '../../helpers/seeded-random.ts';

function make(settings: Partial<ReadTransferSettings> & { size: number }, clock = { now: 0 }) {
  const t = new ReadTransfer({ blksize: 512, windowsize: 1, timeoutMs: 1000, maxRetries: 3, sendOack: false, ...settings }, () => clock.now);
  return { t, clock };
}

const blocks = (r: SendRange | undefined) => (r ? Array.from({ length: r.last - r.first + 1 }, (_, i) => r.first + i) : []);

test('lockstep transfer: one block per ACK, final short block ends it', () => {
  const { t } = make({ size: 1300 });
  assert.equal(t.totalBlocks, 3);
  assert.deepEqual(blocks(t.start()), [1]);
  assert.deepEqual(blocks(t.onAck(1)), [2]);
  assert.deepEqual(blocks(t.onAck(2)), [3]);
  assert.equal(t.blockLength(3), 1300 - 1024);
  assert.equal(t.onAck(3), undefined);
  assert.equal(t.state, 'done');
  assert.equal(t.deadline, Infinity);
});

test('a size that is a multiple of blksize ends with a zero-length block; an empty file is one empty block', () => {
  const { t } = make({ size: 1024 });
  assert.equal(t.totalBlocks, 3);
  assert.equal(t.blockLength(2), 512);
  assert.equal(t.blockLength(3), 0);
  const empty = make({ size: 0 }).t;
  assert.equal(empty.totalBlocks, 1);
  assert.equal(empty.blockLength(1), 0);
  assert.deepEqual(blocks(empty.start()), [1]);
  empty.onAck(1);
  assert.equal(empty.state, 'done');
});

test('with an OACK, data starts only after ACK 0', () => {
  const { t } = make({ size: 10, sendOack: true });
  assert.deepEqual(t.start(), { first: 0, last: 0 });
  assert.equal(t.onAck(1), undefined, 'ACK 1 before DATA 1 was sent is out of window');
  assert.equal(t.ignoredAcks, 1);
  assert.deepEqual(blocks(t.onAck(0)), [1]);
  t.onAck(1);
  assert.equal(t.state, 'done');
});

test('windows (RFC 7440): a full-window ACK slides the window, a partial ACK restarts after the acknowledged block', () => {
  const { t } = make({ size: 512 * 10 + 1, windowsize: 4 });
  assert.equal(t.totalBlocks, 11);
  assert.deepEqual(blocks(t.start()), [1, 2, 3, 4]);
  assert.deepEqual(blocks(t.onAck(4)), [5, 6, 7, 8]);
  assert.deepEqual(blocks(t.onAck(6)), [7, 8, 9, 10], 'client lost 7: resend from 7');
  assert.equal(t.retransmits, 2, '7 and 8 went out twice');
  assert.deepEqual(blocks(t.onAck(10)), [11], 'last window is cut at the final block');
  t.onAck(11);
  assert.equal(t.state, 'done');
});

test("duplicate ACKs never cause a resend (sorcerer's apprentice, RFC 1123 §4.2.3.1); stale and future ACKs are ignored", () => {
  const { t } = make({ size: 5000, windowsize: 2 });
  t.start();
  t.onAck(2);
  assert.equal(t.onAck(2), undefined);
  assert.equal(t.onAck(2), undefined);
  assert.equal(t.duplicateAcks, 2);
  assert.equal(t.onAck(1), undefined, 'older than the window');
  assert.equal(t.onAck(9), undefined, 'beyond what was sent');
  assert.equal(t.ignoredAcks, 2);
  assert.equal(t.retransmits, 0);
  assert.deepEqual(blocks(t.onAck(4)), [5, 6]);
});

test('timeout resends the outstanding window; the retry limit ends the transfer', () => {
  const { t, clock } = make({ size: 5000, windowsize: 3, maxRetries: 2, timeoutMs: 500 });
  t.start();
  assert.equal(t.deadline, 500);
  clock.now = 499;
  assert.equal(t.onTimeout(), undefined, 'not yet');
  clock.now = 500;
  assert.deepEqual(blocks(t.onTimeout()), [1, 2, 3]);
  assert.equal(t.retransmits, 3);
  clock.now = 900;
  assert.deepEqual(blocks(t.onAck(1)), [2, 3, 4], 'progress resets the retry count');
  clock.now = 1400;
  assert.deepEqual(blocks(t.onTimeout()), [2, 3, 4]);
  clock.now = 1900;
  assert.deepEqual(blocks(t.onTimeout()), [2, 3, 4]);
  clock.now = 2400;
  assert.equal(t.onTimeout(), undefined);
  assert.equal(t.state, 'failed');
  assert.match(t.failure, /no acknowledgement of block 2 after 2 retransmission/);
  assert.equal(t.retransmits, 11, '3 + 2 (blocks 2 and 3 in the next window) + 3 + 3');
  assert.equal(t.onAck(4), undefined, 'a failed transfer stays failed');
});

test('block numbers roll over past 65535 to 0, as tftp-hpa does (file > 65535 × 512 bytes)', () => {
  const size = 65535 * 512 + 512 * 3 + 100; // 65539 blocks
  const { t } = make({ size, windowsize: 1 });
  assert.equal(t.totalBlocks, 65539);
  let range: SendRange | undefined = t.start();
  const wires: number[] = [];
  let sent = 0;
  while (range) {
    for (const b of blocks(range)) {
      sent++;
      wires.push(wireBlock(b));
    }
    range = t.onAck(wireBlock(range.last));
  }
  assert.equal(t.state, 'done');
  assert.equal(sent, 65539);
  assert.deepEqual(wires.slice(65533), [65534, 65535, 0, 1, 2, 3]);
  assert.equal(t.bytesAcknowledged, size);
});

test('rollover with windows: an ACK of wire block 0 after the wrap is progress, not a duplicate', () => {
  const size = 70000 * 512;
  const { t } = make({ size, windowsize: 16 });
  let range: SendRange | undefined = t.start();
  while (range && range.last < 65530) range = t.onAck(wireBlock(range.last));
  assert.ok(range);
  assert.deepEqual([range.first, range.last], [65521, 65536]);
  assert.deepEqual(blocks(t.onAck(0)), Array.from({ length: 16 }, (_, i) => 65537 + i));
  assert.equal(t.duplicateAcks, 0);
});

/**
 * A lossy, reordering network between the state machine and an RFC 7440
 * receiver, run on a simulated clock with a seeded PRNG.
 */
function simulate(seed: number, opts: { size: number; blksize: number; windowsize: number; loss: number; oack: boolean }) {
  const random = seededRandom(seed);
  const clock = { now: 0 };
  const t = new ReadTransfer({ size: opts.size, blksize: opts.blksize, windowsize: opts.windowsize, timeoutMs: 100, maxRetries: 1000, sendOack: opts.oack }, () => clock.now);
  type Msg = { at: number; to: 'client' | 'server'; block: number; length: number };
  const wire: Msg[] = [];
  const deliver = (m: Omit<Msg, 'at'>) => {
    if (random() < opts.loss) return;
    wire.push({ ...m, at: clock.now + 1 + Math.floor(random() * 5) }); // jitter reorders
  };
  let dataSent = 0;
  const sendRange = (r: SendRange | undefined) => {
    for (const b of blocks(r)) {
      dataSent++;
      deliver({ to: 'client', block: wireBlock(b), length: b === 0 ? -1 : t.blockLength(b) });
    }
  };
  // Receiver: knows only wire numbers, like a real client.
  let expected = opts.oack ? 0 : 1;
  let lastGood = opts.oack ? -1 : 0;
  let sinceAck = 0;
  let received = 0;
  let finished = false;
  let clientDeadline = 250;
  const ack = (wireNo: number) => {
    deliver({ to: 'server', block: wireNo, length: 0 });
    clientDeadline = clock.now + 250;
  };
  sendRange(t.start());
  for (let steps = 0; steps < 5_000_000 && t.state === 'running'; steps++) {
    wire.sort((a, b) => a.at - b.at);
    const nextAt = Math.min(wire[0]?.at ?? Infinity, t.deadline, finished ? Infinity : clientDeadline);
    clock.now = nextAt;
    if (wire[0] && wire[0].at === nextAt) {
      const m = wire.shift()!;
      if (m.to === 'server') sendRange(t.onAck(m.block));
      else if (m.length === -1) {
        if (expected === 0) {
          expected = 1;
          lastGood = 0;
          ack(0);
        }
      } else if (m.block === (expected & 0xffff) && !finished) {
        received += m.length;
        lastGood = expected;
        expected++;
        sinceAck++;
        if (m.length < opts.blksize) {
          finished = true;
          ack(lastGood & 0xffff);
        } else if (sinceAck >= opts.windowsize) {
          sinceAck = 0;
          ack(lastGood & 0xffff);
        }
      } else if (lastGood >= 0) {
        // A gap, or a duplicate (even of the final block): tell the sender where we are.
        // RFC 1350 receivers do this, which is what tempts a sender into the apprentice bug.
        sinceAck = 0;
        ack(lastGood & 0xffff);
      }
    } else if (t.deadline === nextAt) {
      sendRange(t.onTimeout());
    } else {
      if (lastGood >= 0) ack(lastGood & 0xffff);
      else clientDeadline = clock.now + 250;
    }
  }
  return { t, received, dataSent };
}

test('lossy network (seeded): every byte arrives in order, retransmits are counted and bounded', () => {
  for (const [i, c] of [
    { size: 200_000, blksize: 512, windowsize: 1, loss: 0.05, oack: false },
    { size: 200_000, blksize: 512, windowsize: 1, loss: 0.2, oack: true },
    { size: 300_000, blksize: 1468, windowsize: 8, loss: 0.1, oack: true },
    { size: 512 * 400, blksize: 512, windowsize: 16, loss: 0.02, oack: true },
  ].entries()) {
    const { t, received, dataSent } = simulate(1000 + i, c);
    assert.equal(t.state, 'done', `case ${i}: ${t.failure}`);
    assert.equal(received, c.size, `case ${i}`);
    assert.ok(t.retransmits > 0, `case ${i}: loss should cause retransmits`);
    const needed = t.totalBlocks + (c.oack ? 1 : 0);
    assert.equal(dataSent, needed + t.retransmits, `case ${i}`);
  }
});

test("with windowsize 1 and duplicate ACKs in flight, packets sent stay near the block count (no sorcerer's apprentice)", () => {
  const c = { size: 400_000, blksize: 512, windowsize: 1, loss: 0.1, oack: false };
  const { t, dataSent } = simulate(77, c);
  assert.equal(t.state, 'done');
  // Each loss costs about one resend; the apprentice bug would roughly double everything after the first duplicate.
  assert.ok(dataSent < t.totalBlocks * 1.5, `${dataSent} packets for ${t.totalBlocks} blocks`);
});

test('a first reply never acknowledged is given up after firstAckTimeoutMs, resent at the normal interval meanwhile', () => {
  const { t, clock } = make({ size: 5000, sendOack: true, timeoutMs: 1000, maxRetries: 5, firstAckTimeoutMs: 3000 });
  assert.deepEqual(t.start(), { first: 0, last: 0 });
  const resends: number[] = [];
  while (t.state === 'running') {
    clock.now = t.deadline;
    if (t.onTimeout()) resends.push(clock.now);
  }
  assert.deepEqual(resends, [1000, 2000]);
  assert.equal(clock.now, 3000);
  assert.match(t.failure, /no acknowledgement of the OACK within 3000 ms \(2 retransmission/);
});

test('a long negotiated timeout is kept as the interval but does not stretch the wait for the first ACK', () => {
  // RFC 2349 timeout=255: before, the slot was held 255 s × 6 before giving up.
  const { t, clock } = make({ size: 5000, timeoutMs: 255_000, maxRetries: 5, firstAckTimeoutMs: 3000 });
  t.start();
  assert.equal(t.deadline, 3000);
  clock.now = 3000;
  assert.equal(t.onTimeout(), undefined, 'no resend sooner than the client asked');
  assert.equal(t.state, 'failed');
  assert.match(t.failure, /no acknowledgement of block 1 within 3000 ms/);
});

test('once the client has acknowledged, the normal retry schedule applies', () => {
  const { t, clock } = make({ size: 5000, timeoutMs: 1000, maxRetries: 5, firstAckTimeoutMs: 3000 });
  t.start();
  clock.now = 500;
  t.onAck(1);
  let resends = 0;
  while (t.state === 'running') {
    clock.now = t.deadline;
    if (t.onTimeout()) resends++;
  }
  assert.equal(resends, 5);
  assert.equal(clock.now, 500 + 6000);
  assert.match(t.failure, /no acknowledgement of block 2 after 5 retransmission/);
});

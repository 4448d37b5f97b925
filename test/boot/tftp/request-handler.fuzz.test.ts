/**
 * Hostile input on the request port: no exception escapes the parser or the
 * handler, nothing outside the root is ever opened, every refusal is counted.
 * BERTH_FUZZ_ROUNDS / BERTH_FUZZ_SEED change the run; bench/tftp-fuzz.ts does a million.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runTftpFuzz } from './fuzz-harness.ts';

const SEED = Number(process.env['BERTH_FUZZ_SEED'] ?? 20261121);
const ROUNDS = Number(process.env['BERTH_FUZZ_ROUNDS'] ?? 50_000);

test(`${ROUNDS} generated packets through the parser and the request handler`, async () => {
  const r = await runTftpFuzz(ROUNDS, SEED);
  assert.deepEqual(r.escaped.slice(0, 5), []);
  assert.deepEqual(r.openedOutside, []);
  assert.equal(r.packets, ROUNDS);
  assert.equal(r.accepted + r.droppedOutcomes, ROUNDS, 'every packet is either a transfer or a drop');
  const counted = [...r.dropCounts.values()].reduce((a, b) => a + b, 0);
  assert.equal(counted, r.droppedOutcomes, 'every drop is counted once');
  // The generator reaches the interesting paths, not just the parser's first check.
  for (const reason of ['malformed', 'not-a-request', 'write-refused', 'mode-unsupported', 'bad-path', 'outside-root', 'not-found', 'not-regular-file']) {
    assert.ok((r.dropCounts.get(`tftp:${reason}`) ?? 0) > 0, `no drop for ${reason}: ${JSON.stringify([...r.dropCounts])}`);
  }
  assert.ok(r.accepted > ROUNDS / 100, `only ${r.accepted} accepted`);
  assert.ok(r.opened.size > 0);
});

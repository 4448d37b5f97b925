/**
 * 50,000 generated packets through the codec and both mode handlers (see
 * fuzz.ts for the checks). The million-packet run is `node bench/dhcp-fuzz.ts`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fuzzDhcp } from './fuzz.ts';

const SEED = Number(process.env['BERTH_FUZZ_SEED'] ?? 20261121);
const PACKETS = Number(process.env['BERTH_DHCP_FUZZ_PACKETS'] ?? 50_000);

test(`DHCP fuzz: ${PACKETS} packets, seed ${SEED}`, () => {
  const r = fuzzDhcp(PACKETS, SEED);
  // The generator must exercise both sides: refusals and real answers.
  assert.ok(r.refusedByCodec > PACKETS / 10, `only ${r.refusedByCodec} packets refused by the codec`);
  assert.ok(r.replies > PACKETS / 20, `only ${r.replies} replies`);
  for (const reason of ['truncated-header', 'option-overrun', 'bad-overload', 'no-magic-cookie']) assert.ok(r.dropReasons.has(reason), `never saw ${reason}`);
});

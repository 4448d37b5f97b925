/**
 * DHCP fuzz at scale: 1,000,000 generated packets (mutated valid requests,
 * truncations, option overflows, option 52 lies, zero-length options, noise)
 * through the codec and both mode handlers, with the checks of
 * test/boot/dhcp/fuzz.ts on every packet. Fails loudly on the first
 * violation; prints packets/s and the drop reasons seen.
 *
 *   node bench/dhcp-fuzz.ts [packets] [seed]
 */
import { fuzzDhcp } from '../test/boot/dhcp/fuzz.ts';

const packets = Number(process.argv[2] ?? 1_000_000);
const seed = Number(process.argv[3] ?? 20261121);
const r = fuzzDhcp(packets, seed);
console.log(`${r.packets} packets in ${r.seconds.toFixed(1)} s = ${Math.round(r.packets / r.seconds)} packets/s (seed ${seed})`);
console.log(`replies ${r.replies}, refused by the codec ${r.refusedByCodec}, dropped by reason:`);
for (const [reason, n] of [...r.dropReasons].sort((a, b) => b[1] - a[1])) console.log(`  ${reason.padEnd(32)} ${n}`);

/**
 * A million generated packets (mutated and truncated RRQs with options, huge
 * blksize, path traversal, garbage) through the TFTP parser and request
 * handler, without sockets. Fails (exit 1) if anything escapes, anything
 * outside the root is opened or a drop goes uncounted; prints packets/s.
 *
 *   node bench/tftp-fuzz.ts [packets] [seed]
 */
import { runTftpFuzz } from '../test/boot/tftp/fuzz-harness.ts';

const count = Number(process.argv[2] ?? 1_000_000);
const seed = Number(process.argv[3] ?? 20261121);
const r = await runTftpFuzz(count, seed);
const counted = [...r.dropCounts.values()].reduce((a, b) => a + b, 0);
console.log(`${r.packets.toLocaleString('en')} packets in ${r.seconds.toFixed(1)} s: ${Math.round(r.packets / r.seconds).toLocaleString('en')} packets/s`);
console.log(`accepted ${r.accepted.toLocaleString('en')}, dropped ${r.droppedOutcomes.toLocaleString('en')} (counted ${counted.toLocaleString('en')}), parse errors ${r.parseErrors.toLocaleString('en')}, events ${r.events.toLocaleString('en')}`);
for (const [reason, n] of [...r.dropCounts].sort((a, b) => b[1] - a[1])) console.log(`  ${reason.padEnd(24)} ${n.toLocaleString('en')}`);
console.log(`distinct paths opened: ${r.opened.size}, all under ${r.root}: ${r.openedOutside.length === 0}`);
const problems = [
  ...r.escaped.slice(0, 10),
  ...r.openedOutside.slice(0, 10).map((p) => `opened outside the root: ${p}`),
  ...(r.accepted + r.droppedOutcomes !== r.packets ? ['some packets neither accepted nor dropped'] : []),
  ...(counted !== r.droppedOutcomes ? [`drops counted ${counted} ≠ dropped ${r.droppedOutcomes}`] : []),
];
if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}

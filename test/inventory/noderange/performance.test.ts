/**
 * Measures the brief's target (expand `n[1-100000],-n[5-50]` against 100,000
 * nodes and compress the result back, under 100 ms together) and prints the
 * figures. Timing is not asserted: shared CI machines are too noisy for that.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { compressNodes } from '../../../src/inventory/noderange/compress.ts';
import { expandNoderange } from '../../../src/inventory/noderange/expand.ts';
import { fakeContext, numbered } from './fake-inventory.ts';

it('expands and compresses 100,000 nodes (figures printed, not asserted)', (t) => {
  const nodes = Object.fromEntries(numbered('n', 1, 100_000).map((name) => [name, {}]));
  const context = fakeContext({ nodes });
  const rounds: { expand: number; compress: number }[] = [];
  for (let round = 0; round < 6; round++) {
    const start = performance.now();
    const names = expandNoderange('n[1-100000],-n[5-50]', context);
    const expanded = performance.now();
    const text = compressNodes(names);
    const done = performance.now();
    assert.equal(names.length, 100_000 - 46);
    assert.equal(text, 'n[1-4,51-100000]');
    rounds.push({ expand: expanded - start, compress: done - expanded });
  }
  const format = ({ expand, compress }: { expand: number; compress: number }) =>
    `${(expand + compress).toFixed(1)} ms (expand ${expand.toFixed(1)} + compress ${compress.toFixed(1)})`;
  const warm = rounds.slice(1).sort((a, b) => a.expand + a.compress - (b.expand + b.compress));
  const message = [
    `first run (cold JIT): ${format(rounds[0]!)}`,
    `warm median: ${format(warm[Math.floor(warm.length / 2)]!)}`,
    `warm best: ${format(warm[0]!)}`,
  ];
  for (const line of message) {
    t.diagnostic(line);
    console.log(`noderange performance: ${line}`);
  }
});

/**
 * Noderange regexes run on V8's linear-time engine, refuse what it cannot
 * run, and share one time budget per noderange (the daemon-level attack is
 * in regex-daemon.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expandNoderange } from '../../../src/inventory/noderange/expand.ts';
import { MAX_MATCHING_MILLISECONDS, MAX_PATTERN_LENGTH } from '../../../src/inventory/noderange/limits.ts';
import { assertFails } from './assert-fails.ts';
import { fakeContext } from './fake-inventory.ts';

describe('noderange regular expressions', () => {
  const evil = `${'a'.repeat(40)}-x`;
  const context = fakeContext({ nodes: { [evil]: { 'id.serial': evil }, n1: {}, n2: { 'id.serial': 'aaa' } } });

  it('catastrophic patterns finish at once (exponential on the backtracking engine)', () => {
    const started = performance.now();
    assert.deepEqual(expandNoderange('~^(a+)+$', context), []);
    assert.deepEqual(expandNoderange('id.serial=~^(a+)+$', context), ['n2']);
    assert.deepEqual(expandNoderange('id.serial!~^(a|aa)*$', context), [evil]);
    assert.ok(performance.now() - started < 1000);
  });

  it('wildcard attribute names match in linear time too', () => {
    const long = fakeContext({ nodes: { n1: { [`custom.${'a'.repeat(40)}`]: 'x' } } });
    const started = performance.now();
    assert.deepEqual(expandNoderange(`${'*a'.repeat(14)}*b=x`, long), []);
    assert.deepEqual(expandNoderange(`${'*a'.repeat(14)}*=x`, long), ['n1']);
    assert.ok(performance.now() - started < 1000, 'exponential in the number of * on the backtracking engine');
  });

  it('refuses backreferences and lookahead with the reason, at the pattern', () => {
    assertFails(() => expandNoderange('n1,~(a)\\1', context), 'BERTH_BAD_INPUT', 5, 'cannot be matched in linear time');
    assertFails(() => expandNoderange('id.serial=~a(?!b)', context), 'BERTH_BAD_INPUT', 12, 'lookahead');
    assertFails(() => expandNoderange('~a{1,100}', context), 'BERTH_BAD_INPUT', 2, 'counted repetitions');
  });

  it('keeps syntax errors syntax errors', () => {
    assertFails(() => expandNoderange('~r1u*+', context), 'BERTH_NODERANGE_SYNTAX', 2, 'invalid regular expression');
  });

  it(`refuses patterns longer than ${MAX_PATTERN_LENGTH} characters`, () => {
    assert.deepEqual(expandNoderange(`~${'n?'.repeat(MAX_PATTERN_LENGTH / 2)}`, context).length, 3);
    assertFails(() => expandNoderange(`~${'a'.repeat(MAX_PATTERN_LENGTH + 1)}`, context), 'BERTH_BAD_INPUT', 2, 'at most 256');
    assertFails(() => expandNoderange(`id.serial=~${'a'.repeat(MAX_PATTERN_LENGTH + 1)}`, context), 'BERTH_BAD_INPUT', 12, 'at most 256');
  });

  it(`stops matching after ${MAX_MATCHING_MILLISECONDS} ms and says how far it got`, () => {
    // Linear is still slow for a big automaton: ~70 µs per name here, seconds for 100,000 names.
    const nodes: Record<string, Record<string, string>> = {};
    for (let i = 0; i < 100_000; i++) nodes[`r${i % 100}u${i}-compute`] = {};
    const big = fakeContext({ nodes });
    const pattern = `~${'(a|b|c|d|e|f|g|h)*'.repeat(14)}z`;
    const started = performance.now();
    assertFails(() => expandNoderange(pattern, big), 'BERTH_BAD_INPUT', 1, /took longer than 1000 ms \(\d+ of 100000 nodes done\)/);
    assert.ok(performance.now() - started < 3 * MAX_MATCHING_MILLISECONDS, 'refused soon after the budget');
  });
});

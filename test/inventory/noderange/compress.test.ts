import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compressNodes } from '../../../src/inventory/noderange/compress.ts';
import { expandNoderange } from '../../../src/inventory/noderange/expand.ts';
import { naturalSort } from '../../../src/inventory/noderange/natural-sort.ts';
import { fakeContext, numbered } from './fake-inventory.ts';
import { seededRandom } from '../../helpers/seeded-random.ts';

/** Compresses, checks the text expands back to exactly the names, and returns the text. */
function roundTrip(names: string[]): string {
  const text = compressNodes(names);
  assert.deepEqual(expandNoderange(text), naturalSort(new Set(names)), `'${text}' expands back`);
  return text;
}

describe('compressNodes', () => {
  it("matches confluent's own compressor cases", () => {
    assert.equal(roundTrip(['r3u4', 'r5u6']), 'r3u4,r5u6');
    assert.equal(roundTrip(['r3u4s1', 'r5u6s3']), 'r3u4s1,r5u6s3');
    assert.equal(roundTrip(['r3u4s1', 'r3u4s2', 'r5u4s3']), 'r3u4s[1-2],r5u4s3');
    assert.equal(roundTrip(['r3u4', 'r3u5', 'r3u6', 'r3u9', 'r4u1']), 'r3u[4-6,9],r4u1');
    assert.equal(roundTrip(['n01', 'n2', 'n03']), 'n01,n2,n03');
    assert.equal(roundTrip([...numbered('n', 7, 8), ...numbered('n', 9, 20, 2)]), 'n[7-8],n[09-20]');
  });

  it('writes runs and gaps in one bracket', () => {
    assert.equal(roundTrip(['n1', 'n2', 'n3', 'n4', 'n6', 'n8', 'n9', 'n10']), 'n[1-4,6,8-10]');
    assert.equal(roundTrip(numbered('n', 1, 20)), 'n[1-20]');
    assert.equal(roundTrip(['n5']), 'n5');
    assert.equal(roundTrip(['login', 'n1', 'n2']), 'login,n[1-2]');
  });

  it('keeps zero padding', () => {
    assert.equal(roundTrip(numbered('n', 1, 20, 2)), 'n[01-20]');
    assert.equal(roundTrip(numbered('n', 98, 101, 3)), 'n[098-101]');
    assert.equal(roundTrip(['n1', 'n01']), 'n01,n1');
  });

  it('folds full cartesian blocks and brackets the last varying field otherwise', () => {
    assert.equal(roundTrip(expandNoderange('r[1-3]u[01-10]')), 'r[1-3]u[01-10]');
    assert.equal(roundTrip(expandNoderange('r[1-2]u[1-10]')), 'r[1-2]u[1-10]');
    assert.equal(roundTrip(expandNoderange('r1u[1-10],r2u[1-5]')), 'r1u[1-10],r2u[1-5]');
    assert.equal(roundTrip(expandNoderange('u[1-10]r[1-2]')), 'u[1-10]r[1-2]');
    assert.equal(roundTrip(expandNoderange('r[1-3]u[1-4]s[1-2],r4u1s1')), 'r[1-3]u[1-4]s[1-2],r4u1s1');
  });

  it('keeps names with text after the number and odd characters intact', () => {
    assert.equal(roundTrip(['r1-bmc', 'r2-bmc', 'r3-bmc']), 'r[1-3]-bmc');
    assert.equal(roundTrip(['sw1.mgmt', 'sw2.mgmt']), 'sw[1-2].mgmt');
    assert.equal(roundTrip(['a99999999999999999998', 'a99999999999999999999', 'a100000000000000000000']),
      'a[99999999999999999998,99999999999999999999,100000000000000000000]');
  });

  it('takes any iterable, ignores repeats, and gives an empty string for no names', () => {
    assert.equal(compressNodes(new Set(['n2', 'n1'])), 'n[1-2]');
    assert.equal(compressNodes(['n2', 'n1', 'n2']), 'n[1-2]');
    assert.equal(compressNodes([]), '');
  });

  it('round-trips random sets (seeded property test)', () => {
    const random = seededRandom(20240611);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const number = () => {
      if (random() < 0.05) return String(99999999999999999990n + BigInt(Math.floor(random() * 15)));
      const value = Math.floor(random() * 40);
      return random() < 0.3 ? String(value).padStart(1 + Math.floor(random() * 3), '0') : String(value);
    };
    const skeletons: ((n: () => string) => string)[] = [
      (n) => `n${n()}`,
      (n) => `r${n()}u${n()}`,
      (n) => `c${n()}n${n()}s${n()}`,
      (n) => `rack${n()}-bmc`,
      (n) => `sw${n()}.${n()}`,
      (n) => `x${n()}y`,
      (n) => `${n()}z`,
      () => pick(['login', 'mgmt', 'head-a', 'head-b']),
    ];
    for (let round = 0; round < 400; round++) {
      const names: string[] = [];
      const size = Math.floor(random() * 60);
      const used = skeletons.filter(() => random() < 0.5);
      if (used.length === 0) used.push(skeletons[0]!);
      for (let i = 0; i < size; i++) names.push(pick(used)(number));
      const text = compressNodes(names);
      assert.deepEqual(
        text === '' ? [] : expandNoderange(text),
        naturalSort(new Set(names)),
        `round ${round}: ${JSON.stringify(names)} -> '${text}'`,
      );
      const inventory = fakeContext({ nodes: Object.fromEntries(names.map((name) => [name, {}])) });
      if (text !== '') assert.deepEqual(expandNoderange(text, inventory), naturalSort(new Set(names)));
    }
  });
});

describe('compressNodes with groups', () => {
  const racks = new Map([
    ['rack1', ['a1', 'a5', 'a9']],
    ['rack2', ['a2', 'a6', 'a10']],
    ['rack3', ['a3', 'a7', 'a11']],
  ]);

  it('uses a group when that is shorter', () => {
    const evens = numbered('n', 1, 20).filter((_, i) => i % 2 === 1);
    const groups = new Map([['evens', evens]]);
    assert.equal(compressNodes([...evens, 'm1']), 'm1,n[2,4,6,8,10,12,14,16,18,20]');
    assert.equal(compressNodes([...evens, 'm1'], { groups }), 'evens,m1');
  });

  it('keeps plain ranges when groups would be longer', () => {
    const groups = new Map([
      ['rack1', numbered('n', 1, 10)],
      ['rack2', numbered('n', 11, 20)],
    ]);
    assert.equal(compressNodes(numbered('n', 1, 20), { groups }), 'n[1-20]');
  });

  it('prefers the largest group', () => {
    const groups = new Map([
      ['odd', ['x1', 'x3', 'y7']],
      ['everything', ['x1', 'x3', 'y7', 'z9', 'q4']],
    ]);
    assert.equal(compressNodes(['x1', 'x3', 'y7', 'z9', 'q4'], { groups }), 'everything');
  });

  it('folds groups that only pay off together into a range of group names', () => {
    const nodes = [...racks.values()].flat();
    assert.equal(compressNodes(nodes, { groups: racks }), 'rack[1-3]');
    const context = fakeContext({
      nodes: Object.fromEntries(nodes.map((name) => [name, {}])),
      groups: Object.fromEntries(racks),
    });
    assert.deepEqual(expandNoderange('rack[1-3]', context), naturalSort(nodes));
  });

  it('ignores empty groups and groups not wholly in the set', () => {
    const groups = new Map([
      ['empty', []],
      ['partial', ['n1', 'n99']],
    ]);
    assert.equal(compressNodes(['n1', 'n2'], { groups }), 'n[1-2]');
  });
});

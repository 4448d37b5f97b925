import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { naturalCompare, naturalKey, naturalSort } from '../../../src/inventory/noderange/natural-sort.ts';
import { seededRandom } from '../../helpers/seeded-random.ts';

describe('naturalSort', () => {
  it('compares numbers as numbers', () => {
    assert.deepEqual(naturalSort(['n10', 'n2', 'n1', 'n100', 'n20']), ['n1', 'n2', 'n10', 'n20', 'n100']);
    assert.ok(naturalCompare('n2', 'n10') < 0);
    assert.ok(naturalCompare('r2u10', 'r10u1') < 0);
    assert.ok(naturalCompare('r1u9', 'r1u10') < 0);
  });

  it('ignores case for order but breaks ties by plain string order, so the order is total', () => {
    assert.deepEqual(naturalSort(['n10', 'N2', 'n1']), ['n1', 'N2', 'n10']);
    assert.deepEqual(naturalSort(['n1', 'n01', 'N1']), ['N1', 'n01', 'n1']);
    assert.ok(naturalCompare('n01', 'n1') < 0);
    assert.equal(naturalCompare('n1', 'n1'), 0);
    assert.notEqual(naturalCompare('N1', 'n1'), 0);
  });

  it('puts a shorter name before its extensions and numbers before letters', () => {
    assert.deepEqual(naturalSort(['n1a', 'n', 'n1', 'na', 'n1-bmc']), ['n', 'n1', 'n1-bmc', 'n1a', 'na']);
    assert.deepEqual(naturalSort(['b', '10', 'a', '9']), ['9', '10', 'a', 'b']);
  });

  it('handles numbers longer than a double holds', () => {
    assert.deepEqual(naturalSort(['n100000000000000000000', 'n99999999999999999999']), [
      'n99999999999999999999',
      'n100000000000000000000',
    ]);
  });

  it('gives the same order whatever the input order, and agrees with naturalCompare and naturalKey', () => {
    const random = seededRandom(7);
    const alphabet = ['n', 'N', 'r', 'u', '0', '1', '2', '9', '-', '.', 'é'];
    const names = Array.from({ length: 400 }, () => {
      let name = '';
      const length = 1 + Math.floor(random() * 7);
      for (let i = 0; i < length; i++) name += alphabet[Math.floor(random() * alphabet.length)];
      return name;
    });
    const expected = naturalSort(names);
    for (let round = 0; round < 5; round++) {
      const shuffled = [...names].sort(() => random() - 0.5);
      assert.deepEqual(naturalSort(shuffled), expected);
    }
    for (let i = 1; i < expected.length; i++) {
      const a = expected[i - 1]!;
      const b = expected[i]!;
      assert.ok(naturalCompare(a, b) <= 0, `${a} <= ${b}`);
      assert.ok(naturalCompare(b, a) >= 0, `${b} >= ${a}`);
      assert.ok(naturalKey(a) <= naturalKey(b), `key(${a}) <= key(${b})`);
    }
  });
});

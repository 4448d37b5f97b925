/**
 * The one edit distance (src/util/closest-name.ts), used by every "did you
 * mean": attribute names, expression names and config file keys. A swapped
 * pair of letters is one edit everywhere, so the config file suggests what
 * the inventory would.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BerthError } from '../../src/errors.ts';
import { parseConfig } from '../../src/server/config.ts';
import { closestName, editDistance } from '../../src/util/closest-name.ts';

describe('edit distance and the closest name', () => {
  test('insertions, deletions, substitutions and swapped neighbours count one each', () => {
    assert.equal(editDistance('', ''), 0);
    assert.equal(editDistance('listen', 'listen'), 0);
    assert.equal(editDistance('lisen', 'listen'), 1);
    assert.equal(editDistance('hwadrd', 'hwaddr'), 1);
    assert.equal(editDistance('lsitne', 'listen'), 2);
    assert.equal(editDistance('abc', ''), 3);
  });

  test('a close candidate is suggested, a different word is not', () => {
    assert.equal(closestName('net.mgmt.hwadr', ['net.mgmt.hwaddr', 'net.mgmt.hostname']), 'net.mgmt.hwaddr');
    assert.equal(closestName('colour', ['net.mgmt.hwaddr']), undefined);
  });

  test('the config file suggests a key with two swapped pairs, as the inventory would', () => {
    try {
      parseConfig('api:\n  lsitne: ["*:8443"]\n', '/etc/berth/berth.yaml');
      assert.fail('accepted');
    } catch (e) {
      assert.ok(e instanceof BerthError, String(e));
      assert.match(e.message, /unknown key api\.lsitne \(did you mean api\.listen\?\)/);
    }
  });
});

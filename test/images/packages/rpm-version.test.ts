/** rpmvercmp cases from rpm's own test suite (tests/rpmvercmp.at), which this ordering must reproduce. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareRpmSegments, compareRpmVersions } from '../../../src/images/packages/rpm-version.ts';

const CASES: [string, string, -1 | 0 | 1][] = [
  ['1.0', '1.0', 0], ['1.0', '2.0', -1], ['2.0', '1.0', 1], ['2.0.1', '2.0.1', 0], ['2.0', '2.0.1', -1], ['2.0.1', '2.0', 1],
  ['2.0.1a', '2.0.1a', 0], ['2.0.1a', '2.0.1', 1], ['2.0.1', '2.0.1a', -1], ['5.5p1', '5.5p1', 0], ['5.5p1', '5.5p2', -1],
  ['5.5p10', '5.5p10', 0], ['5.5p1', '5.5p10', -1], ['10xyz', '10.1xyz', -1], ['10.1xyz', '10xyz', 1], ['xyz10', 'xyz10', 0],
  ['xyz10', 'xyz10.1', -1], ['xyz.4', 'xyz.4', 0], ['xyz.4', '8', -1], ['8', 'xyz.4', 1], ['xyz.4', '2', -1], ['2', 'xyz.4', 1],
  ['5.5p2', '5.6p1', -1], ['5.6p1', '6.5p1', -1], ['6.0.rc1', '6.0', 1], ['6.0', '6.0.rc1', -1], ['10b2', '10a1', 1],
  ['10a2', '10b2', -1], ['1.0aa', '1.0aa', 0], ['1.0a', '1.0aa', -1], ['1.0aa', '1.0a', 1], ['10.0001', '10.0001', 0],
  ['10.0001', '10.1', 0], ['10.1', '10.0001', 0], ['10.0001', '10.0039', -1], ['4.999.9', '5.0', -1], ['5.0', '4.999.9', 1],
  ['20101121', '20101121', 0], ['20101121', '20101122', -1], ['2_0', '2_0', 0], ['2.0', '2_0', 0], ['2_0', '2.0', 0],
  ['a', 'a', 0], ['a+', 'a+', 0], ['a+', 'a_', 0], ['a_', 'a+', 0], ['+a', '+a', 0], ['+a', '_a', 0], ['+_', '_+', 0], ['_+', '+', 0],
  ['1.0~rc1', '1.0~rc1', 0], ['1.0~rc1', '1.0', -1], ['1.0', '1.0~rc1', 1], ['1.0~rc1', '1.0~rc2', -1], ['1.0~rc1~git123', '1.0~rc1', -1],
  ['1.0^', '1.0^', 0], ['1.0^', '1.0', 1], ['1.0', '1.0^', -1], ['1.0^git1', '1.0', 1], ['1.0^git1', '1.0.1', -1], ['1.0^git1', '1.0^git2', -1],
  ['1.0^git1~pre', '1.0^git1', -1], ['1.0^git1', '1.01', -1], ['1.0^20160101', '1.0.1', -1], ['1.0~rc1^git1', '1.0~rc1', 1],
];

test('rpmvercmp agrees with rpm on its own test cases', () => {
  for (const [a, b, expected] of CASES) assert.equal(compareRpmSegments(a, b), expected, `${a} vs ${b}`);
});

test('epoch and release', () => {
  assert.equal(compareRpmVersions('1:1.0-1', '2.0-1'), 1);
  assert.equal(compareRpmVersions('5.14.0-362.el9', '5.14.0-70.el9'), 1);
  assert.equal(compareRpmVersions('0:5.14.0-70.el9', '5.14.0-70.el9'), 0);
  assert.equal(compareRpmVersions('2.0-1', '2.0-1.1'), -1);
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { BerthError } from '../../../src/errors.ts';
import {
  compareDebianVersions,
  parseDebianVersion,
  sortDebianVersions,
} from '../../../src/images/packages/debian-version.ts';
import { run } from '../../../src/util/run.ts';
import { seededRandom } from '../../helpers/seeded-random.ts';

describe('parseDebianVersion', () => {
  it('splits epoch, upstream and revision (epoch at the first colon, revision after the last hyphen)', () => {
    assert.deepEqual(parseDebianVersion('1.0'), { epoch: 0, upstream: '1.0', revision: '' });
    assert.deepEqual(parseDebianVersion('2:1.2.3-4'), { epoch: 2, upstream: '1.2.3', revision: '4' });
    assert.deepEqual(parseDebianVersion('1:2.30-1-2ubuntu0.1'), { epoch: 1, upstream: '2.30-1', revision: '2ubuntu0.1' });
    assert.deepEqual(parseDebianVersion('0:1.0~rc1+dfsg-0.1~bpo12+1'), {
      epoch: 0,
      upstream: '1.0~rc1+dfsg',
      revision: '0.1~bpo12+1',
    });
    assert.deepEqual(parseDebianVersion('007:1A'), { epoch: 7, upstream: '1A', revision: '' });
  });

  it('refuses invalid versions with BERTH_BAD_INPUT, the column and what is wrong', () => {
    const cases: Array<[text: string, column: number, says: RegExp]> = [
      ['', 1, /is empty/],
      [':1.0', 1, /empty epoch/],
      ['a:1.0', 1, /epoch 'a' that is not an unsigned number/],
      ['1a:1.0', 2, /epoch '1a'/],
      ['-1:1.0', 1, /epoch '-1'/],
      ['2147483648:1.0', 1, /epoch larger than 2147483647/],
      ['1:', 2, /nothing after the epoch/],
      ['1.0-', 4, /no revision after it/],
      ['-1', 1, /no upstream version/],
      ['1:-1', 3, /no upstream version/],
      ['a1.0', 1, /upstream version 'a1.0' that does not start with a digit/],
      ['1:.5', 3, /does not start with a digit/],
      ['~1', 1, /does not start with a digit/],
      ['1.0 beta', 4, /a space in its upstream version/],
      [' 1.0', 1, /does not start with a digit/],
      ['1.0\n', 4, /control character U\+000A/],
      ['1.0_rc1', 4, /'_' in its upstream version; only letters, digits and \. \+ - ~/],
      ['1:2:3', 4, /a second ':' in its upstream version/],
      ['1.0é', 4, /'é'/],
      ['1.0-1_2', 6, /'_' in its revision; only letters, digits and \. \+ ~/],
      ['1.0-1:2', 2, /epoch '1.0-1'/],
    ];
    for (const [text, column, says] of cases) {
      assert.throws(
        () => parseDebianVersion(text),
        (error: unknown) => {
          assert.ok(error instanceof BerthError, `'${text}' throws a BerthError`);
          assert.equal(error.code, 'BERTH_BAD_INPUT', text);
          assert.match(error.message, says, text);
          assert.ok(error.message.includes(`'${text}'`), `the message names '${text}': ${error.message}`);
          assert.deepEqual(error.where, { column, input: text }, text);
          return true;
        },
      );
    }
  });

  it('refuses what is not a string (a manifest read from JSON may hold a number)', () => {
    assert.throws(() => parseDebianVersion(1.5 as unknown as string), { code: 'BERTH_BAD_INPUT', message: /string, not number/ });
  });
});

describe('compareDebianVersions', () => {
  // [older-or-equal, newer-or-equal, expected compare(a, b)], each checked both ways round.
  const table: Array<[a: string, b: string, expected: -1 | 0 | 1]> = [
    ['2.0', '1:1.0', -1], // the epoch wins over everything
    ['1:1.0', '2:0.1', -1],
    ['0:1.0', '1.0', 0], // a missing epoch is 0
    ['1.0~rc1', '1.0', -1], // '~' sorts before the end of the part
    ['1.0~rc1', '1.0~rc2', -1],
    ['1.0~~', '1.0~', -1],
    ['1.0~~', '1.0~~a', -1],
    ['1.0~~a', '1.0~', -1],
    ['1.0~', '1.0', -1],
    ['1.0', '1.0+b1', -1], // binNMU
    ['1.0', '1.0.1', -1],
    ['1.0-1', '1.0-1.1', -1],
    ['1.0-1', '1.0-2', -1],
    ['1.0-9', '1.0-10', -1], // numbers, not text
    ['1.0-1~bpo1', '1.0-1', -1], // backports sort before the release they come from
    ['1.0-1', '1.0-1+deb12u1', -1],
    ['1.0-0', '1.0', 0], // no revision equals revision 0
    ['1.0', '1.0-0.1', -1],
    ['1.001', '1.1', 0], // leading zeros do not count
    ['1.0010', '1.10', 0],
    ['1.00', '1.0', 0],
    ['1.0a', '1.0+', -1], // letters before other characters
    ['1.0a', '1.0.', -1],
    ['1.0A', '1.0a', -1], // letters in ASCII order: upper case first
    ['1.0+', '1.0.', -1], // non-letters in ASCII order
    ['1.0.', '1.0a', 1],
    ['1.0', '1.0a', -1],
    ['1.0~', '1.0a', -1],
    ['9007199254740993', '9007199254740992', 1], // beyond 2^53: no rounding
    ['1.18446744073709551616', '1.18446744073709551615', 1], // beyond 2^64: no overflow
    ['1.000000000000000000000000000001', '1.1', 0],
    ['99999999999999999999999999', '100000000000000000000000000', -1],
    ['1.2.3', '1.2.3', 0],
    ['1:1.2.3-4', '1:1.2.3-4', 0],
  ];

  it('orders the tricky pairs as dpkg does, both ways round', () => {
    for (const [a, b, expected] of table) {
      assert.equal(compareDebianVersions(a, b), expected, `${a} vs ${b}`);
      assert.equal(compareDebianVersions(b, a), -expected || 0, `${b} vs ${a}`);
    }
  });

  it('orders the ~ chain of the policy: ~~ < ~~a < ~ < (nothing) < a', () => {
    const chain = ['1~~', '1~~a', '1~', '1', '1a'];
    for (let i = 0; i + 1 < chain.length; i++) assert.equal(compareDebianVersions(chain[i]!, chain[i + 1]!), -1);
  });

  it('takes parsed versions as well as text', () => {
    assert.equal(compareDebianVersions(parseDebianVersion('1:1.0'), '2.0'), 1);
  });

  it('validates both sides', () => {
    assert.throws(() => compareDebianVersions('1.0', 'x'), { code: 'BERTH_BAD_INPUT', message: /'x'/ });
  });
});

describe('sortDebianVersions', () => {
  it('sorts oldest first, keeps equal versions in input order, and leaves the input alone', () => {
    const input = ['1:0.9', '1.0-1', '1.0', '1.0~rc1', '1.0-0', '1.0+b1', '1.01', '0.9'];
    const sorted = sortDebianVersions(input);
    assert.deepEqual(sorted, ['0.9', '1.0~rc1', '1.0', '1.0-0', '1.0-1', '1.0+b1', '1.01', '1:0.9']);
    assert.deepEqual(input, ['1:0.9', '1.0-1', '1.0', '1.0~rc1', '1.0-0', '1.0+b1', '1.01', '0.9']);
    assert.deepEqual(sortDebianVersions(new Set(['2', '1'])), ['1', '2']);
    assert.deepEqual(sortDebianVersions([]), []);
  });

  it('refuses a list with an invalid version', () => {
    assert.throws(() => sortDebianVersions(['1.0', 'latest']), { code: 'BERTH_BAD_INPUT', message: /'latest'/ });
  });
});

const dpkgMissing = spawnSync('dpkg', ['--version']).status !== 0;

describe('compareDebianVersions against dpkg --compare-versions', { skip: dpkgMissing && 'dpkg is not installed' }, () => {
  it('agrees on 2,000 seeded-random pairs', async () => {
    const random = seededRandom(4);
    const pairs: Array<[string, string]> = [];
    while (pairs.length < 2000) {
      const a = randomVersion(random);
      pairs.push([a, random() < 0.6 ? mutate(a, random) : randomVersion(random)]);
    }

    const batches: Array<Promise<string[]>> = [];
    for (let start = 0; start < pairs.length; start += 200) batches.push(askDpkg(pairs.slice(start, start + 200)));
    const answers = (await Promise.all(batches)).flat();

    const wanted = { lt: -1, eq: 0, gt: 1 } as const;
    const seen = { lt: 0, eq: 0, gt: 0 };
    pairs.forEach(([a, b], index) => {
      const answer = answers[index] as keyof typeof wanted;
      assert.ok(answer in wanted, `dpkg answered '${answer}' for ${a} vs ${b}`);
      seen[answer]++;
      assert.equal(compareDebianVersions(a, b), wanted[answer], `${a} vs ${b}: dpkg says ${answer}`);
    });
    // The generator must exercise all three outcomes, equality included.
    assert.ok(seen.lt > 200 && seen.eq > 200 && seen.gt > 200, JSON.stringify(seen));
  });
});

/**
 * One shell per batch runs dpkg once or twice per pair. Versions are passed as
 * arguments, never spliced into the script. dpkg exits 0 (true), 1 (false) or
 * more on a bad version; any stderr (dpkg's syntax warnings) fails the test,
 * since every generated version is one dpkg must accept cleanly too.
 */
async function askDpkg(pairs: Array<[string, string]>): Promise<string[]> {
  const script = `
    while [ $# -gt 0 ]; do
      dpkg --compare-versions "$1" lt "$2"; lt=$?
      if [ $lt -eq 0 ]; then echo lt
      elif [ $lt -eq 1 ]; then
        dpkg --compare-versions "$1" eq "$2"; eq=$?
        if [ $eq -eq 0 ]; then echo eq; elif [ $eq -eq 1 ]; then echo gt; else echo "error $eq"; fi
      else echo "error $lt"; fi
      shift 2
    done`;
  const result = await run('sh', ['-c', script, 'sh', ...pairs.flat()], { timeoutMs: 60_000 });
  assert.equal(result.stderr, '', 'dpkg complained about a generated version');
  const lines = result.stdout.trimEnd().split('\n');
  assert.equal(lines.length, pairs.length);
  return lines;
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

/** Numbers with leading zeros, a few beyond 2^64, and short ones that often collide. */
function randomNumber(random: () => number): string {
  const roll = random();
  if (roll < 0.05) return String(18446744073709551615n + BigInt(Math.floor(random() * 3)));
  if (roll < 0.15) return '0' + pick(random, ['0', '1', '01', '10']);
  return String(Math.floor(random() * 12));
}

/** A part made of digit runs, letters (both cases) and the separators allowed in `separators`. */
function randomPart(random: () => number, separators: string, startWithDigit: boolean): string {
  let text = startWithDigit ? randomNumber(random) : '';
  const pieces = Math.floor(random() * 5);
  for (let i = 0; i < pieces; i++) {
    const roll = random();
    if (roll < 0.4) text += randomNumber(random);
    else if (roll < 0.65) text += pick(random, ['a', 'b', 'z', 'A', 'rc', 'dfsg']);
    else text += pick(random, [...separators]);
  }
  return text;
}

function randomVersion(random: () => number): string {
  const epoch = random() < 0.2 ? `${pick(random, ['0', '1', '2', '01', '10'])}:` : '';
  const hasRevision = random() < 0.5;
  const upstream = randomPart(random, hasRevision ? '.+~-' : '.+~', true);
  const revision = hasRevision ? `-${randomPart(random, '.+~', random() < 0.8) || '0'}` : '';
  return epoch + upstream + revision;
}

/** A close neighbour of `version`, so equal and nearly equal pairs are common. */
function mutate(version: string, random: () => number): string {
  const roll = random();
  let candidate: string;
  if (roll < 0.15) candidate = version; // the same text
  else if (roll < 0.3) candidate = version.replace(/\d+/, (digits) => '0' + digits); // same value, leading zero
  else if (roll < 0.4) candidate = version.includes(':') ? version.replace(/^0*:/, '') : `0:${version}`;
  else if (roll < 0.5) candidate = version.includes('-') ? version : `${version}-0`;
  else if (roll < 0.7) candidate = version + pick(random, ['~', '~~', '~a', 'a', '+', '.', '0', '.0', '1']);
  else {
    const at = Math.floor(random() * version.length);
    candidate = version.slice(0, at) + pick(random, ['0', '1', '9', 'a', 'Z', '~', '+', '.']) + version.slice(at + 1);
  }
  try {
    parseDebianVersion(candidate);
    return candidate;
  } catch {
    return version;
  }
}

/**
 * ssh.admin_keys is checked by the one OpenSSH key parser (src/util/ssh-public-key.ts)
 * that also builds root's authorized_keys at boot: a value `node set`
 * accepts is a value the node API can use, and hostile or damaged input is
 * refused when it is set, naming the line, never repeating a private key.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BerthError } from '../../../src/errors.ts';
import { validateAttributeValue } from '../../../src/inventory/schema/index.ts';
import { authorizedKeys } from '../../../src/ssh/admin-keys.ts';

const str = (s: string | Buffer): Buffer => {
  const body = typeof s === 'string' ? Buffer.from(s) : s;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  return Buffer.concat([length, body]);
};
const ed25519Blob = (fill: number) => Buffer.concat([str('ssh-ed25519'), str(Buffer.alloc(32, fill))]);
const ed25519 = ed25519Blob(7).toString('base64');
const ecPoint = Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 1)]);

/** Hostile or damaged values, each with what the refusal must say. */
const HOSTILE: [string, string, RegExp][] = [
  ['two keys joined into one blob', `ssh-ed25519 ${Buffer.concat([ed25519Blob(7), ed25519Blob(8)]).toString('base64')}`, /data after the end of the key/],
  ['an ECDSA key naming the wrong curve', `ecdsa-sha2-nistp384 ${Buffer.concat([str('ecdsa-sha2-nistp384'), str('nistp256'), str(ecPoint)]).toString('base64')}`, /names the curve/],
  ['an ECDSA key cut short', `ecdsa-sha2-nistp256 ${Buffer.concat([str('ecdsa-sha2-nistp256'), str('nistp256'), str(ecPoint.subarray(0, 30))]).toString('base64')}`, /truncated/],
  ['a NUL in the comment', `ssh-ed25519 ${ed25519} admin\0root`, /control characters/],
  ['an escape sequence in the comment', `ssh-ed25519 ${ed25519} \x1b[2Jadmin`, /control characters/],
  ['a line longer than any key', `ssh-ed25519 ${ed25519} ${'x'.repeat(9000)}`, /characters long/],
  ['options with no key after them', 'from="10.0.0.0/8",no-pty', /expected \[options\] type base64 \[comment\]/],
  ['an options prefix with an unbalanced quote', `command="echo ssh-ed25519 ${ed25519}`, /expected \[options\] type base64 \[comment\]/],
  ['a type named inside that differs', `ssh-rsa ${ed25519}`, /says inside that it is a ssh-ed25519 key/],
];

function refusal(value: string): BerthError {
  try {
    validateAttributeValue('ssh.admin_keys', value);
  } catch (e) {
    if (e instanceof BerthError) return e;
    throw e;
  }
  assert.fail(`accepted: ${JSON.stringify(value.slice(0, 80))}`);
}

describe('ssh.admin_keys and the one key parser', () => {
  for (const [what, value, why] of HOSTILE) {
    test(`refused when set: ${what}`, () => {
      const e = refusal(value);
      assert.equal(e.code, 'BERTH_ATTRIBUTE_TYPE');
      assert.match(e.message, /^ssh\.admin_keys: /);
      assert.match(e.message, why);
      assert.doesNotMatch(e.message, /[\0\x1b]/, 'control characters are never echoed');
      // The same value would have failed at boot: the two checks agree.
      assert.throws(() => authorizedKeys({ attribute: value }), BerthError);
    });
  }

  test('a comment line with an escape sequence is refused too', () => {
    assert.match(refusal(`#\x1b[2J ops\nssh-ed25519 ${ed25519}`).message, /^ssh\.admin_keys: line 1: the comment line contains control characters$/);
  });

  test('a bad key on line 3 is named by its line', () => {
    assert.match(refusal(`# ops\nssh-ed25519 ${ed25519}\nssh-ed25519 AAAA`).message, /^ssh\.admin_keys: line 3: /);
  });

  test('what the schema stores, authorized_keys takes unchanged: comments, options, each key once', () => {
    const value = `# the ops team\r\nfrom="10.1.0.0/16",command="echo \\"hi there\\"" ssh-ed25519 ${ed25519}   ops key \n\n`;
    const stored = validateAttributeValue('ssh.admin_keys', value);
    assert.equal(stored, `# the ops team\nfrom="10.1.0.0/16",command="echo \\"hi there\\"" ssh-ed25519 ${ed25519} ops key`);
    assert.equal(authorizedKeys({ attribute: stored }).split('\n')[1], `from="10.1.0.0/16",command="echo \\"hi there\\"" ssh-ed25519 ${ed25519} ops key`);
    assert.match(refusal(`ssh-ed25519 ${ed25519} a\nfrom="10.0.0.0/8" ssh-ed25519 ${ed25519} b`).message, /line 2: the same key is already on line 1/);
  });

  test('a private key is refused without repeating it', () => {
    const e = refusal('-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----');
    assert.match(e.message, /private key/);
    assert.doesNotMatch(e.message, /b3BlbnNzaC1rZXkt/);
  });
});

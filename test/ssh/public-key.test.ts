import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BerthError } from '../../src/errors.ts';
import { authorizedKeys } from '../../src/ssh/admin-keys.ts';
import { knownHostsLine } from '../../src/ssh/known-hosts.ts';
import { hostPrincipals } from '../../src/ssh/principals.ts';
import { parsePublicKey } from '../../src/util/ssh-public-key.ts';
import { run } from '../../src/util/run.ts';

let dir: string;
/** Real public keys from ssh-keygen, by type. */
const keys: Record<string, string> = {};

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-ssh-keys-'));
  for (const [name, args] of [
    ['ed25519', ['-t', 'ed25519']],
    ['ed25519b', ['-t', 'ed25519']],
    ['rsa', ['-t', 'rsa', '-b', '3072']],
    ['rsa1024', ['-t', 'rsa', '-b', '1024']],
    ['ecdsa256', ['-t', 'ecdsa', '-b', '256']],
    ['ecdsa384', ['-t', 'ecdsa', '-b', '384']],
    ['ecdsa521', ['-t', 'ecdsa', '-b', '521']],
  ] as const) {
    await run('ssh-keygen', ['-q', ...args, '-N', '', '-C', `test-${name}`, '-f', join(dir, name)], { timeoutMs: 30_000 });
    keys[name] = (await readFile(join(dir, `${name}.pub`), 'utf8')).trim();
  }
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function rejects(line: string, pattern: RegExp): void {
  assert.throws(
    () => parsePublicKey(line, 'node n1, host key 1'),
    (e: unknown) => e instanceof BerthError && e.code === 'BERTH_BAD_INPUT' && e.message.startsWith('node n1, host key 1: ') && pattern.test(e.message),
  );
}

/** An SSH wire-format blob: each part as an RFC 4251 string. */
function blob(...parts: (string | Buffer)[]): string {
  return Buffer.concat(
    parts.flatMap((p) => {
      const bytes = typeof p === 'string' ? Buffer.from(p, 'latin1') : p;
      const length = Buffer.alloc(4);
      length.writeUInt32BE(bytes.length);
      return [length, bytes];
    }),
  ).toString('base64');
}

describe('parsePublicKey', () => {
  test('accepts real keys of every common type, keeping the comment', () => {
    for (const name of ['ed25519', 'rsa', 'ecdsa256', 'ecdsa384', 'ecdsa521']) {
      const [type, base64] = keys[name]!.split(' ');
      assert.deepEqual(parsePublicKey(keys[name]!, name), { type, base64, comment: `test-${name}` });
    }
    const [type, base64] = keys['ed25519']!.split(' ');
    assert.deepEqual(parsePublicKey(`  ${type} ${base64}\n`, 'x'), { type, base64, comment: '' });
    assert.equal(parsePublicKey(`${type} ${base64} root@host with spaces`, 'x').comment, 'root@host with spaces');
  });

  test('accepts sk- (FIDO) keys, whose blob ends with the application', () => {
    const point = Buffer.alloc(32, 7);
    const key = parsePublicKey(`sk-ssh-ed25519@openssh.com ${blob('sk-ssh-ed25519@openssh.com', point, 'ssh:')} yubikey`, 'x');
    assert.equal(key.type, 'sk-ssh-ed25519@openssh.com');
    const ecPoint = Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 1)]);
    assert.equal(parsePublicKey(`sk-ecdsa-sha2-nistp256@openssh.com ${blob('sk-ecdsa-sha2-nistp256@openssh.com', 'nistp256', ecPoint, 'ssh:')}`, 'x').type, 'sk-ecdsa-sha2-nistp256@openssh.com');
    rejects(`sk-ssh-ed25519@openssh.com ${blob('sk-ssh-ed25519@openssh.com', point)}`, /truncated/);
  });

  test('rejects garbage and empty input', () => {
    rejects('', /no public key given/);
    rejects('hello world', /"hello" is not an OpenSSH public key type/);
    rejects('ssh-ed25519', /no key data after ssh-ed25519/);
    rejects('ssh-ed25519 not*base64!', /not valid base64/);
    rejects('ssh-ed25519 AAAA', /not a well-formed key/);
    rejects(`ssh-ed25519 ${Buffer.from('just some bytes that are no key').toString('base64')}`, /not a well-formed key|says inside/);
  });

  test('rejects a line whose type does not match the type inside the key', () => {
    const ed = keys['ed25519']!.split(' ')[1]!;
    rejects(`ssh-rsa ${ed}`, /says inside that it is a ssh-ed25519 key/);
    const p256 = keys['ecdsa256']!.split(' ')[1]!;
    rejects(`ecdsa-sha2-nistp384 ${p256}`, /says inside that it is a ecdsa-sha2-nistp256 key/);
    // The right outer type but the wrong curve inside.
    const point = Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 1)]);
    rejects(`ecdsa-sha2-nistp384 ${blob('ecdsa-sha2-nistp384', 'nistp256', point)}`, /names the curve "nistp256" where ecdsa-sha2-nistp384 needs nistp384/);
  });

  test('rejects keys cut short or joined with another', () => {
    const ed = keys['ed25519']!.split(' ')[1]!;
    const bytes = Buffer.from(ed, 'base64');
    rejects(`ssh-ed25519 ${bytes.subarray(0, bytes.length - 4).toString('base64')}`, /truncated/);
    const joined = Buffer.concat([bytes, Buffer.from(keys['ed25519b']!.split(' ')[1]!, 'base64')]).toString('base64');
    rejects(`ssh-ed25519 ${joined}`, /data after the end of the key/);
    rejects(`ssh-ed25519 ${ed.slice(0, -3)}`, /not valid base64/);
  });

  test('rejects an options prefix: host keys and CA keys are bare keys', () => {
    rejects(`from="10.0.0.0/8" ${keys['ed25519']}`, /starts with options/);
    rejects(`no-pty,no-port-forwarding ${keys['ed25519']}`, /starts with options/);
    rejects(`restrict ${keys['ed25519']}`, /starts with options/);
  });

  test('rejects lines that are too long, multi-line, or carry control characters', () => {
    rejects(`${keys['ed25519']} ${'x'.repeat(9000)}`, /characters long, more than the 8192/);
    rejects(`ssh-ed25519 ${Buffer.alloc(17000).toString('base64')}`, /characters long|more than OpenSSH's limit/);
    rejects(`${keys['ed25519']}\n${keys['ed25519b']}`, /several lines/);
    rejects(`${keys['ed25519']} bell\x07`, /control characters/);
  });

  test('rejects DSA, weak RSA, and private keys without quoting them', () => {
    rejects(`ssh-dss ${blob('ssh-dss', 'p', 'q', 'g', 'y')}`, /DSA keys/);
    rejects(keys['rsa1024']!, /only 1024 bits/);
    assert.throws(
      () => parsePublicKey('-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----', 'where'),
      (e: unknown) => e instanceof BerthError && /private key/.test(e.message) && !e.message.includes('b3Blbn'),
    );
  });
});

describe('authorizedKeys', () => {
  test('configuration first, then the attribute; each key once; options kept', () => {
    const text = authorizedKeys({
      config: [keys['ed25519']!, `  ${keys['rsa']}  `],
      attribute: [`# the ops team`, `from="10.1.0.0/16",no-agent-forwarding ${keys['ecdsa256']}`, '', `${keys['ed25519']!.split(' ').slice(0, 2).join(' ')} same key, other comment`, `command="echo \\"hi there\\"" ${keys['ed25519b']}`].join('\n'),
    });
    const lines = text.split('\n');
    assert.match(lines[0]!, /^# root's SSH keys, written by berth/);
    assert.deepEqual(lines.slice(1), [keys['ed25519'], keys['rsa'], `from="10.1.0.0/16",no-agent-forwarding ${keys['ecdsa256']}`, `command="echo \\"hi there\\"" ${keys['ed25519b']}`, '']);
  });

  test('no keys: empty content', () => {
    assert.equal(authorizedKeys({}), '');
    assert.equal(authorizedKeys({ attribute: '# nobody\n\n', config: [] }), '');
  });

  test('a bad key names its source and line', () => {
    assert.throws(() => authorizedKeys({ attribute: `${keys['ed25519']}\nssh-rsa ${keys['ed25519']!.split(' ')[1]}` }), (e: unknown) => e instanceof BerthError && e.code === 'BERTH_BAD_INPUT' && e.message.startsWith('attribute ssh.admin_keys, line 2: '));
    assert.throws(() => authorizedKeys({ config: ['garbage'] }), /ssh.admin_keys in the configuration, entry 1/);
    assert.throws(() => authorizedKeys({ attribute: '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----' }), (e: unknown) => e instanceof BerthError && /private key/.test(e.message) && !e.message.includes('b3Blbn'));
  });
});

describe('hostPrincipals', () => {
  test('node name, host names, short forms, addresses, extra names; lower-cased, each once', () => {
    assert.deepEqual(
      hostPrincipals('n1', { hostnames: ['N1.Cluster.Example.org.', 'n1-ib.cluster.example.org'], addresses: ['10.1.0.5/16', 'fd00::5', '10.1.0.5'], extra: ['compute.cluster.example.org', ' n1 '] }),
      ['n1', 'n1.cluster.example.org', 'n1-ib.cluster.example.org', 'n1-ib', '10.1.0.5', 'fd00::5', 'compute.cluster.example.org'],
    );
    assert.deepEqual(hostPrincipals('n2', { hostnames: [], addresses: [], extra: [] }), ['n2']);
  });

  test('rejects principals that would change what the certificate means', () => {
    const bad = (extra: string, pattern: RegExp) =>
      assert.throws(() => hostPrincipals('n1', { hostnames: [], addresses: [], extra: [extra] }), (e: unknown) => e instanceof BerthError && e.code === 'BERTH_BAD_INPUT' && pattern.test(e.message));
    bad('a,b', /comma/);
    bad('a b', /spaces or control/);
    bad('a\tb', /spaces or control/);
    bad('a\x00b', /spaces or control/);
    bad('*.example.org', /wildcard/);
    bad('x'.repeat(254), /longer than 253/);
    assert.throws(() => hostPrincipals('n1', { hostnames: [], addresses: ['10.1.0.300'], extra: [] }), /not an IP address/);
  });
});

describe('knownHostsLine', () => {
  const ca = () => ({ publicKey: `${keys['ed25519']!.split(' ').slice(0, 2).join(' ')} berth-ssh-ca@head`, keyFile: '/nonexistent', serialFile: '/nonexistent' });

  test('@cert-authority, the patterns, the CA key', () => {
    const [type, base64] = keys['ed25519']!.split(' ');
    assert.equal(knownHostsLine(ca()), `@cert-authority * ${type} ${base64} berth-ssh-ca@head`);
    assert.equal(knownHostsLine(ca(), ['*.cluster.example.org', '10.1.*', '!10.1.9.9', '[n1]:2222']), `@cert-authority *.cluster.example.org,10.1.*,!10.1.9.9,[n1]:2222 ${type} ${base64} berth-ssh-ca@head`);
  });

  test('rejects patterns that would change which hosts are trusted', () => {
    for (const pattern of ['', 'a,b', 'a b', '@revoked', 'x\ny']) {
      assert.throws(() => knownHostsLine(ca(), [pattern]), (e: unknown) => e instanceof BerthError && e.code === 'BERTH_BAD_INPUT' && /host pattern/.test(e.message), pattern);
    }
    assert.throws(() => knownHostsLine(ca(), []), /at least one host pattern/);
  });
});

/** The SSH CA through the real daemon: made at start-up, kept across restarts, handed out by the API and `berth ssh known-hosts`. */
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDaemon } from '../helpers/daemon.ts';
import type { Daemon } from '../helpers/daemon.ts';

describe('SSH CA in berth serve', () => {
  let d: Daemon;
  let publicKey: string;

  before(async () => {
    d = await startDaemon();
    publicKey = (await readFile(join(d.stateDir, 'public', 'ssh-ca.pub'), 'utf8')).trim();
  });
  after(async () => {
    await d.stop();
    d.cleanup();
  });

  test('start-up creates the CA: key 0600 in private/, public key in public/', async () => {
    assert.equal((await stat(join(d.stateDir, 'private', 'ssh-ca'))).mode & 0o777, 0o600);
    assert.match(publicKey, /^ssh-ed25519 AAAA\S+ berth-ssh-ca@\S+$/);
    assert.match(d.log(), /created SSH certificate authority/);
  });

  test('GET /api/v1/ssh/known-hosts: the @cert-authority line and the public key', async () => {
    const all = await d.api('GET', '/api/v1/ssh/known-hosts');
    assert.equal(all.status, 200);
    assert.deepEqual(all.json, { line: `@cert-authority * ${publicKey}`, publicKey });
    const narrowed = await d.api('GET', `/api/v1/ssh/known-hosts?pattern=${encodeURIComponent('*.cluster.example.org,10.1.*')}`);
    assert.equal(narrowed.json.line, `@cert-authority *.cluster.example.org,10.1.* ${publicKey}`);
    const bad = await d.api('GET', `/api/v1/ssh/known-hosts?pattern=${encodeURIComponent('a b')}`);
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, 'BERTH_BAD_INPUT');
    assert.match(bad.json.error.message, /host pattern "a b" contains spaces/);
  });

  test('berth ssh known-hosts prints the line; --json the API view; --pattern narrows', () => {
    const plain = d.cli(['ssh', 'known-hosts']);
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(plain.stdout, `@cert-authority * ${publicKey}\n`);
    const json = d.cli(['ssh', 'known-hosts', '--json']);
    assert.deepEqual(JSON.parse(json.stdout), { line: `@cert-authority * ${publicKey}`, publicKey });
    const narrowed = d.cli(['ssh', 'known-hosts', '--pattern', '*.cluster.example.org', '--pattern', '!10.1.9.9']);
    assert.equal(narrowed.stdout, `@cert-authority *.cluster.example.org,!10.1.9.9 ${publicKey}\n`);
  });

  test('berth ssh known-hosts refuses bad input with exit code 2', () => {
    const empty = d.cli(['ssh', 'known-hosts', '--pattern', '']);
    assert.equal(empty.code, 2, empty.stderr);
    assert.match(empty.stderr, /^berth: host pattern "" is empty; known_hosts patterns look like \*, /);
    const split = d.cli(['ssh', 'known-hosts', '--pattern', 'a,,b']);
    assert.equal(split.code, 2, split.stderr);
    const stray = d.cli(['ssh', 'known-hosts', 'n1']);
    assert.equal(stray.code, 2);
    assert.match(stray.stderr, /unexpected argument 'n1'/);
  });

  test('a restart keeps the same CA', async () => {
    const stateDir = d.stateDir;
    assert.equal(await d.stop(), 0);
    d = await startDaemon({ stateDir });
    const again = await d.api('GET', '/api/v1/ssh/known-hosts');
    assert.equal(again.json.publicKey, publicKey);
    assert.doesNotMatch(d.log(), /created SSH certificate authority/);
  });
});

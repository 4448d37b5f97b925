/**
 * The node API's plain-text answers for the node's shell (issue 13): with
 * `Accept: text/plain` the key request answers the key alone and the SSH
 * host certificate route one certificate per line, in the keys' order;
 * without it both answer JSON as before.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDaemon } from '../helpers/daemon.ts';
import type { Daemon } from '../helpers/daemon.ts';
import { writeFakeImageVersion } from '../helpers/fake-image-version.ts';

describe('node API: plain text for the node shell', () => {
  let daemon: Daemon;
  let ca: Buffer;
  let dir: string;
  const call = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; type: string; text: string }>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: daemon.httpsPort, path, method: 'POST', ca, servername: 'localhost', checkServerIdentity: () => undefined, headers: { 'content-type': 'application/json', ...headers } },
        (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type']), text }));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });
  const cli = (args: string[]) => {
    const r = daemon.cli(args);
    assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}`);
  };
  const publicKey = (type: string) => {
    const file = join(dir, `key-${type}`);
    assert.equal(spawnSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', file]).status, 0);
    return readFileSync(`${file}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
  };

  before(async () => {
    daemon = await startDaemon();
    ca = readFileSync(join(daemon.stateDir, 'public/ca.pem'));
    dir = mkdtempSync(join(tmpdir(), 'berth-text-'));
    await writeFakeImageVersion(daemon.stateDir, 'img', 1);
    cli(['profile', 'define', 'p', '--image', 'img@1']);
    cli(['node', 'define', 'n1', 'net.eth0.ipv4_address=127.0.0.1/8']);
    cli(['deploy', 'n1', 'p', '--no-wait']);
  });
  after(async () => {
    await daemon?.stop();
    daemon?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the key alone with Accept: text/plain; JSON otherwise', async () => {
    const text = await call('/node/v1/key', { node: 'n1' }, { accept: 'text/plain' });
    assert.equal(text.status, 200);
    assert.match(text.type, /^text\/plain/);
    assert.match(text.text, /^[A-Za-z0-9_-]{43}\n$/);
    cli(['node', 'set', 'n1', 'deployment.armed=once']);
    const json = await call('/node/v1/key', { node: 'n1' });
    assert.match(json.type, /^application\/json/);
    const granted = JSON.parse(json.text);
    assert.equal(granted.node, 'n1');
    assert.match(granted.key, /^[A-Za-z0-9_-]{43}$/);
    // A refusal is the same either way: the shell shows berth's error as it came.
    const refused = await call('/node/v1/key', { node: 'n1' }, { accept: 'text/plain' });
    assert.equal(refused.status, 403);
    assert.match(refused.text, /no node key granted/);

    const auth = { authorization: `BerthNode n1:${granted.key}` };
    const keys = [publicKey('ed25519'), publicKey('ecdsa')];
    const certs = await call('/node/v1/nodes/n1/ssh-host-certificates', { publicKeys: keys }, { ...auth, accept: 'text/plain' });
    assert.equal(certs.status, 200, certs.text);
    const lines = certs.text.split('\n');
    assert.equal(lines.pop(), '', 'every line ends');
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^ssh-ed25519-cert-v01@openssh\.com /);
    assert.match(lines[1]!, /^ecdsa-sha2-nistp256-cert-v01@openssh\.com /);
    const asJson = JSON.parse((await call('/node/v1/nodes/n1/ssh-host-certificates', { publicKeys: keys }, auth)).text);
    assert.equal(asJson.certificates.length, 2);
    assert.ok(asJson.principals.includes('n1'));
  });
});

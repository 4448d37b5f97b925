/**
 * A token that mints tokens, against a real daemon over HTTPS: what it
 * creates expires no later than it does, records who created it, and is
 * revoked with it (transitively). Before, a one-hour token created a
 * never-expiring one, which outlived both its expiry and its revocation.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDaemon } from '../helpers/daemon.ts';
import type { Daemon } from '../helpers/daemon.ts';

describe('tokens created with tokens', () => {
  let d: Daemon;
  let ca: string;
  const https = (token: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const headers: Record<string, string> = { authorization: `Bearer ${token}` };
      if (payload) headers['content-type'] = 'application/json';
      const req = request({ host: '127.0.0.1', port: d.httpsPort, path, method, headers, ca }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined }));
      });
      req.on('error', reject);
      req.end(payload);
    });
  const inHours = (hours: number) => new Date(Date.now() + hours * 3_600_000).toISOString();

  before(async () => {
    d = await startDaemon();
    ca = readFileSync(join(d.stateDir, 'public/ca.pem'), 'utf8');
  });
  after(async () => {
    await d.stop();
    d.cleanup();
  });

  test('a one-hour token cannot mint a longer-lived one; without an expiry the child inherits its creator’s', async () => {
    const hour = await d.api('POST', '/api/v1/tokens', { name: 'hour', expires: inHours(1) });
    assert.equal(hour.status, 201);
    const creatorExpiry = hour.json.info.expires as string;
    assert.equal(hour.json.info.createdBy, undefined, 'created on the unix socket');

    const child = await https(hour.json.token, 'POST', '/api/v1/tokens', { name: 'child' });
    assert.equal(child.status, 201, JSON.stringify(child.json));
    assert.equal(child.json.info.expires, creatorExpiry, 'inherits the creator’s expiry instead of never expiring');
    assert.equal(child.json.info.createdBy, hour.json.info.id);

    const longer = await https(hour.json.token, 'POST', '/api/v1/tokens', { name: 'year', expires: inHours(24 * 365) });
    assert.equal(longer.status, 403);
    assert.equal(longer.json.error.code, 'BERTH_FORBIDDEN');
    assert.match(longer.json.error.message, /cannot outlive the token that creates it: 'hour' expires/);
    assert.ok(!JSON.stringify(longer.json).includes(hour.json.token.slice(-20)), 'no secret in the error');

    const shorter = await https(child.json.token, 'POST', '/api/v1/tokens', { name: 'grandchild', expires: inHours(0.5) });
    assert.equal(shorter.status, 201);
    assert.equal(shorter.json.info.createdBy, child.json.info.id);

    const listed = await d.api('GET', '/api/v1/tokens');
    const byName = Object.fromEntries(listed.json.tokens.map((t: { name: string }) => [t.name, t]));
    assert.equal(byName['child'].createdBy, hour.json.info.id, 'the creator is recorded and listed');
    assert.equal(byName['year'], undefined, 'the refused token was not written');

    // Revoking the creator revokes what it created, and what that created.
    const revoked = await d.api('DELETE', '/api/v1/tokens/hour');
    assert.equal(revoked.status, 200);
    assert.deepEqual(revoked.json.alsoRevoked.map((t: { name: string }) => t.name).sort(), ['child', 'grandchild']);
    for (const token of [hour.json.token, child.json.token, shorter.json.token]) {
      assert.equal((await https(token, 'GET', '/api/v1/status')).status, 401);
    }
    assert.deepEqual((await d.api('GET', '/api/v1/tokens')).json.tokens, []);
  });

  test('only a token without expiry (or root on the socket) creates one without expiry', async () => {
    const forever = await d.api('POST', '/api/v1/tokens', { name: 'automation' });
    assert.equal(forever.json.info.expires, undefined);
    const child = await https(forever.json.token, 'POST', '/api/v1/tokens', { name: 'automation-child' });
    assert.equal(child.status, 201);
    assert.equal(child.json.info.expires, undefined);
    assert.equal(child.json.info.createdBy, forever.json.info.id);
    // A token revoked by id takes its children along too.
    const revoked = await d.api('DELETE', `/api/v1/tokens/${forever.json.info.id}`);
    assert.deepEqual(revoked.json.alsoRevoked.map((t: { name: string }) => t.name), ['automation-child']);
    assert.equal((await https(child.json.token, 'GET', '/api/v1/status')).status, 401);
  });

  test('the CLI reads the token from --token-file or BERTH_TOKEN_FILE, keeping it out of argv', async () => {
    const created = await d.api('POST', '/api/v1/tokens', { name: 'cli-file', expires: inHours(1) });
    const file = join(d.stateDir, 'cli-token');
    writeFileSync(file, `${created.json.token}\n`, { mode: 0o600 });
    const remote = ['--server', `https://127.0.0.1:${d.httpsPort}`, '--ca', join(d.stateDir, 'public/ca.pem')];
    const withFlag = d.cli([...remote, '--token-file', file, 'token', 'list']);
    assert.equal(withFlag.code, 0, withFlag.stderr);
    assert.match(withFlag.stdout, /cli-file/);
    const withEnv = d.cli([...remote, 'token', 'list'], { env: { BERTH_TOKEN_FILE: file } });
    assert.equal(withEnv.code, 0, withEnv.stderr);
    const missing = d.cli([...remote, '--token-file', join(d.stateDir, 'absent'), 'token', 'list']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--token-file \S+absent: cannot read the token: ENOENT/);
    await d.api('DELETE', '/api/v1/tokens/cli-file');
  });
});

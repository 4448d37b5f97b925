/** The admin API against a real daemon: socket, HTTPS with tokens, OpenAPI, validation, lifecycle. */
import assert from 'node:assert/strict';
import { statSync, existsSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { after, before, describe, test } from 'node:test';
import { join } from 'node:path';
import { startDaemon } from '../helpers/daemon.ts';
import type { Daemon } from '../helpers/daemon.ts';

function https(port: number, path: string, options: { token?: string; ca?: string; method?: string; body?: unknown } = {}): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = {};
    if (options.token) headers['authorization'] = `Bearer ${options.token}`;
    if (payload) headers['content-type'] = 'application/json';
    const req = request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers, ...(options.ca ? { ca: options.ca } : {}) }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

describe('berth serve', () => {
  let daemon: Daemon;
  before(async () => {
    daemon = await startDaemon();
  });
  after(async () => {
    await daemon.stop();
    daemon.cleanup();
  });

  test('the admin socket is root-only and private/ is 0700', () => {
    assert.equal(statSync(daemon.socket).mode & 0o777, 0o600);
    assert.equal(statSync(join(daemon.stateDir, 'private')).mode & 0o777, 0o700);
  });

  test('serves its OpenAPI document, describing every endpoint with schemas', async () => {
    const { status, json } = await daemon.api('GET', '/api/v1/openapi.json');
    assert.equal(status, 200);
    assert.equal(json.openapi, '3.1.0');
    assert.ok(json.paths['/api/v1/nodes'].post.requestBody.content['application/json'].schema.properties.noderange);
    assert.ok(json.paths['/api/v1/nodes'].patch);
    assert.ok(json.paths['/api/v1/groups/{name}'].delete);
  });

  test('validates requests against the same schemas and says what is wrong', async () => {
    const unknown = await daemon.api('POST', '/api/v1/nodes', { noderange: 'x1', colour: 'red' });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.json.error.code, 'BERTH_BAD_INPUT');
    assert.match(unknown.json.error.message, /unknown property 'colour'/);
    const wrongType = await daemon.api('PATCH', '/api/v1/nodes', { noderange: 'x1', set: { 'id.serial': 5 } });
    assert.equal(wrongType.status, 400);
    assert.match(wrongType.json.error.message, /\/set\/id\.serial must be string/);
    const missing = await daemon.api('GET', '/api/v1/nosuch');
    assert.equal(missing.status, 404);
  });

  test('noderange syntax errors carry the column', async () => {
    await daemon.api('POST', '/api/v1/nodes', { noderange: 'c[1-3]' });
    const { status, json } = await daemon.api('GET', '/api/v1/nodes?range=' + encodeURIComponent('c1,(c2'));
    assert.equal(status, 400);
    assert.equal(json.error.code, 'BERTH_NODERANGE_SYNTAX');
    assert.equal(typeof json.error.where.column, 'number');
    assert.equal(json.error.where.input, 'c1,(c2');
  });

  test('HTTPS needs a token; a created token works until revoked', async () => {
    const ca = readFileSync(join(daemon.stateDir, 'public/ca.pem'), 'utf8');
    const anonymous = await https(daemon.httpsPort, '/api/v1/status', { ca });
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.json.error.code, 'BERTH_UNAUTHORIZED');

    const created = await daemon.api('POST', '/api/v1/tokens', { name: 'ops' });
    assert.equal(created.status, 201);
    const token = created.json.token as string;
    const listed = await daemon.api('GET', '/api/v1/tokens');
    assert.deepEqual(listed.json.tokens.map((t: { name: string }) => t.name), ['ops']);
    assert.ok(!JSON.stringify(listed.json).includes(token.slice(-20)), 'secrets are never listed');
    assert.ok(!readFileSync(join(daemon.stateDir, 'store.db')).includes(Buffer.from(token)), 'the store keeps only a hash');

    const ok = await https(daemon.httpsPort, '/api/v1/status', { ca, token });
    assert.equal(ok.status, 200);
    assert.equal(typeof ok.json.version, 'string');

    const bad = await https(daemon.httpsPort, '/api/v1/status', { ca, token: token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A') });
    assert.equal(bad.status, 401);

    await daemon.api('DELETE', '/api/v1/tokens/ops');
    const revoked = await https(daemon.httpsPort, '/api/v1/status', { ca, token });
    assert.equal(revoked.status, 401);
  });

  test('the server certificate is trusted through berth\'s own CA only', async () => {
    await assert.rejects(https(daemon.httpsPort, '/api/v1/status'), /self[- ]signed|unable to verify|certificate/i);
  });

  test('refuses to start a second time on the same state dir', async () => {
    await assert.rejects(startDaemon({ stateDir: daemon.stateDir }), /already running/);
  });
});

test('SIGTERM shuts the server down cleanly and the next start takes over', async () => {
  const daemon = await startDaemon();
  try {
    await daemon.api('POST', '/api/v1/nodes', { noderange: 'm[1-3]' });
    assert.equal(await daemon.stop('SIGTERM'), 0);
    assert.match(daemon.log(), /berth serve stopped/);
    assert.equal(existsSync(join(daemon.stateDir, 'server.lock')), false);
    const again = await startDaemon({ stateDir: daemon.stateDir });
    const { json } = await again.api('GET', '/api/v1/nodes');
    assert.deepEqual(json.nodes.map((n: { name: string }) => n.name), ['m1', 'm2', 'm3']);
    await again.stop();
  } finally {
    daemon.cleanup();
  }
});

test('the config file places the socket, names the certificate and sets the log level', async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { spawnSync } = await import('node:child_process');
  const dir = mkdtempSync(join(tmpdir(), 'berth-config-'));
  const socket = join(dir, 'api.sock');
  const config = join(dir, 'berth.yaml');
  writeFileSync(config, `state_dir: ${join(dir, 'state')}\napi:\n  socket: ${socket}\ntls:\n  hostnames: [head.cluster.example]\nlog:\n  level: debug\n`);
  const daemon = await startDaemon({ stateDir: join(dir, 'state'), extraArgs: ['--config', config], env: { BERTH_LOG_LEVEL: '' } });
  try {
    assert.ok(existsSync(socket), 'socket where the config says');
    const { apiRequest } = await import('../helpers/daemon.ts');
    assert.equal((await apiRequest(socket, 'GET', '/api/v1/status')).status, 200);
    await new Promise((r) => setTimeout(r, 100));
    assert.match(daemon.log(), /"level":"debug","msg":"request"/);
    const san = spawnSync('openssl', ['x509', '-noout', '-ext', 'subjectAltName', '-in', join(dir, 'state/private/server.pem')], { encoding: 'utf8' });
    assert.match(san.stdout, /DNS:head\.cluster\.example/);
    assert.match(san.stdout, /IP Address:127\.0\.0\.1/);
  } finally {
    await daemon.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const badDir = mkdtempSync(join(tmpdir(), 'berth-config-'));
  const badConfig = join(badDir, 'berth.yaml');
  writeFileSync(badConfig, `state_dir: ${badDir}/state\napi:\n  lisen: ["*:8443"]\n`);
  const bad = spawnSync(join(import.meta.dirname, '../../bin/berth'), ['serve', '--config', badConfig], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /berth\.yaml:3.*api\.lisen.*did you mean api\.listen/s);
  assert.equal(existsSync(join(badDir, 'state')), false, 'nothing written for a bad config');
  rmSync(badDir, { recursive: true, force: true });
});

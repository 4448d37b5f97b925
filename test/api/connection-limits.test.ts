/**
 * The HTTPS admin and node API listener under the connection attacks of the
 * security review (a real daemon), and the descriptor budget its caps come
 * from.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { descriptorBudget, openFileLimit } from '../../src/util/connection-limits.ts';
import { startDaemon } from '../helpers/daemon.ts';
import type { Daemon } from '../helpers/daemon.ts';

function silent(port: number, localAddress: string): Promise<Socket> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress });
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve(socket));
    socket.once('close', () => resolve(socket));
  });
}

function httpsStatus(port: number, ca: string, localAddress: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ socket: connect({ host: '127.0.0.1', port, localAddress }), ca, servername: 'localhost', checkServerIdentity: () => undefined }, () =>
      socket.write('GET /api/v1/status HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'),
    );
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (c: string) => (text += c));
    socket.on('error', reject);
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? 0)));
  });
}

const openNow = (sockets: Socket[]) => sockets.filter((s) => !s.destroyed && s.readyState === 'open').length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('descriptor budget', () => {
  test('reads the soft RLIMIT_NOFILE from /proc/self/limits', () => {
    assert.equal(openFileLimit('Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 524288               files\n'), 1024);
    assert.equal(openFileLimit('Max open files            unlimited            unlimited            files\n'), Number.MAX_SAFE_INTEGER);
    assert.equal(openFileLimit('nothing here'), undefined);
    assert.ok((openFileLimit() ?? 0) > 0);
  });

  test('with 65536 descriptors the caps are the ones sized for 10,000 nodes', () => {
    const b = descriptorBudget(65536);
    assert.equal(b.bootHttp.maxConnections, 8192);
    assert.equal(b.bootHttp.maxPerAddress, 32);
    assert.equal(b.https.maxConnections, 2048);
    assert.equal(b.reserve, 1024);
  });

  for (const limit of [256, 1024, 4096, 20000]) {
    test(`with ${limit} descriptors every cap together leaves a reserve under the limit`, () => {
      const b = descriptorBudget(limit);
      const used = 2 * b.bootHttp.maxConnections + b.https.maxConnections + 2 * b.nbdConnections + 2 * b.tftpTransfers;
      assert.ok(used + b.reserve <= limit, `${used} + ${b.reserve} > ${limit}`);
      assert.ok(b.reserve >= Math.min(1024, Math.floor(limit / 4)));
      assert.ok(b.bootHttp.maxPerAddress <= b.bootHttp.maxConnections);
      assert.ok(b.https.maxPerAddress <= b.https.maxConnections);
    });
  }
});

describe('HTTPS listener under connection attacks', () => {
  let d: Daemon;
  let ca: string;
  const sockets: Socket[] = [];

  before(async () => {
    d = await startDaemon();
    ca = readFileSync(join(d.stateDir, 'public/ca.pem'), 'utf8');
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await d.stop();
    d.cleanup();
  });

  test('TCP connections that never send a ClientHello are closed by the server', async () => {
    const idle = await Promise.all(Array.from({ length: 20 }, () => silent(d.httpsPort, '127.0.0.1')));
    assert.equal(openNow(idle), 20);
    const deadline = Date.now() + 25_000;
    while (openNow(idle) > 0 && Date.now() < deadline) await sleep(250);
    assert.equal(openNow(idle), 0, 'silent connections still open after 25 s');
    for (const s of idle) s.destroy();
  });

  test('one address cannot hold more than its share; other clients and the admin socket still get in', async () => {
    const attempts = await Promise.all(Array.from({ length: 150 }, () => silent(d.httpsPort, '127.0.0.3')));
    sockets.push(...attempts);
    await sleep(500);
    const held = openNow(attempts);
    assert.ok(held > 0 && held <= 64, `held ${held}`);
    assert.equal(await httpsStatus(d.httpsPort, ca, '127.0.0.4'), 401);
    const status = await d.api('GET', '/api/v1/boot/status');
    assert.equal(status.status, 200);
    assert.ok(status.json.dropped['api.max-per-address'] >= 150 - 64, JSON.stringify(status.json.dropped));
  });
});

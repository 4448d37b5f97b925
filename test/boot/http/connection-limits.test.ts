/**
 * Boot HTTP against connection floods, on a real daemon started with a low
 * descriptor limit (512): the attack from the security review was 20,000
 * silent TCP connections, after which the admin socket, HTTPS, the node API
 * and TFTP all failed with EMFILE. Here boot HTTP is flooded past its cap
 * from many loopback addresses, and everything else must still answer.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDaemon } from '../../helpers/daemon.ts';
import type { Daemon } from '../../helpers/daemon.ts';

const LIMIT = 512;

function openFiles(pid: number): string {
  return /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'))!.slice(1, 3).join(':');
}

/** Opens a TCP connection that sends nothing; resolves once connected (or refused). */
function silent(port: number, localAddress: string): Promise<Socket> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress });
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve(socket));
    socket.once('close', () => resolve(socket));
  });
}

function httpGet(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(`GET ${path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`));
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (c: string) => (text += c));
    socket.on('error', reject);
    socket.on('close', () => resolve(text));
  });
}

function httpsStatus(port: number, ca: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost', checkServerIdentity: () => undefined }, () =>
      socket.write('GET /api/v1/status HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'),
    );
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (c: string) => (text += c));
    socket.on('error', reject);
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? 0)));
  });
}

/** A TFTP read request for a file that does not exist: the server must still answer (ERROR, opcode 5). */
function tftpAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      resolve(false);
    }, 3000);
    socket.on('message', (msg) => {
      clearTimeout(timer);
      socket.close();
      resolve(msg.readUInt16BE(0) === 5);
    });
    socket.send(Buffer.from('\x00\x01no-such-file\x00octet\x00', 'latin1'), port, '127.0.0.1');
  });
}

const openNow = (sockets: Socket[]) => sockets.filter((s) => !s.destroyed && s.readyState === 'open').length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('boot HTTP under connection floods (daemon at RLIMIT_NOFILE 512)', () => {
  let d: Daemon;
  let httpPort: number;
  let tftpPort: number;
  let ca: string;
  const sockets: Socket[] = [];

  before(async () => {
    d = await startDaemon({ openFiles: LIMIT });
    assert.equal(openFiles(d.process.pid!), `${LIMIT}:${LIMIT}`);
    const status = JSON.parse(d.cli(['boot', 'status', '--json']).stdout);
    httpPort = status.httpPort;
    tftpPort = status.tftpPort;
    ca = readFileSync(join(d.stateDir, 'public/ca.pem'), 'utf8');
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await d.stop();
    d.cleanup();
  });

  test('the daemon logs the caps it computed from its descriptor limit', () => {
    const line = d.log().split('\n').find((l) => l.includes('"connection limits"'));
    assert.ok(line, 'no "connection limits" log line');
    const record = JSON.parse(line);
    assert.equal(record.openFiles, LIMIT);
    assert.ok(record.bootHttp + record.https + 2 * record.nbd + 2 * record.tftp + record.reserve <= LIMIT, line);
  });

  test('connections that never send a request are closed by the server', async () => {
    const idle = await Promise.all(Array.from({ length: 20 }, () => silent(httpPort, '127.0.0.1')));
    assert.equal(openNow(idle), 20);
    const deadline = Date.now() + 25_000;
    while (openNow(idle) > 0 && Date.now() < deadline) await sleep(250);
    assert.equal(openNow(idle), 0, 'idle connections still open after 25 s');
    for (const s of idle) s.destroy();
    assert.match(await httpGet(httpPort, '/boot/ipxe/52:54:00:00:00:01'), /^HTTP\/1\.1 200/);
  });

  test('a keep-alive connection is closed once it has been idle after its request', async () => {
    const socket = connect({ host: '127.0.0.1', port: httpPort });
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (c: string) => (text += c));
    socket.on('error', () => undefined);
    await new Promise<void>((r) => socket.once('connect', () => r()));
    socket.write('GET /boot/ipxe/52:54:00:00:00:01 HTTP/1.1\r\nhost: x\r\n\r\n');
    const started = Date.now();
    await new Promise<void>((r) => socket.once('close', () => r()));
    assert.match(text, /^HTTP\/1\.1 200/);
    assert.ok(Date.now() - started < 20_000, `closed after ${Date.now() - started} ms`);
  });

  test('past its caps boot HTTP refuses, and the admin socket, HTTPS and TFTP still answer', async () => {
    // 25 loopback addresses × 40 connections: over the cap per address (32) and over the cap in all.
    const attempts: Promise<Socket>[] = [];
    for (let a = 2; a < 27; a++) for (let i = 0; i < 40; i++) attempts.push(silent(httpPort, `127.0.0.${a}`));
    sockets.push(...(await Promise.all(attempts)));
    await sleep(1000);
    const held = openNow(sockets);
    const pid = d.process.pid!;
    const descriptors = readdirSync(`/proc/${pid}/fd`).length;
    console.log(`boot HTTP flood: ${sockets.length} attempts, ${held} held by the daemon, ${descriptors} descriptors open (limit ${LIMIT})`);
    assert.ok(held > 0 && held < sockets.length, `held ${held} of ${sockets.length}`);
    assert.ok(descriptors < LIMIT, `${descriptors} descriptors`);

    const status = await d.api('GET', '/api/v1/boot/status');
    assert.equal(status.status, 200);
    assert.ok(status.json.dropped['http.max-per-address'] > 0, JSON.stringify(status.json.dropped));
    assert.ok(status.json.dropped['http.max-connections'] > 0, JSON.stringify(status.json.dropped));
    assert.equal(await httpsStatus(d.httpsPort, ca), 401);
    assert.equal(await tftpAnswers(tftpPort), true);
    assert.doesNotMatch(d.log(), /EMFILE/);

    for (const s of sockets) s.destroy();
    await sleep(300);
    assert.match(await httpGet(httpPort, '/boot/ipxe/52:54:00:00:00:01'), /^HTTP\/1\.1 200/);
  });
});

/**
 * Request bodies have a limit per route, enforced before a byte is buffered:
 * the anonymous key request takes about 1 KiB, node routes little, and only
 * inventory import and bulk node definitions take large bodies. Attacks from
 * the security review: a 256 MiB body to `POST /node/v1/key` (no credential
 * needed) and malformed percent escapes in API paths.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { connect } from 'node:tls';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { startDaemon } from '../helpers/daemon.ts';
import type { Daemon } from '../helpers/daemon.ts';

interface RawResponse {
  status: number;
  headers: string;
  body: string;
  /** Bytes of the body the client managed to write before the server answered or closed. */
  sent: number;
}

/**
 * A request over raw TLS, so the test controls exactly what is sent: the
 * head, then `bodyBytes` of body in 64 KiB writes (chunked when `chunked`),
 * stopping as soon as the server answers or closes.
 */
function rawRequest(port: number, ca: string, head: string, options: { bodyBytes: number; chunked?: boolean; timeoutMs?: number }): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket: TLSSocket = connect({ host: '127.0.0.1', port, ca, servername: 'localhost', checkServerIdentity: () => undefined });
    let received = '';
    let sent = 0;
    let answered = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer in ${options.timeoutMs ?? 10_000} ms (sent ${sent} body bytes)`));
    }, options.timeoutMs ?? 10_000);
    const finish = () => {
      clearTimeout(timer);
      const match = /^HTTP\/1\.1 (\d{3})/.exec(received);
      if (!match) return reject(new Error(`no HTTP response (sent ${sent} body bytes): ${JSON.stringify(received.slice(0, 200))}`));
      const split = received.indexOf('\r\n\r\n');
      resolve({ status: Number(match[1]), headers: received.slice(0, split).toLowerCase(), body: received.slice(split + 4), sent });
    };
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      received += chunk;
      answered = true;
    });
    socket.on('error', () => undefined);
    socket.on('close', finish);
    socket.once('secureConnect', () => {
      socket.write(head);
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (!answered && !socket.destroyed && sent < options.bodyBytes) {
          const piece = chunk.subarray(0, Math.min(chunk.length, options.bodyBytes - sent));
          sent += piece.length;
          const framed = options.chunked ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece;
          if (!socket.write(framed)) return socket.once('drain', pump);
        }
        if (!answered && !socket.destroyed && options.chunked && sent >= options.bodyBytes) socket.write('0\r\n\r\n');
      };
      pump();
      // The server answers, then closes (connection: close); give it the chance to.
      socket.on('data', () => setTimeout(() => socket.destroy(), 200).unref());
    });
  });
}

function rssKiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
}

describe('request body limits and malformed paths', () => {
  let d: Daemon;
  let ca: string;

  before(async () => {
    d = await startDaemon();
    ca = readFileSync(join(d.stateDir, 'public/ca.pem'), 'utf8');
  });
  after(async () => {
    await d.stop();
    d.cleanup();
  });

  const keyHead = (extra: string) => `POST /node/v1/key HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n${extra}\r\n`;

  test('a key request declaring 256 MiB is refused with 413 before any of it is sent', async () => {
    const r = await rawRequest(d.httpsPort, ca, keyHead(`content-length: ${256 * 1024 * 1024}\r\n`), { bodyBytes: 0, timeoutMs: 5000 });
    assert.equal(r.status, 413);
    assert.equal(JSON.parse(r.body).error.code, 'BERTH_TOO_LARGE');
    assert.match(JSON.parse(r.body).error.message, /1024 bytes/);
  });

  test('a chunked key request is cut off at the limit with 413, not read to the end', async () => {
    const r = await rawRequest(d.httpsPort, ca, keyHead('transfer-encoding: chunked\r\n'), { bodyBytes: 64 * 1024 * 1024, chunked: true });
    assert.equal(r.status, 413);
    assert.equal(JSON.parse(r.body).error.code, 'BERTH_TOO_LARGE');
    // The client's socket buffers may hold a few MiB; the 64 MiB were not all taken.
    assert.ok(r.sent < 32 * 1024 * 1024, `the server took ${r.sent} bytes before refusing`);
  });

  test('a small key request is still read and answered on its merits', async () => {
    const body = JSON.stringify({ node: 'no-such-node' });
    const r = await rawRequest(d.httpsPort, ca, keyHead(`content-length: ${body.length}\r\n`) + body, { bodyBytes: 0 });
    assert.notEqual(r.status, 413);
    assert.notEqual(r.status, 500);
    assert.ok(r.status >= 400 && r.status < 500, `status ${r.status}`);
  });

  test('two 256 MiB attempts do not grow the daemon by hundreds of MB', async () => {
    const pid = d.process.pid!;
    const before = rssKiB(pid);
    for (let i = 0; i < 2; i++) {
      const r = await rawRequest(d.httpsPort, ca, keyHead('transfer-encoding: chunked\r\n'), { bodyBytes: 256 * 1024 * 1024, chunked: true, timeoutMs: 30_000 });
      assert.equal(r.status, 413);
    }
    const afterRss = rssKiB(pid);
    console.log(`daemon RSS before ${Math.round(before / 1024)} MB, after two 256 MiB key requests ${Math.round(afterRss / 1024)} MB`);
    assert.ok(afterRss - before < 100 * 1024, `RSS grew from ${before} kB to ${afterRss} kB`);
  });

  test('an admin route without a large limit refuses a large Content-Length too (admin socket)', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ socketPath: d.socket, method: 'POST', path: '/api/v1/tokens', headers: { 'content-type': 'application/json', 'content-length': 200 * 1024 * 1024 } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    assert.equal(status, 413);
  });

  test('inventory import still takes a body of several MiB', async () => {
    const nodes: Record<string, { attributes: Record<string, string> }> = {};
    for (let i = 0; i < 20_000; i++) nodes[`n${i}`] = { attributes: { 'id.uuid': `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, 'location.rack': `rack-${i % 100}-with-a-longer-name` } };
    const document = { format: (await d.api('GET', '/api/v1/inventory')).json.format, groups: {}, nodes };
    assert.ok(JSON.stringify(document).length > 2 * 1024 * 1024);
    const r = await d.api('PUT', '/api/v1/inventory', document);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json.nodes, 20_000);
  });

  test('a malformed percent escape in a path is 400 BERTH_BAD_INPUT, not logged as an error', async () => {
    for (const path of ['/api/v1/nodes/%E0%A4%A', '/api/v1/nodes/%', '/api/v1/groups/%ZZ']) {
      const r = await d.api('GET', path);
      assert.equal(r.status, 400, path);
      assert.equal(r.json.error.code, 'BERTH_BAD_INPUT', path);
      assert.match(r.json.error.message, /percent/);
    }
    assert.doesNotMatch(d.log(), /"level":"error"/);
  });
});

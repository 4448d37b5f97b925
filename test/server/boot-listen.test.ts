/**
 * `boot.listen`: boot HTTP, TFTP and NBD listen on the boot networks' own
 * addresses, not on every interface of the head node (security review item
 * 18). Parsed here, then checked on a real daemon: bound to 127.0.0.1, the
 * boot ports must not answer on 127.0.0.2 (loopback is a /8 on Linux, and a
 * socket on every address does answer there; the test checks that too).
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { BerthError } from '../../src/errors.ts';
import { mergeConfig, parseConfig } from '../../src/server/config.ts';
import { startDaemon } from '../helpers/daemon.ts';

const networks = 'boot:\n  networks:\n    - name: mgmt\n      subnet: 10.1.0.0/16\n      server_address: 10.1.0.1\n    - name: site\n      subnet: 192.0.2.0/24\n      mode: proxy\n      server_address: 192.0.2.10\n';

function configError(text: string): BerthError {
  try {
    parseConfig(text, '/etc/berth/berth.yaml');
  } catch (e) {
    assert.ok(e instanceof BerthError && e.code === 'BERTH_CONFIG', String(e));
    return e;
  }
  assert.fail('expected a BERTH_CONFIG error');
}

describe('boot.listen in berth.yaml', () => {
  test('defaults to the server address of each boot network', () => {
    assert.deepEqual(mergeConfig(parseConfig(networks, 'f')).boot.listen, ['10.1.0.1', '192.0.2.10']);
  });

  test('without boot networks (proxy beside the site DHCP, labs) the default is every address', () => {
    assert.deepEqual(mergeConfig(parseConfig('boot:\n  http_port: 8080\n', 'f')).boot.listen, []);
    assert.deepEqual(mergeConfig().boot.listen, []);
  });

  test('a list of addresses replaces the default; "*" alone is every address', () => {
    assert.deepEqual(mergeConfig(parseConfig(`${networks}  listen: [10.1.0.1, "::1"]\n`, 'f')).boot.listen, ['10.1.0.1', '::1']);
    assert.deepEqual(mergeConfig(parseConfig(`${networks}  listen: ["*"]\n`, 'f')).boot.listen, []);
  });

  test('bad values are config errors naming the key and line', () => {
    const e = configError('boot:\n  listen: [10.1.0.1, eth0, 10.1.0.300]\n');
    assert.equal(e.more.length, 2);
    assert.match(e.more[0]!.message, /^\/etc\/berth\/berth\.yaml:2: boot\.listen\[1\]: expected an IPv4 or IPv6 address of this host, or "\*" for every address, got string "eth0"/);
    assert.match(e.more[1]!.message, /boot\.listen\[2\]: .*"10\.1\.0\.300"/);
    assert.match(configError('boot:\n  listen: []\n').message, /boot\.listen: give at least one address/);
    assert.match(configError('boot:\n  listen: ["*", 10.1.0.1]\n').message, /boot\.listen: "\*" is every address already/);
    assert.match(configError('boot:\n  listen: 10.1.0.1\n').message, /boot\.listen: expected a list/);
  });
});

function tcpAnswers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function tftpAnswers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      resolve(false);
    }, 1500);
    socket.on('error', () => undefined);
    socket.on('message', () => {
      clearTimeout(timer);
      socket.close();
      resolve(true);
    });
    socket.send(Buffer.from('\x00\x01no-such-file\x00octet\x00', 'latin1'), port, host);
  });
}

async function bootPorts(listen: string | undefined): Promise<Record<string, Record<string, boolean>>> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-listen-'));
  const config = join(dir, 'berth.yaml');
  writeFileSync(config, listen === undefined ? '{}\n' : `boot:\n  listen: [${listen}]\n`);
  const d = await startDaemon({ extraArgs: ['--config', config] });
  try {
    const status = JSON.parse(d.cli(['boot', 'status', '--json']).stdout);
    const out: Record<string, Record<string, boolean>> = {};
    for (const host of ['127.0.0.1', '127.0.0.2', '127.0.0.3']) {
      out[host] = { http: await tcpAnswers(host, status.httpPort), nbd: await tcpAnswers(host, status.nbd.port), tftp: await tftpAnswers(host, status.tftpPort) };
    }
    return out;
  } finally {
    await d.stop();
    d.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('boot.listen on a real daemon', () => {
  test('with boot.listen=[127.0.0.1, 127.0.0.3], boot HTTP, TFTP and NBD answer there on one port each, and not on 127.0.0.2', async () => {
    const ports = await bootPorts('127.0.0.1, 127.0.0.3');
    assert.deepEqual(ports['127.0.0.1'], { http: true, nbd: true, tftp: true });
    assert.deepEqual(ports['127.0.0.3'], { http: true, nbd: true, tftp: true });
    assert.deepEqual(ports['127.0.0.2'], { http: false, nbd: false, tftp: false });
  });

  test('without it (and without boot networks) they answer on every address, 127.0.0.2 too', async () => {
    const ports = await bootPorts(undefined);
    assert.deepEqual(ports['127.0.0.2'], { http: true, nbd: true, tftp: true });
  });
});

/**
 * A new administrator's first remote commands: a server address typed
 * without https://, a bad one, and the TLS failure of a missing or wrong
 * --ca. Each ends in a message naming what to change, never a stack trace.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDaemon } from '../helpers/daemon.ts';
import type { Daemon } from '../helpers/daemon.ts';

const STACK = /^\s+at /m;

describe('berth --server', () => {
  let d: Daemon;
  let env: Record<string, string>;

  before(async () => {
    d = await startDaemon();
    const token = d.cli(['token', 'create', 'remote']);
    assert.equal(token.code, 0, token.stderr);
    env = { BERTH_TOKEN: token.stdout.trim(), BERTH_SOCKET: '/nonexistent', BERTH_CA: join(d.stateDir, 'public/ca.pem') };
  });
  after(async () => {
    await d.stop();
    d.cleanup();
  });

  test('HOST:PORT without a scheme means https://HOST:PORT, from the flag and from BERTH_SERVER', () => {
    const flag = d.cli(['status', '--server', `127.0.0.1:${d.httpsPort}`], { env });
    assert.equal(flag.code, 0, flag.stderr);
    assert.doesNotMatch(flag.stderr, STACK);
    const fromEnv = d.cli(['status'], { env: { ...env, BERTH_SERVER: `127.0.0.1:${d.httpsPort}` } });
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
  });

  test('an address that is not one is bad input naming where it came from', () => {
    for (const [args, extra, source] of [
      [['--server', 'http://127.0.0.1:1'], {}, '--server'],
      [['--server', 'https://'], {}, '--server'],
      [['--server', 'head:port'], {}, '--server'],
      [[], { BERTH_SERVER: 'ftp://head' }, 'BERTH_SERVER'],
    ] as [string[], Record<string, string>, string][]) {
      const r = d.cli(['node', 'list', ...args], { env: { ...env, ...extra } });
      assert.equal(r.code, 2, `${args.join(' ')} ${JSON.stringify(extra)}: ${r.stderr}`);
      assert.ok(r.stderr.includes(source), r.stderr);
      assert.match(r.stderr, /https:\/\/HOST:PORT/);
      assert.doesNotMatch(r.stderr, STACK);
      assert.doesNotMatch(r.stderr, /TypeError/);
    }
  });

  test('without --ca the TLS failure names --ca, BERTH_CA and where the CA is on the server', () => {
    const r = d.cli(['node', 'list', '--server', `https://127.0.0.1:${d.httpsPort}`], { env: { ...env, BERTH_CA: '' } });
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /--ca FILE/);
    assert.match(r.stderr, /BERTH_CA/);
    assert.match(r.stderr, /<state-dir>\/public\/ca\.pem/);
    assert.doesNotMatch(r.stderr, STACK);
    assert.doesNotMatch(r.stderr, /NODE_EXTRA_CA_CERTS|--use-openssl-ca/);
  });

  test('a --ca of another authority, or one that cannot be read, is named', () => {
    const other = d.cli(['node', 'list', '--server', `127.0.0.1:${d.httpsPort}`, '--ca', '/etc/ssl/certs/ca-certificates.crt'], { env });
    assert.equal(other.code, 6, other.stderr);
    assert.match(other.stderr, /not signed by the CA in \/etc\/ssl\/certs\/ca-certificates\.crt/);
    assert.match(other.stderr, /public\/ca\.pem/);
    const missing = d.cli(['node', 'list', '--server', `127.0.0.1:${d.httpsPort}`, '--ca', '/nonexistent/ca.pem'], { env });
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /--ca \/nonexistent\/ca\.pem: cannot read/);
    assert.doesNotMatch(missing.stderr, STACK);
  });
});

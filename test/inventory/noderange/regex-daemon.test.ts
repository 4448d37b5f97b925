/**
 * The regex-freeze attack against a real daemon: a node named `aaaa…a-x` and
 * the noderange `~^(a+)+$` took exponential time on V8's backtracking engine
 * and froze boot HTTP, DHCP, TFTP and the API with it. Now the regex runs on
 * the linear-time engine, so the request answers at once and boot traffic
 * sent meanwhile is not held up; patterns that engine cannot run are refused.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { BERTH, startDaemon } from '../../helpers/daemon.ts';
import type { CliResult, Daemon } from '../../helpers/daemon.ts';

/** The CLI without blocking this process, so a second request can run meanwhile; killed after `timeoutMs`. */
function cliAsync(d: Daemon, args: string[], timeoutMs: number): Promise<CliResult & { ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(BERTH, args, { env: { ...process.env, BERTH_SOCKET: d.socket, BERTH_SERVER: '', BERTH_TOKEN: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, ms: performance.now() - started });
    });
  });
}

/** Milliseconds until boot HTTP answers anything at all (a 404 will do). */
function bootHttpLatency(port: number, timeoutMs: number): Promise<number> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/no-such-file', timeout: timeoutMs }, (res) => {
      res.resume();
      res.once('end', () => resolve(performance.now() - started));
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(Infinity));
    req.end();
  });
}

describe('regular expressions in noderanges cannot freeze the daemon', () => {
  let d: Daemon;
  let bootPort: number;
  const evil = `${'a'.repeat(30)}-x`;

  before(async () => {
    d = await startDaemon();
    bootPort = Number(/"boot HTTP listening"[^\n]*"port":(\d+)/.exec(d.log())?.[1]);
    assert.ok(bootPort > 0, `no boot HTTP port in the log:\n${d.log()}`);
    const defined = d.cli(['node', 'define', `${evil},n[1-3]`]);
    assert.equal(defined.code, 0, defined.stderr);
  });
  after(async () => {
    // SIGKILL: a daemon frozen by the attack (before the fix) would never act on SIGTERM.
    await d.stop('SIGKILL');
    d.cleanup();
  });

  test("`node list '~^(a+)+$'` answers promptly and boot HTTP is not held up meanwhile", async () => {
    const listing = cliAsync(d, ['node', 'list', '~^(a+)+$'], 20_000);
    await new Promise((r) => setTimeout(r, 150));
    const boot = await bootHttpLatency(bootPort, 20_000);
    const result = await listing;
    assert.equal(result.code, 0, `node list failed or hung (${Math.round(result.ms)} ms):\n${result.stderr}`);
    assert.doesNotMatch(result.stdout, /aaaa/, 'the pattern does not match the name');
    // Generous bounds: before the fix both took well over 20 s.
    assert.ok(result.ms < 10_000, `node list took ${Math.round(result.ms)} ms`);
    assert.ok(boot < 5_000, `boot HTTP took ${Math.round(boot)} ms to answer`);
    // The same engine still finds what it should.
    const found = d.cli(['node', 'list', '~^a+-x$']);
    assert.equal(found.code, 0, found.stderr);
    assert.match(found.stdout, new RegExp(evil));
  });

  test('the same attack in an attribute filter answers promptly too', async () => {
    assert.equal(d.cli(['node', 'set', 'n1', `id.serial=${evil}`]).code, 0);
    const result = await cliAsync(d, ['node', 'list', 'id.serial=~^(a+)+$'], 20_000);
    assert.equal(result.code, 0, `took ${Math.round(result.ms)} ms:\n${result.stderr}`);
    assert.ok(result.ms < 10_000);
  });

  test('patterns the linear engine cannot run are refused with a reason, exit 2', () => {
    const backreference = d.cli(['node', 'list', '~^(a+)\\1$']);
    assert.equal(backreference.code, 2);
    assert.match(backreference.stderr, /cannot be matched in linear time.*backreferences/);
    const lookahead = d.cli(['node', 'list', 'id.serial=~a(?=a)']);
    assert.equal(lookahead.code, 2);
    assert.match(lookahead.stderr, /cannot be matched in linear time/);
  });

  test('a pattern longer than 256 characters is refused', () => {
    const long = d.cli(['node', 'list', `~${'a'.repeat(257)}`]);
    assert.equal(long.code, 2);
    assert.match(long.stderr, /257 characters long; at most 256/);
  });
});

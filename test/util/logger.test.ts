import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, nullLogger } from '../../src/util/logger.ts';
import type { LoggerOptions } from '../../src/util/logger.ts';
import { BerthError } from '../../src/errors.ts';

const fixedTime = new Date('2025-03-04T05:06:07.089Z');

function capture(opts: LoggerOptions = {}, isTTY = false) {
  const lines: string[] = [];
  const stream = { isTTY, write: (s: string) => lines.push(s) };
  const log = createLogger({ env: {}, now: () => fixedTime, stream, ...opts });
  return { log, lines, json: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

test('one JSON object per line with time, level, msg and fields', () => {
  const { log, lines, json } = capture();
  log.info('listening', { port: 8443, host: '::' });
  assert.equal(lines.length, 1);
  assert.ok(lines[0]!.endsWith('}\n'));
  assert.deepEqual(json()[0], { time: '2025-03-04T05:06:07.089Z', level: 'info', msg: 'listening', port: 8443, host: '::' });
});

test('child loggers carry their fields; call fields win', () => {
  const { log, json } = capture();
  const api = log.child({ component: 'api', a: 1 });
  api.child({ request: 'r1' }).warn('slow', { a: 2 });
  assert.deepEqual(json()[0], { time: fixedTime.toISOString(), level: 'warn', msg: 'slow', component: 'api', a: 2, request: 'r1' });
});

test('level threshold from option, then BERTH_LOG_LEVEL, default info', () => {
  const a = capture({ level: 'warn' });
  a.log.info('no');
  a.log.warn('yes');
  assert.deepEqual(a.json().map((r) => r.msg), ['yes']);
  assert.equal(a.log.isLevelEnabled('info'), false);

  const b = capture({ env: { BERTH_LOG_LEVEL: 'debug' } });
  b.log.debug('d');
  assert.equal(b.lines.length, 1);

  const c = capture();
  c.log.debug('d');
  c.log.info('i');
  assert.deepEqual(c.json().map((r) => r.msg), ['i']);
});

test('a bad BERTH_LOG_LEVEL is reported, not thrown', () => {
  const { log, json } = capture({ env: { BERTH_LOG_LEVEL: 'loud' } });
  assert.equal(log.level, 'info');
  assert.match(String(json()[0]!.msg), /ignoring BERTH_LOG_LEVEL=loud/);
});

test('errors are logged with code, message and stack', () => {
  const { log, json } = capture();
  const e = new BerthError('BERTH_CONFIG', 'bad key', { file: '/etc/berth/berth.yaml', line: 3 });
  const sys = Object.assign(new Error('no such file'), { code: 'ENOENT' });
  log.error('start failed', { err: e, nested: { cause: sys } });
  const r = json()[0]!;
  const err = r.err as Record<string, unknown>;
  assert.equal(err.code, 'BERTH_CONFIG');
  assert.equal(err.message, 'bad key');
  assert.deepEqual(err.where, { file: '/etc/berth/berth.yaml', line: 3 });
  assert.match(String(err.stack), /bad key\n\s+at /);
  const nested = (r.nested as Record<string, Record<string, unknown>>).cause!;
  assert.equal(nested.code, 'ENOENT');
});

test('never throws: cycles, BigInt, a throwing stream', () => {
  const { log, json } = capture();
  const cyclic: Record<string, unknown> = { name: 'a' };
  cyclic.self = cyclic;
  log.info('odd', { cyclic, big: 10n });
  assert.deepEqual(json()[0]!.cyclic, { name: 'a', self: '[Circular]' });
  assert.equal(json()[0]!.big, '10');

  const broken = createLogger({ env: {}, stream: { write: () => { throw new Error('EPIPE'); } } });
  assert.doesNotThrow(() => broken.error('lost'));
});

test('reserved keys in fields do not clobber the record', () => {
  const { log, json } = capture();
  log.info('real', { msg: 'fake', level: 'error' });
  const r = json()[0]!;
  assert.equal(r.msg, 'real');
  assert.equal(r.level, 'info');
  assert.equal(r['field.msg'], 'fake');
});

test('text format on a TTY: time level component msg key=value', () => {
  const { log, lines } = capture({}, true);
  assert.equal(log.format, 'text');
  log.child({ component: 'api' }).info('listening', { port: 8443, path: '/var/lib/berth', note: 'two words' });
  assert.equal(lines[0], '2025-03-04T05:06:07.089Z INFO  api listening port=8443 path=/var/lib/berth note="two words"\n');
});

test('text format prints error stacks indented below the line', () => {
  const { log, lines } = capture({ format: 'text' });
  log.error('failed', { err: new BerthError('BERTH_STORE', 'disk full') });
  assert.match(lines[0]!, /^\S+ ERROR failed err=\{"code":"BERTH_STORE","message":"disk full","name":"BerthError"\}\n {4}BerthError: disk full\n {4}\s*at /);
});

test('BERTH_LOG_FORMAT chooses the format over TTY detection', () => {
  assert.equal(capture({ env: { BERTH_LOG_FORMAT: 'text' } }).log.format, 'text');
  assert.equal(capture({ env: { BERTH_LOG_FORMAT: 'json' } }, true).log.format, 'json');
});

test('nullLogger drops everything', () => {
  const log = nullLogger();
  log.error('x');
  assert.equal(log.isLevelEnabled('error'), false);
});

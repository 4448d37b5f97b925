/**
 * Destructive verbs over many nodes (src/cli/confirm.ts) against a real
 * daemon: without a terminal they need --yes and change nothing without it;
 * on a terminal they list what will change and ask.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { BERTH, startDaemon } from '../helpers/daemon.ts';
import type { Daemon } from '../helpers/daemon.ts';

describe('destructive changes need confirmation', () => {
  let d: Daemon;
  const ok = (args: string[]) => d.ok(args);
  const names = () => ok(['node', 'list', '--names']).trim().split('\n').filter(Boolean);
  /** The CLI on a pseudo-terminal (util-linux script), answering the prompt with `answer`. */
  const onTerminal = (args: string[], answer: string) => {
    const command = [BERTH, ...args].map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(' ');
    const r = spawnSync('script', ['-qec', command, '/dev/null'], {
      input: answer,
      encoding: 'utf8',
      env: { ...process.env, BERTH_SOCKET: d.socket, BERTH_SERVER: '', BERTH_TOKEN: '' },
      timeout: 30_000,
    });
    return { code: r.status ?? -1, output: r.stdout };
  };

  before(async () => {
    d = await startDaemon();
    ok(['node', 'define', 'n[1-6]', 'location.rack=1']);
  });
  after(async () => {
    await d.stop();
    d.cleanup();
  });

  test('node remove everything without a terminal and without --yes changes nothing', () => {
    const r = d.cli(['node', 'remove', 'everything']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /would remove 6 node\(s\): n\[1-6\]/);
    assert.match(r.stderr, /--yes/);
    assert.equal(names().length, 6);
  });

  test('set, unset and rename over more than one node need --yes; over one node they do not', () => {
    for (const args of [
      ['node', 'set', 'n[1-2]', 'location.rack=2'],
      ['node', 'unset', 'n[1-2]', 'location.rack'],
      ['node', 'rename', 'n[1-2]', 'm{n1}'],
    ]) {
      const r = d.cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /--yes/);
    }
    assert.match(ok(['node', 'show', 'n1,n2', 'location.rack']), /^n1: location\.rack: 1\nn2: location\.rack: 1$/m);
    assert.deepEqual(names().slice(0, 2), ['n1', 'n2']);
    ok(['node', 'set', 'n1', 'location.rack=3']);
    ok(['node', 'set', 'n[1-2]', 'location.rack=2', '--yes']);
    assert.match(ok(['node', 'show', 'n1,n2', 'location.rack']), /^n1: location\.rack: 2\nn2: location\.rack: 2$/m);
  });

  test('removing one armed node counts as destructive', () => {
    ok(['node', 'set', 'n6', 'deployment.armed=once']);
    const r = d.cli(['node', 'remove', 'n6']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /n6.*armed/);
    assert.ok(names().includes('n6'));
    ok(['node', 'remove', 'n6', '--yes']);
    assert.ok(!names().includes('n6'));
    ok(['node', 'remove', 'n5']);
    assert.ok(!names().includes('n5'), 'one idle node is removed without asking');
  });

  test('on a terminal the change is listed and asked for: no keeps everything, yes goes ahead', () => {
    const no = onTerminal(['node', 'remove', 'n[3-4]'], 'n\n');
    assert.notEqual(no.code, 0, no.output);
    assert.match(no.output, /remove 2 node\(s\): n\[3-4\]/);
    assert.match(no.output, /\[y\/N\]/);
    assert.match(no.output, /nothing changed/);
    assert.ok(names().includes('n3'));
    const yes = onTerminal(['node', 'remove', 'n[3-4]'], 'y\n');
    assert.equal(yes.code, 0, yes.output);
    assert.match(yes.output, /removed 2 node\(s\): n\[3-4\]/);
    assert.deepEqual(names(), ['n1', 'n2']);
  });
});

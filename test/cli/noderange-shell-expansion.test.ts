/**
 * `berth node list n[1-3]` typed without quotes: the shell replaces the
 * pattern with the names of matching files in the working directory (n1 n2
 * n3), and `n{1..3}` is split into three words whatever the directory holds.
 * berth cannot see what was typed, only what arrives; it warns when a
 * noderange is the name of a file here, and refuses several words where one
 * noderange belongs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BERTH, startDaemon } from '../helpers/daemon.ts';
import type { Daemon } from '../helpers/daemon.ts';

describe('noderanges the shell expanded', () => {
  let d: Daemon;
  let dir: string;
  const berthIn = (cwd: string, args: string[]) => {
    const r = spawnSync(BERTH, args, { cwd, encoding: 'utf8', env: { ...process.env, BERTH_SOCKET: d.socket, BERTH_SERVER: '' } });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  const names = () => berthIn(tmpdir(), ['node', 'list', '--names']).stdout;

  before(async () => {
    d = await startDaemon();
    assert.equal(d.cli(['node', 'define', 'n[1-3]']).code, 0);
    dir = mkdtempSync(join(tmpdir(), 'berth-cwd-'));
  });
  after(async () => {
    await d.stop();
    d.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a noderange that names a file here is run, with a warning naming it and saying to quote', () => {
    writeFileSync(join(dir, 'n1'), '');
    // What `berth node list n[1-3]` becomes in a directory holding only n1.
    const r = berthIn(dir, ['node', 'list', 'n1', '--names']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'n1\n');
    assert.match(r.stderr, /^berth: warning: noderange 'n1' is also the name of a file in this directory/m);
    assert.match(r.stderr, /quote/);
    const json = berthIn(dir, ['node', 'list', 'n1', '--json']);
    assert.equal(json.code, 0, json.stderr);
    assert.match(JSON.parse(json.stderr.trim()).warning.message, /'n1'/);
    rmSync(join(dir, 'n1'));
  });

  test('no warning when nothing here has that name, or the noderange arrived quoted', () => {
    assert.equal(berthIn(dir, ['node', 'list', 'n1', '--names']).stderr, '');
    writeFileSync(join(dir, 'n1'), '');
    assert.equal(berthIn(dir, ['node', 'list', 'n[1-3]', '--names']).stderr, '');
    rmSync(join(dir, 'n1'));
  });

  test('several file names where one noderange belongs: refused, naming them and the quoted form', () => {
    for (const f of ['n1', 'n2', 'n3']) writeFileSync(join(dir, f), '');
    const list = berthIn(dir, ['node', 'list', 'n1', 'n2', 'n3']);
    assert.equal(list.code, 2, list.stderr);
    assert.match(list.stderr, /n1 n2 n3/);
    assert.match(list.stderr, /'n\[1-3\]'/);
    const set = berthIn(dir, ['node', 'set', 'n1', 'n2', 'n3', 'id.serial=X']);
    assert.equal(set.code, 2, set.stderr);
    assert.match(set.stderr, /'n\[1-3\]'/);
    assert.doesNotMatch(berthIn(dir, ['node', 'show', 'n1', 'id.serial']).stdout, /X/, 'nothing was set');
    for (const f of ['n1', 'n2', 'n3']) rmSync(join(dir, f));
  });

  test('brace expansion (n{1..3}) into a command that takes one noderange: refused, nothing removed', () => {
    const r = berthIn(dir, ['node', 'remove', 'n1', 'n2', 'n3']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /takes one noderange/);
    assert.match(r.stderr, /'n\[1-3\]'/);
    assert.equal(names(), 'n1\nn2\nn3\n');
    const expand = berthIn(dir, ['noderange', 'expand', 'n1', 'n2']);
    assert.equal(expand.code, 2, expand.stderr);
    assert.match(expand.stderr, /quote/);
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { acquireInstanceLock, describeProcess } from '../../src/state/lock-file.ts';
import { stateDirLayout } from '../../src/state/state-dir.ts';
import type { StateDirLayout } from '../../src/state/state-dir.ts';
import { BerthError } from '../../src/errors.ts';

async function scratch(t: { after: (fn: () => Promise<void>) => void }): Promise<StateDirLayout> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-lock-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return stateDirLayout(dir);
}

/** A pid that existed and is gone: a server killed with -9. */
async function deadPid(): Promise<number> {
  const child = spawn('true');
  await once(child, 'exit');
  return child.pid!;
}

test('acquire writes pid and start time; release removes the file', async (t) => {
  const layout = await scratch(t);
  const lock = await acquireInstanceLock(layout);
  const content = JSON.parse(await readFile(layout.serverLock, 'utf8'));
  assert.equal(content.pid, process.pid);
  assert.match(content.startTime, /^\d+$/);
  await lock.release();
  await lock.release();
  assert.deepEqual(await readdir(layout.root), []);
});

test('a second acquisition by a live process is refused with its pid', async (t) => {
  const layout = await scratch(t);
  const lock = await acquireInstanceLock(layout);
  await assert.rejects(acquireInstanceLock(layout), (e: unknown) => {
    assert.ok(e instanceof BerthError);
    assert.equal(e.code, 'BERTH_ALREADY_RUNNING');
    assert.equal(e.message, `berth serve is already running on ${layout.root} (pid ${process.pid})`);
    return true;
  });
  await lock.release();
  (await acquireInstanceLock(layout)).releaseSync();
});

test('a live foreign pid is refused', async (t) => {
  const layout = await scratch(t);
  const child = spawn('sleep', ['30']);
  t.after(() => child.kill());
  await new Promise((r) => setTimeout(r, 50));
  await writeFile(layout.serverLock, JSON.stringify(await describeProcess(child.pid!)));
  await assert.rejects(acquireInstanceLock(layout), new RegExp(`already running .*\\(pid ${child.pid}\\)`));
});

test('a stale lock from a dead pid is taken over, and logged', async (t) => {
  const layout = await scratch(t);
  const holder = await describeProcess(process.pid);
  await writeFile(layout.serverLock, JSON.stringify({ ...holder, pid: await deadPid() }));
  const warnings: unknown[] = [];
  const log = { warn: (msg: string, fields: unknown) => warnings.push({ msg, fields }) } as never;
  const lock = await acquireInstanceLock(layout, { log });
  assert.equal(JSON.parse(await readFile(layout.serverLock, 'utf8')).pid, process.pid);
  assert.equal(warnings.length, 1);
  await lock.release();
});

test('a reused pid (live, but a different start time) is taken over', async (t) => {
  const layout = await scratch(t);
  const holder = await describeProcess(process.pid);
  await writeFile(layout.serverLock, JSON.stringify({ ...holder, startTime: '1' }));
  (await acquireInstanceLock(layout)).releaseSync();
});

test('a lock from before a reboot is taken over', async (t) => {
  const layout = await scratch(t);
  const holder = await describeProcess(process.pid);
  await writeFile(layout.serverLock, JSON.stringify({ ...holder, bootId: 'another-boot' }));
  (await acquireInstanceLock(layout)).releaseSync();
});

test('garbage in the lock file is taken over', async (t) => {
  const layout = await scratch(t);
  await writeFile(layout.serverLock, 'not json');
  (await acquireInstanceLock(layout)).releaseSync();
});

test('a lock held from another host is refused with a hint', async (t) => {
  const layout = await scratch(t);
  const holder = await describeProcess(process.pid);
  await writeFile(layout.serverLock, JSON.stringify({ ...holder, hostname: 'elsewhere.example' }));
  await assert.rejects(acquireInstanceLock(layout), /on host elsewhere\.example .* remove .*server\.lock/);
});

test('release never removes a lock that is not ours', async (t) => {
  const layout = await scratch(t);
  const lock = await acquireInstanceLock(layout);
  await writeFile(layout.serverLock, 'someone else');
  await lock.release();
  assert.equal(await readFile(layout.serverLock, 'utf8'), 'someone else');
});

async function race(root: string, contenders: number): Promise<string[]> {
  const fixture = new URL('./fixtures/lock-contender.ts', import.meta.url).pathname;
  const children = Array.from({ length: contenders }, () => spawn(process.execPath, [fixture, root], { stdio: ['pipe', 'pipe', 'inherit'] }));
  const firstLines = children.map(
    (c) =>
      new Promise<string>((resolve) => {
        let out = '';
        c.stdout!.on('data', (b: Buffer) => {
          out += b.toString();
          if (out.includes('\n')) resolve(out.trim());
        });
        c.on('exit', () => resolve(out.trim()));
      }),
  );
  const results = await Promise.all(firstLines);
  for (const c of children) c.stdin!.end();
  await Promise.all(children.map((c) => (c.exitCode === null ? once(c, 'exit') : undefined)));
  return results;
}

test('concurrent starts: exactly one wins', async (t) => {
  const layout = await scratch(t);
  const results = await race(layout.root, 6);
  assert.equal(results.filter((r) => r === 'won').length, 1, results.join(','));
  assert.equal(results.filter((r) => r === 'BERTH_ALREADY_RUNNING').length, 5, results.join(','));
});

test('concurrent takeover of one stale lock: exactly one wins', async (t) => {
  const layout = await scratch(t);
  const holder = await describeProcess(process.pid);
  for (let round = 0; round < 3; round++) {
    await writeFile(layout.serverLock, JSON.stringify({ ...holder, pid: await deadPid() }));
    const results = await race(layout.root, 6);
    assert.equal(results.filter((r) => r === 'won').length, 1, results.join(','));
    assert.equal(results.filter((r) => r === 'BERTH_ALREADY_RUNNING').length, 5, results.join(','));
  }
  assert.deepEqual(await readdir(layout.root), [], 'no temp or guard files left behind');
});

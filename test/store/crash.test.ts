/**
 * A committed transaction survives kill -9; an uncommitted one leaves no
 * trace; the file is never corrupt. A child process (fixtures/crash-writer.ts,
 * run by the same node binary as the tests) commits 100,000 documents in one
 * transaction and is SIGKILLed before, during or after the commit; the parent
 * then reopens the file and checks.
 *
 * What the child printed before dying pins down what must be found:
 * - no "callback-done": the commit never started, so the batch is absent;
 * - "committed": write() had returned, so the batch is present;
 * - in between: either, but all of it or none of it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { BATCH_KIND, BATCH_SIZE, batchKey, batchValue } from './fixtures/crash-batch.ts';
import { tempDir } from './temp-dir.ts';

const writer = fileURLToPath(new URL('./fixtures/crash-writer.ts', import.meta.url));

interface Run {
  /** Lines the child printed before it died. */
  lines: string[];
  signal: NodeJS.Signals | null;
}

/**
 * Runs the writer on `path`. `killAfter`: the parent sends SIGKILL `delayMs`
 * after seeing that line. `selfKillMs`: the child kills itself that long
 * after its callback returned (see the fixture for why).
 */
async function runWriter(path: string, kill: { killAfter: string; delayMs: number } | { selfKillMs: number }): Promise<Run> {
  const args = 'selfKillMs' in kill ? [writer, path, String(kill.selfKillMs)] : [writer, path];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  const lines: string[] = [];
  let buffered = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buffered += chunk;
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      if ('killAfter' in kill && line.startsWith(kill.killAfter)) {
        setTimeout(() => child.kill('SIGKILL'), kill.delayMs);
      }
    }
  });
  const watchdog = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const [, signal] = (await exited) as [number | null, NodeJS.Signals | null];
  clearTimeout(watchdog);
  // 'exit' can come before the last of stdout has been read.
  if (!child.stdout.readableEnded) await once(child.stdout, 'end');
  if (buffered) lines.push(buffered);
  return { lines, signal };
}

/** Checks the file after a crash; returns whether the batch is there. */
async function inspect(path: string, run: Run): Promise<boolean> {
  assert.equal(run.signal, 'SIGKILL', `the writer died by SIGKILL (printed: ${run.lines.join(', ')})`);
  // A plain connection first: it runs WAL recovery and checks every page.
  const raw = new DatabaseSync(path);
  assert.deepEqual(raw.prepare('PRAGMA integrity_check').all().map((r) => r.integrity_check), ['ok']);
  raw.close();

  const store = await openSqliteStore(path);
  try {
    const count = await store.read((r) => r.count(BATCH_KIND));
    const revision = await store.revision();
    assert.ok(count === 0 || count === BATCH_SIZE, `all or nothing: found ${count} of ${BATCH_SIZE}`);
    assert.equal(revision, count === 0 ? 0 : 1);
    if (count === BATCH_SIZE) {
      const docs = await store.read((r) => r.list(BATCH_KIND));
      for (const i of [0, 1, 49_999, BATCH_SIZE - 1]) {
        assert.deepEqual(docs[i], { kind: BATCH_KIND, key: batchKey(i), value: batchValue(i), modRevision: 1 });
      }
    }
    const printed = (prefix: string) => run.lines.some((l) => l.startsWith(prefix));
    if (!printed('callback-done')) assert.equal(count, 0, 'killed before the commit began, yet the batch is there');
    if (printed('committed')) assert.equal(count, BATCH_SIZE, 'write() had resolved, yet the batch is gone');
    // Still a working store after recovery.
    await store.write((tx) => tx.put('after', 'crash', true));
    assert.equal(await store.revision(), revision + 1);
    return count === BATCH_SIZE;
  } finally {
    await store.close();
  }
}

async function crashOnce(kill: Parameters<typeof runWriter>[1]): Promise<{ present: boolean; run: Run }> {
  const temp = await tempDir('crash');
  try {
    const path = join(temp.dir, 'store.db');
    const run = await runWriter(path, kill);
    return { present: await inspect(path, run), run };
  } finally {
    await temp.remove();
  }
}

describe('SQLite store survives kill -9', { concurrency: false }, () => {
  let commitMs = 300;

  it('after commit: the batch is all there', async () => {
    for (let i = 0; i < 2; i++) {
      const { present, run } = await crashOnce({ killAfter: 'committed', delayMs: i * 50 });
      assert.equal(present, true);
      const line = run.lines.find((l) => l.startsWith('committed'))!;
      commitMs = Number(line.split(' ')[1]);
      console.log(`[store crash] commit phase of the 100,000-document transaction took ${commitMs} ms`);
    }
  });

  it('before commit, at random moments during the puts: none of it is there', async () => {
    for (let i = 0; i < 3; i++) {
      const delayMs = Math.floor(Math.random() * 400);
      const { present } = await crashOnce({ killAfter: 'tx-started', delayMs });
      console.log(`[store crash] killed ${delayMs} ms into the puts: batch ${present ? 'present' : 'absent'}`);
    }
  });

  it('during commit, at random moments: all of it or none of it', async () => {
    const outcomes: string[] = [];
    // Spread over the commit phase measured above, plus a little after it.
    for (let i = 0; i < 5; i++) {
      const selfKillMs = Math.floor(((i + Math.random()) / 5) * commitMs * 1.2);
      const { present } = await crashOnce({ selfKillMs });
      outcomes.push(`${selfKillMs} ms → ${present ? 'present' : 'absent'}`);
    }
    console.log(`[store crash] killed after the callback returned: ${outcomes.join('; ')}`);
  });
});

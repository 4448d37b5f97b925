import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { run, SubprocessError, formatCommandLine } from '../../src/util/run.ts';
import { BerthError } from '../../src/errors.ts';

const node = process.execPath;

test('captures stdout, stderr and exit code', async () => {
  const r = await run(node, ['-e', 'process.stdout.write("out"); process.stderr.write("err")']);
  assert.deepEqual(r, { stdout: 'out', stderr: 'err', code: 0 });
});

test('feeds input to stdin', async () => {
  const r = await run('sh', ['-c', 'tr a-z A-Z'], { input: 'hello' });
  assert.equal(r.stdout, 'HELLO');
});

test('arguments are never interpreted by a shell', async () => {
  const r = await run('printf', ['%s', '$(echo pwned); `id` *']);
  assert.equal(r.stdout, '$(echo pwned); `id` *');
});

test('cwd and env (merged over the environment)', async () => {
  const r = await run('sh', ['-c', 'pwd; echo "$BERTH_TEST_X"; test -n "$PATH" && echo path'], { cwd: '/tmp', env: { BERTH_TEST_X: 'x y' } });
  assert.equal(r.stdout, '/tmp\nx y\npath\n');
});

test('non-zero exit throws BERTH_SUBPROCESS with command line, stderr tail and exitCode', async () => {
  const script = 'for (let i = 1; i <= 30; i++) console.error("line " + i); process.exit(3)';
  const err = await run(node, ['-e', script]).then(
    () => assert.fail('should throw'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof SubprocessError);
  assert.ok(err instanceof BerthError);
  assert.equal(err.code, 'BERTH_SUBPROCESS');
  assert.equal(err.exitCode, 3);
  assert.equal(err.signal, null);
  assert.equal(err.timedOut, false);
  assert.match(err.message, /exited with code 3/);
  assert.ok(err.message.includes(formatCommandLine([node, '-e', script])));
  assert.match(err.message, /line 30$/);
  assert.match(err.message, /line 11\n/);
  assert.doesNotMatch(err.message, /line 10\n/, 'only the last 20 lines are quoted');
  assert.match(err.stderr, /line 1\n/, 'the whole stderr stays available');
});

test('allowedExitCodes makes other codes success', async () => {
  const r = await run('sh', ['-c', 'exit 1'], { allowedExitCodes: [0, 1] });
  assert.equal(r.code, 1);
});

test('missing command is a BERTH_SUBPROCESS error, not a crash', async () => {
  await assert.rejects(run('berth-no-such-command', []), (e: unknown) => {
    assert.ok(e instanceof SubprocessError);
    assert.equal(e.exitCode, null);
    assert.match(e.message, /berth-no-such-command not found/);
    return true;
  });
});

test('death by signal is reported', async () => {
  await assert.rejects(run('sh', ['-c', 'kill -TERM $$']), (e: unknown) => {
    assert.ok(e instanceof SubprocessError);
    assert.equal(e.signal, 'SIGTERM');
    assert.match(e.message, /killed by SIGTERM/);
    return true;
  });
});

test('timeout kills the whole process group, grandchildren included', async () => {
  const pidFile = `/tmp/berth-run-test-${process.pid}`;
  const started = Date.now();
  await assert.rejects(
    // the inner sleep is a grandchild; killing only sh would leave it running
    run('sh', ['-c', `sleep 30 & echo $! > ${pidFile}; echo doomed >&2; wait`], { timeoutMs: 300 }),
    (e: unknown) => {
      assert.ok(e instanceof SubprocessError);
      assert.equal(e.timedOut, true);
      assert.match(e.message, /timed out after 300 ms/);
      assert.match(e.message, /doomed/);
      return true;
    },
  );
  assert.ok(Date.now() - started < 5000);
  const grandchild = Number(await readFile(pidFile, 'utf8'));
  await rm(pidFile);
  await new Promise((r) => setTimeout(r, 100));
  // Gone, or a zombie waiting for a PID 1 that does not reap (as in some containers).
  const stat = await readFile(`/proc/${grandchild}/stat`, 'utf8').catch(() => undefined);
  if (stat !== undefined) assert.equal(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3), 'Z');
});

test('a child that ignores its input does not cause EPIPE crashes', async () => {
  const r = await run('true', [], { input: Buffer.alloc(1 << 20) });
  assert.equal(r.code, 0);
});

test('formatCommandLine quotes what a shell would split', () => {
  assert.equal(formatCommandLine(['openssl', 'req', '-subj', "/CN=it's me", '']), `openssl req -subj '/CN=it'\\''s me' ''`);
});

/**
 * `berth … | head -c 10`: when the reader closes the pipe early the CLI ends
 * quietly with status 0, as coreutils do (they die of SIGPIPE without a
 * word), instead of an unhandled EPIPE stack trace. Real pipes, real daemon.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { BERTH, startDaemon } from '../helpers/daemon.ts';
import type { Daemon } from '../helpers/daemon.ts';

describe('a closed stdout pipe', () => {
  let d: Daemon;

  before(async () => {
    d = await startDaemon();
    // Enough output to fill the pipe (64 KiB) many times over.
    const defined = d.cli(['node', 'define', 'n[1-20000]', 'id.model=ThinkSystem SD650 V3']);
    assert.equal(defined.code, 0, defined.stderr);
  });
  after(async () => {
    await d.stop();
    d.cleanup();
  });

  /** `berth ARGS | head -c 10` in bash; berth's own exit status and stderr. */
  const headOf = (args: string[]) => {
    const quoted = args.map((a) => `'${a}'`).join(' ');
    const result = spawnSync('bash', ['-c', `"$BERTH" ${quoted} | head -c 10; echo; echo "status=\${PIPESTATUS[0]}"`], {
      encoding: 'utf8',
      env: { ...process.env, BERTH, BERTH_SOCKET: d.socket, BERTH_SERVER: '', BERTH_TOKEN: '' },
      timeout: 30_000,
    });
    const cut = result.stdout.lastIndexOf('\nstatus=');
    return { head: result.stdout.slice(0, cut), status: result.stdout.slice(cut + 1).trim(), stderr: result.stderr };
  };

  for (const args of [['node', 'list', '--json'], ['node', 'list'], ['node', 'show', 'n[1-20000]'], ['node', 'show', 'n[1-20000]', '--json']]) {
    test(`berth ${args.join(' ')} | head -c 10`, () => {
      const { head, status, stderr } = headOf(args);
      assert.equal(head.length, 10, 'head got its ten bytes');
      assert.equal(stderr, '', 'no stack trace, no message');
      assert.equal(status, 'status=0');
    });
  }
});

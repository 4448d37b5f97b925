/**
 * The node-side core parses the kernel command line the same way under every
 * shell it meets in an initramfs: dash (initramfs-tools' /bin/sh on Debian),
 * busybox sh, and bash (dracut).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';

const CORE = resolve(import.meta.dirname, '../../src/node-side/core/berth-boot.sh');
const SHELLS = [['dash'], ['bash', '--posix'], ['busybox', 'sh']].filter(([shell]) => spawnSync('sh', ['-c', `command -v ${shell}`]).status === 0);

function parse(shell: string[], cmdline: string): { code: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'berth-core-'));
  try {
    writeFileSync(join(dir, 'cmdline'), cmdline);
    const script = `berth_fail() { echo "FAIL: $*"; exit 3; }; BERTH_LIB="${dirname(CORE)}"; . "${CORE}"; berth_parse_cmdline "${join(dir, 'cmdline')}"; echo "$BERTH_IMAGE|$BERTH_METHOD|$BERTH_PROFILE|$BERTH_SERVER"`;
    const r = spawnSync(shell[0]!, [...shell.slice(1), '-c', script], { encoding: 'utf8' });
    return { code: r.status, out: r.stdout.trim() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('berth_parse_cmdline under dash, bash --posix and busybox sh', () => {
  assert.ok(SHELLS.length > 0 && existsSync(CORE));
  for (const shell of SHELLS) {
    assert.deepEqual(parse(shell, 'console=ttyS0 boot=berth berth.image=compute@3 berth.method=untethered berth.profile=c BOOTIF=01-52-54-00-00-00-01\n'), { code: 0, out: 'compute@3|untethered|c|' }, shell.join(' '));
    assert.deepEqual(parse(shell, 'boot=berth berth.image=x@1'), { code: 0, out: 'x@1|tethered||' }, `${shell.join(' ')}: tethered by default`);
    const bad = parse(shell, 'boot=berth berth.image=x@1 berth.method=floppy');
    assert.equal(bad.code, 3);
    assert.match(bad.out, /unknown berth.method 'floppy'/);
    assert.match(parse(shell, 'boot=berth').out, /no berth.image=/);
  }
});

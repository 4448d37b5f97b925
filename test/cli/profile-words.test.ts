/**
 * The profile commands as a newcomer types them: flags are the kebab-case
 * of the profile.yaml keys (`--kernel-args` ↔ `kernel_args`), and the other
 * spelling is refused with the right one; `profile set` on an install
 * profile says what that profile installs from.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDaemon } from '../helpers/daemon.ts';
import type { Daemon } from '../helpers/daemon.ts';
import { writeFakeImageVersion } from '../helpers/fake-image-version.ts';

describe('profile define and set spell each setting one way', () => {
  let d: Daemon;
  const ok = (args: string[]) => d.ok(args);
  const refused = (args: string[], stderr: RegExp) => {
    const r = d.cli(args);
    assert.equal(r.code, 2, `berth ${args.join(' ')}: exit ${r.code}\n${r.stdout}${r.stderr}`);
    assert.match(r.stderr, stderr);
  };

  before(async () => {
    d = await startDaemon();
    await writeFakeImageVersion(d.stateDir, 'compute', 1);
    await mkdir(join(d.stateDir, 'profiles', 'deb12-default'), { recursive: true });
    await writeFile(join(d.stateDir, 'profiles', 'deb12-default', 'profile.yaml'), 'media: deb12\npackages: [curl]\nkernel_args: console=ttyS0\n');
  });
  after(async () => {
    await d.stop();
    d.cleanup();
  });

  test('define takes --kernel-args and refuses --kernel_args with the right spelling', () => {
    refused(['profile', 'define', 'cn', '--image', 'compute@1', '--kernel_args', 'quiet'], /--kernel_args.*did you mean --kernel-args\?/);
    refused(['profile', 'define', 'cn', '--image', 'compute@1', '--boot_method', 'tethered'], /did you mean --boot-method\?/);
    assert.match(ok(['profile', 'define', 'cn', '--image', 'compute@1', '--kernel-args', 'quiet']), /^defined profile cn: compute@1, tethered$/m);
  });

  test('set takes kernel_args= and refuses kernel-args= or --kernel-args with the right spelling', () => {
    refused(['profile', 'set', 'cn', 'kernel-args=quiet splash'], /'kernel-args'.*did you mean kernel_args=\?/);
    refused(['profile', 'set', 'cn', 'boot-method=untethered'], /did you mean boot_method=\?/);
    refused(['profile', 'set', 'cn', '--kernel-args', 'quiet'], /say kernel_args=VALUE/);
    ok(['profile', 'set', 'cn', 'kernel_args=quiet splash']);
    assert.match(ok(['profile', 'show', 'cn']), /^cn: kernel_args: quiet splash$/m);
  });

  test('set on an install profile prints its media, not "kernel undefined"', () => {
    const out = ok(['profile', 'set', 'deb12-default', 'description=debian installs']);
    assert.doesNotMatch(out, /undefined/);
    assert.match(out, /^changed profile deb12-default: installs from media deb12 \(\+curl\)( \(cannot boot now: .*\))?\n$/);
    assert.doesNotMatch(ok(['profile', 'list']), /undefined/);
  });
});

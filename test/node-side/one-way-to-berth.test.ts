/**
 * Guards for issue 13's "node-side shell talks to berth one way": the node
 * API is reached only through core/berth-api.sh (curl and the Authorization
 * header appear nowhere else), no sed picks JSON apart, the script loop exists
 * once, and every helper a script sources is shipped where that script runs:
 * the image build (and from it both initramfs tools' hooks) and the
 * installer's node-support.tar.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { installNodeSupport } from '../../src/images/build/node-support.ts';
import { nodeSupportBundle } from '../../src/installs/node-support-bundle.ts';

const NODE_SIDE = resolve(import.meta.dirname, '../../src/node-side');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));
}
const shell = files(NODE_SIDE)
  .filter((f) => !/\.(md|service|timer|network)$/.test(f))
  .map((f) => ({ path: relative(NODE_SIDE, f), lines: readFileSync(f, 'utf8').split('\n') }));
const code = (line: string) => line.replace(/^\s*#.*$/, '');

test('no sed picks JSON apart anywhere in the node-side shell', () => {
  for (const { path, lines } of shell) {
    lines.forEach((line, i) => assert.doesNotMatch(code(line), /\bsed\b.*"[A-Za-z_]+":/, `${path}:${i + 1} parses JSON with sed: ${line.trim()}`));
  }
});

test('curl and the node key header are in berth-api.sh only (besides the install callback and the image download)', () => {
  for (const { path, lines } of shell) {
    if (path === 'core/berth-api.sh') continue;
    lines.forEach((line, i) => {
      const text = code(line);
      assert.doesNotMatch(text, /Authorization|BerthNode/, `${path}:${i + 1} sends the key itself`);
      if (!/(^|[|(;]|\buntil)\s*curl\s/.test(text)) return;
      // The two that are not the node API: the install's plain-HTTP callback (before the node has a key) and the image into zram.
      const allowed = (path === 'install/berth-post.sh' && text.includes('$BERTH_CALLBACK')) || (path === 'core/berth-untethered.sh' && text.includes('-o "$BERTH_DEVICE" "$_url"'));
      assert.ok(allowed, `${path}:${i + 1} calls curl itself: ${line.trim()}`);
    });
  }
});

test('the script loop exists once: berth-scripts.sh, used by install-to-disk, the post script and firstboot', () => {
  for (const { path, lines } of shell) {
    if (path === 'core/berth-scripts.sh') continue;
    lines.forEach((line, i) => assert.doesNotMatch(code(line), /\/scripts\/|env -i/, `${path}:${i + 1} fetches or runs scripts itself`));
  }
  const uses = (path: string, fn: string) => readFileSync(join(NODE_SIDE, path), 'utf8').includes(fn);
  assert.ok(uses('core/berth-install.sh', 'berth_scripts_run post.d'));
  assert.ok(uses('install/berth-post.sh', 'berth_scripts_run post.d'));
  assert.ok(uses('bin/berth-firstboot', 'berth_scripts_run firstboot.d'));
});

/** What a script sources from /usr/lib/berth. */
const sourced = (text: string) => [...text.matchAll(/^\s*\. "?(?:\$\{BERTH_LIB:-\/usr\/lib\/berth\}|\/usr\/lib\/berth|\$BERTH_LIB)\/(berth-[a-z-]+\.sh)"?/gm)].map((m) => m[1]!);

test('every helper a script sources is shipped with it: image build, both initramfs hooks, node-support.tar', async () => {
  const root = mkdtempSync(join(tmpdir(), 'berth-ship-'));
  try {
    // The image build: everything under /usr/lib/berth, from where the initramfs hooks copy berth-*.sh.
    const installed = await installNodeSupport(root);
    for (const { path, lines } of shell.filter((f) => f.path.startsWith('core/') || f.path.startsWith('bin/'))) {
      for (const helper of sourced(lines.join('\n'))) assert.ok(installed.includes(`/usr/lib/berth/${helper}`), `${path} sources ${helper}, which the image build does not install`);
    }
    assert.match(readFileSync(join(NODE_SIDE, 'initramfs-tools/hooks/berth'), 'utf8'), /cp \/usr\/lib\/berth\/berth-\*\.sh/);
    assert.match(readFileSync(join(NODE_SIDE, 'dracut/90berth/module-setup.sh'), 'utf8'), /for part in \/usr\/lib\/berth\/berth-\*\.sh/);

    // A scripted install: the post script and the tools in node-support.tar source only what the tar brings.
    writeFileSync(join(root, 'support.tar'), await nodeSupportBundle());
    const tar = spawnSync('tar', ['-tf', join(root, 'support.tar')], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    const bundled = ['install/berth-post.sh', ...tar.filter((t) => t.startsWith('usr/lib/berth/')).map((t) => (existsSync(join(NODE_SIDE, 'bin', basename(t))) ? 'bin/' : 'core/') + basename(t))];
    for (const path of bundled) {
      for (const helper of sourced(readFileSync(join(NODE_SIDE, path), 'utf8'))) assert.ok(tar.includes(`usr/lib/berth/${helper}`), `${path} sources ${helper}, which node-support.tar does not bring`);
    }
    assert.ok(sourced(readFileSync(join(NODE_SIDE, 'install/berth-post.sh'), 'utf8')).includes('berth-api.sh'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

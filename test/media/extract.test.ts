/**
 * Reading ISO images: xorriso's listing with awkward names, plain ISO 9660
 * names mapped to lowercase as Linux shows them, and the marker patterns.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { extractIso, inspectIso, listIso, matchesPattern, parseLsdl } from '../../src/media/extract.ts';
import { versionAtLeast } from '../../src/media/identify/marker-syntax.ts';
import { run } from '../../src/util/run.ts';
import { makeFixtureIso } from '../helpers/fixture-media.ts';

let base: string;
before(() => {
  base = mkdtempSync(join(tmpdir(), 'berth-media-extract-'));
});
after(() => rmSync(base, { recursive: true, force: true }));

test('lsdl lines: types, sizes, shell-quoted names', () => {
  assert.deepEqual(parseLsdl(`-rw-r--r--    1 0        0            2048 Nov 21 20:01 '/images/pxeboot/vmlinuz'`), { path: 'images/pxeboot/vmlinuz', type: 'file', bytes: 2048 });
  assert.deepEqual(parseLsdl(`drwxr-xr-x    1 0        0               0 Jan  3  2024 '/we'"'"'ird dir'`), { path: "we'ird dir", type: 'dir', bytes: 0 });
  assert.deepEqual(parseLsdl(`lrwxrwxrwx    1 0        0               0 Nov 21 20:01 '/ubuntu' -> '.'`), { path: 'ubuntu', type: 'link', bytes: 0 });
  assert.equal(parseLsdl('xorriso : NOTE : Loading ISO image tree from LBA 0'), undefined);
});

test('a real listing, names with spaces and quotes, and a link', async () => {
  const tree = join(base, 'odd');
  mkdirSync(join(tree, "it's here"), { recursive: true });
  writeFileSync(join(tree, "it's here", 'a b.txt'), 'hello');
  symlinkSync('.', join(tree, 'self'));
  const iso = join(base, 'odd.iso');
  await run('xorriso', ['-as', 'mkisofs', '-quiet', '-R', '-J', '-V', 'ODD', '-o', iso, tree]);
  const entries = await listIso(await inspectIso(iso));
  assert.deepEqual(
    entries.map((e) => [e.path, e.type, e.bytes]).sort(),
    [
      ["it's here", 'dir', 0],
      ["it's here/a b.txt", 'file', 5],
      ['self', 'link', 0],
    ],
  );
});

test('plain ISO 9660 (ESXi): capitals on the disc, lowercase after extraction, as boot.cfg spells them', async () => {
  const iso = await makeFixtureIso('esxi-8.0u2', base);
  const image = await inspectIso(iso);
  assert.equal(image.volumeId, 'ESXI-8.0U2-22380479-STANDARD');
  assert.ok((await listIso(image)).some((e) => e.path === 'efi/boot/bootx64.efi'));
  const out = join(base, 'esxi-out');
  mkdirSync(out);
  await extractIso(image, out);
  assert.ok(readdirSync(out).includes('boot.cfg'));
  assert.ok(readdirSync(join(out, 'efi/boot')).includes('bootx64.efi'));
});

test('marker patterns match one segment per star, without case', () => {
  assert.ok(matchesPattern('dists/*/Release', 'dists/bookworm/Release'));
  assert.ok(!matchesPattern('dists/*/Release', 'dists/bookworm/main/Release'));
  assert.ok(matchesPattern('boot.cfg', 'BOOT.CFG'));
});

test('versions compare by their numbers', () => {
  assert.ok(versionAtLeast('9.4', '8'));
  assert.ok(versionAtLeast('8.10', '8'));
  assert.ok(!versionAtLeast('7.9', '8'));
  assert.ok(versionAtLeast('24.04.1', '20.04'));
  assert.ok(!versionAtLeast('18.04.6', '20.04'));
  assert.ok(versionAtLeast('16.0', '16'));
  assert.ok(versionAtLeast('8.0.2', '7.0'));
});

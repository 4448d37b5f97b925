/**
 * Identification of installation media from the media itself: every family
 * from a folder and from an ISO (where only the marker files are
 * extracted), the debian-installer netboot directory the end-to-end install
 * uses, and the refusals: unsupported releases named as such, unknown media
 * with what was looked for and what was there.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BerthError } from '../../src/errors.ts';
import { identifyIso } from '../../src/media/extract.ts';
import { identifyMedia } from '../../src/media/identify/index.ts';
import { fixtureExpectation, makeFixtureIso, SUPPORTED_FIXTURES, writeFixtureMedia } from '../helpers/fixture-media.ts';
import type { FixtureName } from '../helpers/fixture-media.ts';

const NETBOOT = '/usr/lib/debian-installer/images/12/amd64/text';

let base: string;
before(() => {
  base = mkdtempSync(join(tmpdir(), 'berth-media-identify-'));
});
after(() => rmSync(base, { recursive: true, force: true }));

function badInput(pattern: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof BerthError, `a BerthError, not ${String(e)}`);
    assert.equal(e.code, 'BERTH_BAD_INPUT');
    assert.match(e.message, pattern);
    return true;
  };
}

describe('every supported family, from a folder and from an ISO', () => {
  for (const name of SUPPORTED_FIXTURES) {
    const expected = fixtureExpectation(name);

    test(`${name}: folder`, async () => {
      const identity = await identifyMedia(writeFixtureMedia(name, join(base, 'dirs', name)));
      assert.deepEqual(
        { distro: identity.distro, version: identity.version, arch: identity.arch, family: identity.family, kernel: identity.kernel, initrds: identity.initrds },
        expected,
      );
      assert.equal(identity.name, `${expected.distro}-${expected.version}-${expected.arch}`);
      assert.ok(identity.label.length > 0);
      assert.ok(identity.evidence.length >= 2, 'the markers that said so are recorded');
      for (const e of identity.evidence) assert.ok(e.file && e.says, JSON.stringify(e));
    });

    test(`${name}: ISO, identified from its marker files alone`, async () => {
      const iso = await makeFixtureIso(name, join(base, 'isos'));
      const scratch = mkdtempSync(join(base, 'scratch-'));
      const { identity, image } = await identifyIso(iso, scratch);
      assert.equal(identity.distro, expected.distro);
      assert.equal(identity.version, expected.version);
      assert.equal(identity.family, expected.family);
      assert.equal(identity.kernel, expected.kernel);
      assert.deepEqual(identity.initrds, expected.initrds);
      assert.equal(image.format, 'iso9660');
      assert.deepEqual(readdirSync(scratch), [], 'the extracted markers are removed');
    });
  }

  test('labels and evidence say what the media says', async () => {
    const rocky = await identifyMedia(writeFixtureMedia('rocky-9.4', join(base, 'label', 'rocky')));
    assert.equal(rocky.label, 'Rocky Linux 9.4 x86_64');
    assert.ok(rocky.evidence.some((e) => e.file === '.treeinfo' && /Rocky Linux/.test(e.says) && /9\.4/.test(e.says)));
    assert.ok(rocky.evidence.some((e) => e.file === 'images/install.img' && /stage2/.test(e.says)));
    assert.ok(rocky.evidence.some((e) => /BaseOS/.test(e.says)), 'a DVD carries its repositories');

    const ubuntu = await identifyMedia(writeFixtureMedia('ubuntu-24.04.1', join(base, 'label', 'ubuntu')));
    assert.equal(ubuntu.label, 'Ubuntu-Server 24.04.1 LTS "Noble Numbat" - Release amd64 (20240827)');

    const debian = await identifyMedia(writeFixtureMedia('debian-12.5', join(base, 'label', 'debian')));
    assert.ok(debian.evidence.some((e) => e.file === 'dists/bookworm/Release' && /Version: 12\.5/.test(e.says)), 'the Release file, not the dists/stable link');
    assert.ok(debian.evidence.some((e) => e.file === 'install.amd/initrd.gz' && /cdrom flavour/.test(e.says)));

    const esxi = await identifyMedia(writeFixtureMedia('esxi-8.0u2', join(base, 'label', 'esxi')));
    assert.equal(esxi.label, 'VMware ESXi 8.0.2 build 22380479');

    const sles = await identifyMedia(writeFixtureMedia('sles-15-sp6', join(base, 'label', 'sles')));
    assert.match(sles.label, /^SUSE Linux Enterprise Server 15 SP6 x86_64/);
  });

  test('names are matched without regard to case: a tree copied off a plain ISO 9660 disc in capitals', async () => {
    const dir = writeFixtureMedia('esxi-8.0u2', join(base, 'caps', 'esxi'));
    renameSync(join(dir, 'boot.cfg'), join(dir, 'BOOT.CFG'));
    renameSync(join(dir, 'efi'), join(dir, 'EFI'));
    const identity = await identifyMedia(dir);
    assert.equal(identity.kernel, 'EFI/boot/bootx64.efi');
    assert.deepEqual(identity.initrds, ['BOOT.CFG']);
  });

  test('SLES 15 from the Online ISO, whose only marker is media.1/media', async () => {
    const dir = join(base, 'sle-online');
    writeFixtureMedia('sles-15-sp6', dir);
    rmSync(join(dir, 'media.1/products'));
    const identity = await identifyMedia(dir);
    assert.equal(identity.distro, 'sles');
    assert.equal(identity.version, '15.6');
    assert.equal(identity.family, 'autoyast');
  });
});

describe('the debian-installer netboot directory (debian-installer-12-netboot-amd64)', () => {
  test('identified as Debian 12 preseed with the netboot kernel and initrd', { skip: existsSync(NETBOOT) ? false : `${NETBOOT} is absent: apt-get install debian-installer-12-netboot-amd64` }, async () => {
    const identity = await identifyMedia(NETBOOT);
    assert.equal(identity.distro, 'debian');
    assert.equal(identity.version, '12');
    assert.equal(identity.arch, 'x86_64');
    assert.equal(identity.family, 'preseed');
    assert.equal(identity.kernel, 'debian-installer/amd64/linux');
    assert.deepEqual(identity.initrds, ['debian-installer/amd64/initrd.gz']);
    assert.match(identity.label, /Debian 12 \(bookworm\) netboot/);
    assert.ok(identity.evidence.some((e) => e.file === 'version.info'));
  });

  test('a hand-made netboot tree in the same layout', async () => {
    const dir = join(base, 'netboot');
    for (const [path, content] of [
      ['version.info', 'Debian version:  13 (trixie)\nInstaller build: 20250803\n'],
      ['debian-installer/arm64/linux', 'k'],
      ['debian-installer/arm64/initrd.gz', 'i'],
    ] as const) {
      writeFixtureFile(join(dir, path), content);
    }
    const identity = await identifyMedia(dir);
    assert.deepEqual([identity.version, identity.arch, identity.kernel], ['13', 'aarch64', 'debian-installer/arm64/linux']);
  });
});

describe('refusals', () => {
  const unsupported: [FixtureName, RegExp][] = [
    ['rhel-7.9', /Red Hat Enterprise Linux 7\.9.*not supported.*8 and later/],
    ['debian-10', /Debian 10\.13.*not supported.*Debian 11 and later/],
    ['ubuntu-desktop-24.04.1', /Ubuntu 24\.04\.1.*desktop.*not supported.*live server ISO/],
    ['sles-12-sp5', /SUSE Linux Enterprise Server 12 SP5 is not supported.*15 with AutoYaST.*16 with Agama/],
  ];
  for (const [name, message] of unsupported) {
    test(`${name}: named, with what is supported (folder and ISO)`, async () => {
      await assert.rejects(identifyMedia(writeFixtureMedia(name, join(base, 'refused', name))), badInput(message));
      await assert.rejects(identifyIso(await makeFixtureIso(name, join(base, 'refused-isos'))), badInput(message));
    });
  }

  test('unknown media: lists the markers looked for and what is at the top', async () => {
    const dir = writeFixtureMedia('unknown', join(base, 'unknown'));
    await assert.rejects(identifyMedia(dir), badInput(/no boot\.cfg, \.disk\/info, version\.info, media\.1\/products, content, \.treeinfo, \.discinfo; found top-level: EFI, README, boot/));
    const iso = await makeFixtureIso('unknown', join(base, 'unknown-iso'));
    await assert.rejects(identifyIso(iso), badInput(/unknown\.iso is not installation media.*found top-level: EFI, README, boot/));
  });

  test('a marker of no known distribution is quoted', async () => {
    const dir = join(base, 'mint');
    writeFixtureFile(join(dir, '.disk/info'), 'Linux Mint 21.3 "Virginia" - Release amd64 20240110');
    await assert.rejects(identifyMedia(dir), badInput(/found \.disk\/info \('Linux Mint 21\.3/));
  });

  test('a file is not a folder; a missing path is not found', async () => {
    const file = join(base, 'plain-file');
    writeFileSync(file, 'x');
    await assert.rejects(identifyMedia(file), badInput(/not a directory/));
    await assert.rejects(identifyMedia(join(base, 'nothing-here')), (e: unknown) => e instanceof BerthError && e.code === 'BERTH_NOT_FOUND');
  });

  test('a truncated ISO and a file that is no ISO', async () => {
    const iso = readFileSync(await makeFixtureIso('rocky-9.4', join(base, 'trunc')));
    const half = join(base, 'trunc', 'half.iso');
    writeFileSync(half, iso.subarray(0, Math.floor(iso.length / 2)));
    await assert.rejects(identifyIso(half), badInput(/half\.iso is truncated or not an ISO 9660\/UDF image: it has \d+ bytes, but its volume descriptor .* says \d+: .*larger than readable size/));

    const text = join(base, 'trunc', 'notes.iso');
    writeFileSync(text, 'not an image\n'.repeat(10_000));
    await assert.rejects(identifyIso(text), badInput(/notes\.iso is truncated or not an ISO 9660\/UDF image: there is no ISO 9660 volume descriptor/));
  });
});

function writeFixtureFile(path: string, content: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
}

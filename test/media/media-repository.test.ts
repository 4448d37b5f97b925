/**
 * The media store under a temporary state dir: import from an ISO and from a
 * folder, published whole by one rename; re-import of the same source is a
 * no-op; another source under a taken name needs force; a truncated or
 * unknown ISO leaves nothing behind; removal is refused while profiles use
 * the media.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BerthError } from '../../src/errors.ts';
import { MEDIA_RECORD } from '../../src/media/media.ts';
import { MediaRepository } from '../../src/media/media-repository.ts';
import { mediaNameProblem } from '../../src/media/media-name.ts';
import { prepareStateDir } from '../../src/state/state-dir.ts';
import { makeFixtureIso, writeFixtureMedia } from '../helpers/fixture-media.ts';

const NETBOOT = '/usr/lib/debian-installer/images/12/amd64/text';

let base: string;
before(() => {
  base = mkdtempSync(join(tmpdir(), 'berth-media-repo-'));
});
after(() => rmSync(base, { recursive: true, force: true }));

async function newRepo(): Promise<MediaRepository> {
  const { layout } = await prepareStateDir(mkdtempSync(join(base, 'state-')));
  return new MediaRepository(layout);
}

function code(expected: string, pattern?: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof BerthError, `a BerthError, not ${String(e)}`);
    assert.equal(e.code, expected, e.message);
    if (pattern) assert.match(e.message, pattern);
    return true;
  };
}

describe('import from an ISO', () => {
  let repo: MediaRepository;
  let iso: string;
  before(async () => {
    repo = await newRepo();
    iso = await makeFixtureIso('rocky-9.4', join(base, 'isos'));
  });

  test('copies the tree, writes media.json, names it <distro>-<version>-<arch>', async () => {
    const { record, unchanged } = await repo.import(iso);
    assert.equal(unchanged, false);
    assert.equal(record.name, 'rocky-9.4-x86_64');
    assert.equal(record.family, 'kickstart');
    assert.equal(record.source.path, iso);
    assert.equal(record.source.bytes, statSync(iso).size);
    assert.match(record.source.sha256, /^[0-9a-f]{64}$/);
    assert.equal(record.iso, undefined, 'kickstart installs fetch the tree, not the ISO');
    const folder = repo.folder(record.name);
    assert.equal(readFileSync(join(folder, 'images/pxeboot/vmlinuz'), 'utf8'), 'fixture kernel: Rocky Linux 9.4\n');
    assert.ok(existsSync(join(folder, '.treeinfo')), 'hidden marker files are part of the tree (anaconda reads .treeinfo)');
    assert.deepEqual(JSON.parse(readFileSync(join(folder, MEDIA_RECORD), 'utf8')), record);
    assert.deepEqual(await repo.read(record.name), record);
    assert.deepEqual(
      readdirSync(repo.state.media).filter((e) => e.startsWith('.')),
      [],
      'no partial folder, identification scratch or lock is left',
    );
  });

  test('the same ISO again is a no-op that returns the existing record', async () => {
    const before = await repo.read('rocky-9.4-x86_64');
    const again = await repo.import(iso);
    assert.equal(again.unchanged, true);
    assert.deepEqual(again.record, before);
  });

  test('another source under the same name needs force; with force it replaces the media', async () => {
    const other = await makeFixtureIso('fedora-40', join(base, 'isos'));
    await assert.rejects(repo.import(other, { name: 'rocky-9.4-x86_64' }), code('BERTH_CONFLICT', /media 'rocky-9\.4-x86_64' already exists, imported from .*rocky-9\.4\.iso.*fedora-40\.iso is a different source/));
    assert.equal((await repo.read('rocky-9.4-x86_64')).distro, 'rocky', 'refused import changed nothing');
    const { record } = await repo.import(other, { name: 'rocky-9.4-x86_64', force: true });
    assert.equal(record.distro, 'fedora');
    assert.equal((await repo.read('rocky-9.4-x86_64')).distro, 'fedora');
    assert.ok(!existsSync(join(repo.folder('rocky-9.4-x86_64'), 'BaseOS')), 'nothing of the old tree remains');
    assert.deepEqual(readdirSync(repo.state.media).sort(), ['rocky-9.4-x86_64']);
  });

  test('a name of its own; bad names are refused before anything happens', async () => {
    const { record } = await repo.import(iso, { name: 'rocky-lab' });
    assert.equal(record.name, 'rocky-lab');
    for (const name of ['Rocky', '../x', '.hidden', '-dash', 'a'.repeat(65), 'a b']) {
      assert.ok(mediaNameProblem(name), name);
      await assert.rejects(repo.import(iso, { name }), code('BERTH_BAD_INPUT'));
    }
  });

  test('list() shows every media, damaged ones with the reason', async () => {
    writeFileSync(join(repo.folder('rocky-lab'), MEDIA_RECORD), '{"name": "rocky-lab"');
    const entries = await repo.list();
    assert.deepEqual(
      entries.map((e) => e.name),
      ['rocky-9.4-x86_64', 'rocky-lab'],
    );
    const damaged = entries.find((e) => e.name === 'rocky-lab');
    assert.ok(damaged && 'damaged' in damaged && /is not JSON/.test(damaged.damaged));
    await assert.rejects(repo.read('rocky-lab'), code('BERTH_CORRUPT'));
    await assert.rejects(repo.read('not-there'), code('BERTH_NOT_FOUND', /not imported/));
  });
});

describe('an Ubuntu ISO keeps a copy of the whole ISO', () => {
  test('iso names the copy inside the media folder; identical to the source', async () => {
    const repo = await newRepo();
    const iso = await makeFixtureIso('ubuntu-24.04.1', join(base, 'isos-ubuntu'));
    const { record } = await repo.import(iso);
    assert.equal(record.family, 'autoinstall');
    assert.equal(record.iso, 'ubuntu-24.04.1-x86_64.iso');
    assert.deepEqual(readFileSync(join(repo.folder(record.name), record.iso!)), readFileSync(iso));
    assert.ok(record.evidence.some((e) => e.file === record.iso));
  });

  test('from a folder, an ISO is made from the tree', async () => {
    const repo = await newRepo();
    const dir = writeFixtureMedia('ubuntu-24.04.1', join(base, 'dir-ubuntu'));
    const { record } = await repo.import(dir);
    assert.equal(record.iso, 'ubuntu-24.04.1-x86_64.iso');
    const made = readFileSync(join(repo.folder(record.name), record.iso!));
    assert.equal(made.toString('latin1', 32769, 32774), 'CD001');
  });
});

describe('import from a folder', () => {
  test('copies it, links as links; the same folder again is a no-op, a changed one a conflict', async () => {
    const repo = await newRepo();
    const dir = writeFixtureMedia('debian-12.5', join(base, 'dir-debian'));
    const first = await repo.import(dir);
    assert.equal(first.record.name, 'debian-12.5-x86_64');
    assert.equal(first.record.source.path, dir);
    const folder = repo.folder('debian-12.5-x86_64');
    assert.ok(statSync(join(folder, 'install.amd/initrd.gz')).isFile());
    assert.equal(readFileSync(join(folder, 'dists/stable/Release'), 'utf8').includes('Version: 12.5'), true, 'dists/stable still points at bookworm');

    const again = await repo.import(dir);
    assert.equal(again.unchanged, true);
    assert.equal(again.record.imported, first.record.imported);

    writeFileSync(join(dir, 'pool/main/extra.deb'), 'more');
    await assert.rejects(repo.import(dir), code('BERTH_CONFLICT', /different source/));
  });

  test(`the debian-installer netboot directory imports as debian-12-x86_64`, { skip: existsSync(NETBOOT) ? false : `${NETBOOT} is absent: apt-get install debian-installer-12-netboot-amd64` }, async () => {
    const repo = await newRepo();
    const { record } = await repo.import(NETBOOT);
    assert.equal(record.name, 'debian-12-x86_64');
    assert.deepEqual([record.distro, record.version, record.arch, record.family], ['debian', '12', 'x86_64', 'preseed']);
    assert.equal(record.kernel, 'debian-installer/amd64/linux');
    assert.deepEqual(record.initrds, ['debian-installer/amd64/initrd.gz']);
    assert.equal(statSync(join(repo.folder(record.name), record.initrds[0]!)).size, statSync(join(NETBOOT, record.initrds[0]!)).size);
    assert.equal((await repo.import(NETBOOT)).unchanged, true);
  });
});

describe('failures leave nothing behind', () => {
  test('a truncated ISO: a clear error naming the file, nothing in media/', async () => {
    const repo = await newRepo();
    const whole = readFileSync(await makeFixtureIso('sles-15-sp6', join(base, 'isos-trunc')));
    const half = join(base, 'isos-trunc', 'SLE-15-SP6-half.iso');
    writeFileSync(half, whole.subarray(0, Math.floor(whole.length / 2)));
    await assert.rejects(repo.import(half), code('BERTH_BAD_INPUT', /SLE-15-SP6-half\.iso is truncated or not an ISO 9660\/UDF image/));
    assert.deepEqual(readdirSync(repo.state.media), []);
  });

  test('unknown and unsupported media: refused before copying, nothing in media/', async () => {
    const repo = await newRepo();
    await assert.rejects(repo.import(await makeFixtureIso('unknown', join(base, 'isos-unknown'))), code('BERTH_BAD_INPUT', /found top-level: EFI, README, boot/));
    await assert.rejects(repo.import(writeFixtureMedia('debian-10', join(base, 'dir-debian-10'))), code('BERTH_BAD_INPUT', /Debian 10\.13/));
    await assert.rejects(repo.import(join(base, 'no-such.iso')), code('BERTH_NOT_FOUND'));
    assert.deepEqual(readdirSync(repo.state.media), []);
  });

  test('leftovers of an interrupted import are removed by the next import of that name, not of another', async () => {
    const repo = await newRepo();
    const mine = join(repo.state.media, '.partial-999999-0123abcd-fedora-40-x86_64');
    const other = join(repo.state.media, '.partial-999999-0123abcd-fedora-40-x86_64-lab');
    for (const dir of [mine, other]) writeFixtureMedia('unknown', dir);
    await repo.import(await makeFixtureIso('fedora-40', join(base, 'isos-leftover')));
    assert.ok(!existsSync(mine));
    assert.ok(existsSync(other), "another media's partial folder is not touched");
  });
});

describe('remove', () => {
  test('refused while profiles use it, unless forced', async () => {
    const repo = await newRepo();
    await repo.import(writeFixtureMedia('esxi-8.0u2', join(base, 'dir-esxi')));
    await assert.rejects(repo.remove('esxi-8.0.2-x86_64', { inUse: ['esxi-lab', 'esxi-prod'] }), code('BERTH_CONFLICT', /used by profiles esxi-lab, esxi-prod/));
    assert.ok(existsSync(repo.folder('esxi-8.0.2-x86_64')));
    await repo.remove('esxi-8.0.2-x86_64', { inUse: ['esxi-lab'], force: true });
    assert.deepEqual(readdirSync(repo.state.media), []);
    await assert.rejects(repo.remove('esxi-8.0.2-x86_64'), code('BERTH_NOT_FOUND'));
  });

  test('unused media goes without force', async () => {
    const repo = await newRepo();
    await repo.import(writeFixtureMedia('opensuse-leap-15.6', join(base, 'dir-leap')));
    await repo.remove('opensuse-leap-15.6-x86_64', { inUse: [] });
    assert.deepEqual(await repo.list(), []);
  });
});

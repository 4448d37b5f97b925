/** The profile operations on a real state dir and an in-memory inventory, with hand-written image versions. */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BerthError } from '../../src/errors.ts';
import { ImageRepository } from '../../src/images/repository/image-repository.ts';
import { Inventory } from '../../src/inventory/inventory.ts';
import { ProfileRepository } from '../../src/profiles/profile-repository.ts';
import { ProfileService } from '../../src/profiles/profile-service.ts';
import { stateDirLayout } from '../../src/state/state-dir.ts';
import { createMemoryStore } from '../../src/store/memory-store.ts';
import { writeFakeImageVersion } from '../helpers/fake-image-version.ts';

async function rejects(promise: Promise<unknown>, code: string, message: RegExp): Promise<BerthError> {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof BerthError, String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, message);
    return e;
  }
  assert.fail('did not fail');
}

describe('profile service', () => {
  let stateDir: string;
  let inventory: Inventory;
  let profiles: ProfileService;

  before(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'berth-profiles-'));
    inventory = await Inventory.load(createMemoryStore());
    const layout = stateDirLayout(stateDir);
    profiles = new ProfileService({ profiles: new ProfileRepository(layout.profiles), images: new ImageRepository(layout), inventory });
    await writeFakeImageVersion(stateDir, 'compute', 1);
    await writeFakeImageVersion(stateDir, 'compute', 2);
    await mkdir(join(stateDir, 'trees', 'fresh', 'root'), { recursive: true });
  });
  after(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  test('define writes profile.yaml and script folders 0755; show resolves latest', async () => {
    const view = await profiles.define({ name: 'cn', image: 'compute', kernelArgs: 'console=ttyS0 host={node}', description: 'compute nodes' });
    assert.equal(view.image, 'compute@latest');
    assert.equal(view.bootMethod, 'tethered');
    assert.deepEqual(view.resolvesTo && { ref: view.resolvesTo.ref, version: view.resolvesTo.version }, { ref: 'compute@2', version: 2 });
    assert.deepEqual(view.scripts, { 'post.d': [], 'firstboot.d': [], 'onboot.d': [] });
    assert.deepEqual(view.nodes, { pending: '', deployed: '', count: 0 });
    const folder = join(stateDir, 'profiles', 'cn');
    assert.match(await readFile(join(folder, 'profile.yaml'), 'utf8'), /^image: compute@latest\nboot_method: tethered\nkernel_args: console=ttyS0 host=\{node\}\ndescription: compute nodes\n/m);
    for (const folderName of ['post.d', 'firstboot.d', 'onboot.d']) assert.equal((await stat(join(folder, folderName))).mode & 0o777, 0o755);
  });

  test('define refuses what would not boot: no image, no packed version, bad method, bad expression, taken name', async () => {
    await rejects(profiles.define({ name: 'x', image: 'nosuch' }), 'BERTH_NOT_FOUND', /profile 'x' cannot use nosuch@latest: image 'nosuch' does not exist/);
    await rejects(profiles.define({ name: 'x', image: 'fresh@latest' }), 'BERTH_NOT_FOUND', /image 'fresh' has no packed version yet; pack it: berth image pack fresh/);
    await rejects(profiles.define({ name: 'x', image: 'compute@7' }), 'BERTH_NOT_FOUND', /compute@7 does not exist/);
    await rejects(profiles.define({ name: 'x', image: 'compute', bootMethod: 'diskless' }), 'BERTH_BAD_INPUT', /use one of tethered, untethered, installtodisk/);
    const syntax = await rejects(profiles.define({ name: 'x', image: 'compute', kernelArgs: 'a={node' }), 'BERTH_EXPRESSION_SYNTAX', /^kernel_args: expression/);
    assert.equal(syntax.where.pointer, '/kernelArgs');
    assert.equal(typeof syntax.where.column, 'number');
    await rejects(profiles.define({ name: 'x/y', image: 'compute' }), 'BERTH_BAD_INPUT', /not a profile name/);
    await rejects(profiles.define({ name: 'cn', image: 'compute@1' }), 'BERTH_EXISTS', /profile 'cn' already exists/);
    assert.deepEqual((await profiles.list()).map((p) => p.name), ['cn']);
  });

  test('a damaged version is refused with what is wrong', async () => {
    await writeFakeImageVersion(stateDir, 'broken', 1);
    await rm(join(stateDir, 'private', 'images', 'broken', '1.key'));
    await rejects(profiles.define({ name: 'b', image: 'broken@1' }), 'BERTH_CORRUPT', /broken@1 is damaged: its key .* is missing/);
  });

  test('change: fields one at a time, with the same checks; kernel arguments must evaluate for waiting nodes', async () => {
    assert.equal((await profiles.change('cn', { image: 'compute@1', bootMethod: 'installtodisk' })).resolvesTo?.ref, 'compute@1');
    await inventory.defineNodes([{ name: 'n1', attributes: { 'deployment.pending_profile': 'cn' } }, { name: 'n2', attributes: { 'deployment.pending_profile': 'cn', 'location.rack': '3' } }]);
    const e = await rejects(profiles.change('cn', { kernelArgs: 'rack={location.rack}' }), 'BERTH_EXPRESSION_EVAL', /cannot be evaluated for 1 node\(s\) waiting for profile 'cn': n1:/);
    assert.equal(e.where.node, 'n1');
    await rejects(profiles.change('cn', { image: 'nosuch@1' }), 'BERTH_NOT_FOUND', /image version nosuch@1 does not exist/);
    await rejects(profiles.change('nope', { description: 'x' }), 'BERTH_NOT_FOUND', /no profile named 'nope'/);
    const view = await profiles.change('cn', { kernelArgs: 'quiet', description: '' });
    assert.equal(view.kernelArgs, 'quiet');
    assert.equal(view.bootMethod, 'installtodisk');
    assert.equal(view.description, '');
  });

  test('show lists scripts in run order and the nodes naming the profile', async () => {
    const folder = join(stateDir, 'profiles', 'cn');
    for (const name of ['20-b.sh', '10-a.sh', '.10-a.sh.swp']) await writeFile(join(folder, 'post.d', name), '#!/bin/sh\n');
    await mkdir(join(folder, 'onboot.d', 'not-a-script'));
    await inventory.defineNodes([{ name: 'n3', attributes: { 'deployment.profile': 'cn' } }]);
    await inventory.changeNodes(['n1'], { set: { 'deployment.profile': 'cn' } });
    const view = await profiles.show('cn');
    assert.deepEqual(view.scripts, { 'post.d': ['10-a.sh', '20-b.sh'], 'firstboot.d': [], 'onboot.d': [] });
    assert.deepEqual(view.nodes, { pending: 'n[1-2]', deployed: 'n[1,3]', count: 3 });
  });

  test('list shows every folder: kernel profiles, and broken ones with their problem', async () => {
    const lab = join(stateDir, 'profiles', 'lab');
    await mkdir(lab);
    await writeFile(join(lab, 'profile.yaml'), 'kernel: vmlinuz\ninitrds: [initrd.gz]\n');
    await writeFile(join(lab, 'vmlinuz'), 'k');
    await mkdir(join(stateDir, 'profiles', 'broken'));
    await writeFile(join(stateDir, 'profiles', 'broken', 'profile.yaml'), 'image: compute\nkernel_arg: x\n');
    const list = await profiles.list();
    assert.deepEqual(list.map((p) => [p.name, p.kind]), [['broken', 'invalid'], ['cn', 'image'], ['lab', 'kernel']]);
    assert.match(list[0]!.problem!, /profile\.yaml:2: kernel_arg: unknown key/);
    assert.match(list[2]!.problem!, /initrd\.gz is missing/);
    assert.equal(list[1]!.nodes.count, 3);
  });

  test('a kernel profile takes kernel arguments and a description, not an image', async () => {
    await rejects(profiles.change('lab', { image: 'compute' }), 'BERTH_CONFLICT', /boots its own kernel/);
    const view = await profiles.change('lab', { kernelArgs: 'console=ttyS0 berth.node={node}' });
    assert.equal(view.kind, 'kernel');
    assert.equal(await readFile(join(stateDir, 'profiles', 'lab', 'profile.yaml'), 'utf8'), 'kernel: vmlinuz\ninitrds: [initrd.gz]\nkernel_args: console=ttyS0 berth.node={node}\n');
  });

  test('remove refuses while nodes name the profile, naming them; force removes it anyway', async () => {
    await rejects(profiles.remove('cn', false), 'BERTH_CONFLICT', /in use by n\[1-2\] \(deployment\.pending_profile\) and n\[1,3\] \(deployment\.profile\)/);
    assert.deepEqual(await profiles.remove('cn', true), { removed: 'cn', pending: 'n[1-2]', deployed: 'n[1,3]' });
    await rejects(profiles.show('cn'), 'BERTH_NOT_FOUND', /no profile named 'cn'/);
    await rejects(profiles.remove('cn', true), 'BERTH_NOT_FOUND', /no profile named 'cn'/);
    assert.deepEqual(await profiles.remove('broken', false), { removed: 'broken', pending: '', deployed: '' });
    assert.deepEqual((await profiles.list()).map((p) => p.name), ['lab']);
  });

  test('concurrent changes are applied one after the other', async () => {
    await profiles.define({ name: 'c2', image: 'compute' });
    await Promise.all(Array.from({ length: 10 }, (_, i) => profiles.change('c2', i % 2 ? { description: `d${i}` } : { kernelArgs: `k${i}` })));
    const view = await profiles.show('c2');
    assert.equal(view.description, 'd9');
    assert.equal(view.kernelArgs, 'k8');
  });
});

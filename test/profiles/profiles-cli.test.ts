/** `berth profile ...`: the real binary against a real daemon, with image versions written by hand. */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDaemon } from '../helpers/daemon.ts';
import type { Daemon } from '../helpers/daemon.ts';
import { writeFakeImageVersion } from '../helpers/fake-image-version.ts';

describe('berth profile', () => {
  let d: Daemon;
  const ok = (args: string[]) => {
    const r = d.cli(args);
    assert.equal(r.code, 0, `berth ${args.join(' ')} failed (${r.code}):\n${r.stderr}`);
    return r.stdout;
  };
  const fails = (args: string[], code: number, stderr: RegExp) => {
    const r = d.cli(args);
    assert.equal(r.code, code, `berth ${args.join(' ')}: exit ${r.code}\n${r.stdout}${r.stderr}`);
    assert.match(r.stderr, stderr);
  };

  before(async () => {
    d = await startDaemon();
    await writeFakeImageVersion(d.stateDir, 'compute', 1);
    await writeFakeImageVersion(d.stateDir, 'compute', 2);
    await mkdir(join(d.stateDir, 'trees', 'fresh', 'root'), { recursive: true });
  });
  after(async () => {
    await d.stop();
    d.cleanup();
  });

  test('define: image, method, kernel arguments, description', () => {
    assert.equal(ok(['profile', 'define', 'cn', '--image', 'compute', '--kernel-args', 'console=ttyS0 host={node}', '--description', 'compute nodes']), 'defined profile cn: compute@latest (now compute@2), tethered\n');
    assert.equal(ok(['profile', 'define', 'pinned', '--image', 'compute@1', '--boot-method', 'installtodisk']), 'defined profile pinned: compute@1, installtodisk\n');
  });

  test('define refuses, with exit codes scripts can use', () => {
    fails(['profile', 'define', 'x', '--image', 'nosuch'], 3, /profile 'x' cannot use nosuch@latest: image 'nosuch' does not exist/);
    fails(['profile', 'define', 'x', '--image', 'fresh'], 3, /image 'fresh' has no packed version yet; pack it: berth image pack fresh/);
    fails(['profile', 'define', 'x', '--image', 'compute', '--boot-method', 'diskless'], 2, /must be one of tethered, untethered, installtodisk/);
    fails(['profile', 'define', 'x', '--image', 'compute', '--kernel-args', 'ip={net.boot.ipv4_addres}'], 2, /kernel_args: /);
    fails(['profile', 'define', 'x', '--image', 'compute', '--kernel-args', 'rack={n1 +}'], 2, /kernel_args: expression 'rack=\{n1 \+\}'.*\n  rack=\{n1 \+\}\n +\^/);
    fails(['profile', 'define', 'x'], 2, /missing --image/);
    fails(['profile', 'define', 'x', '--image', 'compute', 'quiet'], 2, /unexpected argument 'quiet'/);
    fails(['profile', 'define', 'cn', '--image', 'compute'], 4, /already exists/);
  });

  test('set changes the fields given as key=value', () => {
    assert.equal(ok(['profile', 'set', 'cn', 'image=compute@1', 'boot_method=untethered', 'kernel_args=console=ttyS1', 'description=pinned for now']), 'changed profile cn: compute@1, untethered\n');
    fails(['profile', 'set', 'cn', 'colour=red'], 2, /a profile has no setting 'colour'; use image, boot_method, kernel_args, description/);
    fails(['profile', 'set', 'cn', 'image=compute@9'], 3, /compute@9 does not exist/);
    fails(['profile', 'set', 'nope', 'description=x'], 3, /no profile named 'nope'/);
    fails(['profile', 'set', 'cn'], 2, /missing arguments/);
  });

  test('show prints one fact per line, --json the API view', async () => {
    await writeFile(join(d.stateDir, 'profiles', 'cn', 'post.d', '10-network.sh'), '#!/bin/sh\n');
    await writeFile(join(d.stateDir, 'profiles', 'cn', 'post.d', '20-users.sh'), '#!/bin/sh\n');
    ok(['node', 'define', 'n[1-3]', 'deployment.pending_profile=cn']);
    ok(['node', 'set', 'n3', 'deployment.profile=pinned']);
    assert.equal(
      ok(['profile', 'show', 'cn']),
      [
        'cn: image: compute@1',
        'cn: boot_method: untethered',
        'cn: kernel_args: console=ttyS1',
        'cn: description: pinned for now',
        'cn: post.d: 10-network.sh,20-users.sh',
        'cn: firstboot.d: ',
        'cn: onboot.d: ',
        'cn: nodes.pending: n[1-3]',
        'cn: nodes.deployed: ',
        '',
      ].join('\n'),
    );
    const json = JSON.parse(ok(['profile', 'show', 'cn', '--json']));
    assert.equal(json.resolvesTo.ref, 'compute@1');
    assert.deepEqual(json.scripts['post.d'], ['10-network.sh', '20-users.sh']);
    fails(['profile', 'show', 'nope'], 3, /no profile named 'nope'/);
  });

  test('list: name, image, what it resolves to, method, nodes using it', () => {
    ok(['profile', 'set', 'cn', 'image=compute@latest']);
    const lines = ok(['profile', 'list']).trimEnd().split('\n');
    assert.match(lines[0]!, /^PROFILE +IMAGE +RESOLVES TO +METHOD +NODES +DESCRIPTION$/);
    assert.match(lines[1]!, /^cn +compute@latest +compute@2 +untethered +3 +pinned for now$/);
    assert.match(lines[2]!, /^pinned +compute@1 +compute@1 +installtodisk +1$/);
    const json = JSON.parse(ok(['profile', 'list', '--json']));
    assert.deepEqual(json.profiles.map((p: { name: string }) => p.name), ['cn', 'pinned']);
  });

  test('remove: refused while in use, naming the nodes; --force removes it and says who still names it', () => {
    fails(['profile', 'remove', 'cn'], 4, /profile 'cn' is in use by n\[1-3\] \(deployment\.pending_profile\); give those nodes another profile first, or remove with --force/);
    assert.equal(ok(['profile', 'remove', 'cn', '--force']), 'removed profile cn\nn[1-3] still name it in deployment.pending_profile and boot from local disk until given another profile\n');
    ok(['node', 'unset', 'n3', 'deployment.profile']);
    assert.equal(ok(['profile', 'remove', 'pinned']), 'removed profile pinned\n');
    assert.deepEqual(JSON.parse(ok(['profile', 'list', '--json'])).profiles, []);
    fails(['profile', 'remove', 'pinned'], 3, /no profile named 'pinned'/);
  });

  test('help lists the profile commands', () => {
    const r = d.cli(['profile', '--help']);
    for (const verb of ['define', 'set', 'show', 'list', 'remove']) assert.match(r.stdout, new RegExp(`profile ${verb} `));
  });
});

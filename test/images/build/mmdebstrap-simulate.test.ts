/**
 * Real check of the Debian plan against the installed mmdebstrap: the plan's
 * argv with --simulate in front. mmdebstrap then parses every option, writes
 * the sources, runs `apt-get update` against the mirrors and lets apt resolve
 * the --include list, so a misspelt option, a broken sources line, an
 * untrusted key or a package name the suite does not have fails here. It does
 * not run hooks or install anything (about 10 s per suite).
 *
 * Needs mmdebstrap, the suite's keyring on this host and the network to the
 * distribution's mirrors; skips with the reason otherwise.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { planBuild } from '../../../src/images/build/build-plan.ts';
import { resolveDistro } from '../../../src/images/build/distros.ts';
import { run } from '../../../src/util/run.ts';

async function hasMmdebstrap(): Promise<boolean> {
  try {
    await run('mmdebstrap', ['--version'], { timeoutMs: 10_000 });
    return true;
  } catch {
    return false;
  }
}

async function reachable(url: string): Promise<string | undefined> {
  try {
    const response = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(10_000) });
    return response.ok ? undefined : `${url} answered ${response.status}`;
  } catch (e) {
    return `${url} is not reachable (${(e as Error).message})`;
  }
}

const mmdebstrap = await hasMmdebstrap();

for (const [id, keyringPackage] of [
  ['debian-12', 'debian-archive-keyring'],
  ['debian-13', 'debian-archive-keyring'],
  ['ubuntu-24.04', 'ubuntu-keyring'],
] as const) {
  const distro = resolveDistro(id);
  const keyring = distro.apt?.keyring ?? '';
  let skip: string | false = false;
  if (!mmdebstrap) skip = 'mmdebstrap is not installed (Debian: apt-get install mmdebstrap)';
  else if (!existsSync(keyring)) skip = `${keyring} is missing on this host (install ${keyringPackage})`;
  else skip = (await reachable(`${distro.defaultMirror}/dists/${distro.codename}/InRelease`)) ?? false;

  describe(`installed mmdebstrap accepts the ${id} plan`, { skip }, () => {
    it('--simulate with the plan argv resolves every package of the image', { timeout: 180_000 }, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'berth-mmdebstrap-'));
      try {
        const plan = planBuild({
          distro,
          arch: 'amd64',
          packages: ['lldpd'],
          root: `${dir}/root`,
          cacheDir: `${dir}/cache`,
        });
        const step = plan.steps.find((s) => s.command === 'mmdebstrap');
        assert.ok(step);
        const started = Date.now();
        const result = await run('mmdebstrap', ['--simulate', ...step.args], { timeoutMs: 170_000 });
        assert.match(result.stderr, /simulate installing remaining packages/);
        assert.match(result.stderr, /I: success in/);
        process.stderr.write(`# ${id}: mmdebstrap --simulate took ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
}

describe('installed mmdebstrap refuses what the plan must not contain', { skip: mmdebstrap ? false : 'mmdebstrap is not installed' }, () => {
  it('a package the suite does not have fails the simulation (so the check above means something)', { timeout: 180_000 }, async (t) => {
    const distro = resolveDistro('debian-13');
    const unreachable = await reachable(`${distro.defaultMirror}/dists/${distro.codename}/InRelease`);
    if (unreachable) return t.skip(unreachable);
    const dir = await mkdtemp(join(tmpdir(), 'berth-mmdebstrap-'));
    try {
      const plan = planBuild({ distro, arch: 'amd64', packages: ['no-such-package-berth'], root: `${dir}/root`, cacheDir: `${dir}/cache` });
      const step = plan.steps.find((s) => s.command === 'mmdebstrap');
      assert.ok(step);
      await assert.rejects(run('mmdebstrap', ['--simulate', ...step.args], { timeoutMs: 170_000 }), (e: unknown) => {
        assert.match((e as { stderr?: string }).stderr ?? '', /Unable to locate package no-such-package-berth/);
        return true;
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

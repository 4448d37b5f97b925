/**
 * `berth boot build-ipxe`: an iPXE that trusts berth's CA and nothing else,
 * fetching each machine's script, kernel and initrds over HTTPS
 * (build-plan.ts says what goes into it, ipxe-source.ts where the source
 * comes from).
 *
 * Built in a scratch folder under the state dir's cache, then published as
 * `<state dir>/ipxe/` by rename, with build.json beside the loaders: a
 * failed or interrupted build leaves the previous one (or none) in place,
 * never half of one. Boot services read it at start (trusting-loaders.ts).
 */
import { createHash } from 'node:crypto';
import { access, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { delimiter, join } from 'node:path';
import { BerthError } from '../../../errors.ts';
import { publishStaged } from '../../../state/staged-dir.ts';
import type { StateDirLayout } from '../../../state/state-dir.ts';
import type { Logger } from '../../../util/logger.ts';
import { readIfExists } from '../../../util/files.ts';
import { run } from '../../../util/run.ts';
import { IPXE_TARGETS, ipxeBuildPlan } from './build-plan.ts';
import type { IpxeBuildMetadata, IpxeLoader } from './build-plan.ts';
import { obtainIpxeSource, sourceCannotTrust } from './ipxe-source.ts';

/** The tools iPXE's build runs, and the Debian package of each (util/zbin.c needs lzma.h). */
export const BUILD_DEPENDENCIES: { tool: string; package: string; header?: string }[] = [
  { tool: 'gcc', package: 'gcc' },
  { tool: 'make', package: 'make' },
  { tool: 'perl', package: 'perl' },
  { tool: 'objcopy', package: 'binutils' },
  { tool: 'xz', package: 'xz-utils' },
  { tool: 'gcc', package: 'liblzma-dev', header: '/usr/include/lzma.h' },
];

export interface BuildIpxeOptions {
  layout: StateDirLayout;
  httpsPort: number;
  server?: string;
  source?: string;
  mirror?: string;
  /** apt-get install what is missing, instead of stopping with the list. */
  installDependencies?: boolean;
  /** Search path for the build tools; default this process's PATH. */
  path?: string;
  log: Logger;
}

export interface BuiltIpxe {
  dir: string;
  metadata: IpxeBuildMetadata;
}

/** Debian packages missing for the build: a tool not on `path`, or a header not installed. */
export async function missingBuildPackages(path: string = process.env['PATH'] ?? ''): Promise<string[]> {
  const missing: string[] = [];
  for (const dep of BUILD_DEPENDENCIES) {
    const found = dep.header ? await access(dep.header).then(() => true, () => false) : await onPath(dep.tool, path);
    if (!found && !missing.includes(dep.package)) missing.push(dep.package);
  }
  return missing;
}

async function onPath(tool: string, path: string): Promise<boolean> {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    if (await access(join(dir, tool)).then(() => true, () => false)) return true;
  }
  return false;
}

export async function buildTrustingIpxe(options: BuildIpxeOptions): Promise<BuiltIpxe> {
  const { layout, log } = options;
  const caFile = layout.tls.publicCaCert;
  const caPem = await readIfExists(caFile);
  if (caPem === undefined) {
    throw new BerthError('BERTH_CONFIG', `no berth CA at ${caFile}: start berth serve once (it makes the CA on its first start), then build iPXE`, { file: caFile });
  }
  const plan = ipxeBuildPlan({ caPem, caFile, httpsPort: options.httpsPort, ...(options.server !== undefined ? { server: options.server } : {}) });

  const path = options.path ?? process.env['PATH'] ?? '';
  let missing = await missingBuildPackages(path);
  if (missing.length > 0 && options.installDependencies) {
    log.info('installing iPXE build dependencies', { packages: missing.join(' ') });
    await run('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { timeoutMs: 30 * 60_000, env: { DEBIAN_FRONTEND: 'noninteractive' } });
    missing = await missingBuildPackages(path);
  }
  if (missing.length > 0) {
    throw new BerthError('BERTH_CONFIG', `building iPXE needs the Debian packages ${missing.join(', ')}: apt-get install ${missing.join(' ')} (or pass --install-deps)`);
  }

  const cacheDir = join(layout.cache, 'ipxe');
  await mkdir(cacheDir, { recursive: true, mode: 0o755 });
  const work = await mkdtemp(join(cacheDir, 'build-'));
  try {
    const source = await obtainIpxeSource({ ...(options.source !== undefined ? { source: options.source } : {}), work, cacheDir, mirror: options.mirror ?? 'http://deb.debian.org/debian' });
    const cannot = await sourceCannotTrust(source.tree, plan.caKeyType);
    if (cannot) throw new BerthError('BERTH_BAD_INPUT', cannot);

    for (const [file, text] of Object.entries(plan.configHeaders)) await writeFile(join(source.tree, 'src', 'config', 'local', file), text);
    const caPath = join(work, 'berth-ca.pem');
    const scriptPath = join(work, 'berth-embed.ipxe');
    await writeFile(caPath, caPem);
    await writeFile(scriptPath, plan.embeddedScript);
    const started = Date.now();
    log.info('building iPXE (minutes)', { source: source.origin, version: source.version, ca: plan.caFingerprintSha256, chain: plan.chainUrl });
    await run('make', plan.makeArgs({ ca: caPath, script: scriptPath, jobs: availableParallelism() }), { cwd: source.tree, timeoutMs: 90 * 60_000 });
    const buildSeconds = Math.round((Date.now() - started) / 1000);

    const staged = join(work, 'out');
    await mkdir(staged, { mode: 0o755 });
    const loaders: IpxeBuildMetadata['loaders'] = {};
    for (const [loader, target] of Object.entries(IPXE_TARGETS) as [IpxeLoader, string][]) {
      const built = join(source.tree, 'src', target);
      await copyFile(built, join(staged, loader));
      const bytes = await readFile(built);
      loaders[loader] = { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
    }
    const metadata: IpxeBuildMetadata = {
      source: { origin: source.origin, version: source.version, ...(source.sha256 ? { sha256: source.sha256 } : {}) },
      caFingerprintSha256: plan.caFingerprintSha256,
      caSubject: plan.caSubject,
      chainUrl: plan.chainUrl,
      httpsPort: plan.httpsPort,
      options: ['DOWNLOAD_PROTO_HTTPS', 'IMAGE_TRUST_CMD', 'TRUST=berth CA only', 'CERT=berth CA', 'CROSSCERT=none', 'EMBED=dhcp, chain over HTTPS'],
      loaders,
      builtAt: new Date().toISOString(),
      buildSeconds,
    };
    await writeFile(join(staged, 'build.json'), `${JSON.stringify(metadata, null, 2)}\n`, { mode: 0o644 });
    await writeFile(join(staged, 'embed.ipxe'), plan.embeddedScript, { mode: 0o644 });
    // The old build moves aside and the new one takes its name: boot services never find half of one.
    await publishStaged(staged, layout.ipxe, { replace: true, sync: 'entries' });
    log.info('iPXE built', { dir: layout.ipxe, seconds: buildSeconds });
    return { dir: layout.ipxe, metadata };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * berth image pack against plain mksquashfs of the same minimal Debian 12
 * tree with the same options (zstd level, -reproducible, fixed time), in one
 * run: berth's overhead is everything it adds (encryption, dm-verity,
 * manifest, file index, boot files, publish). Then encryption throughput
 * against `openssl speed -evp aes-256-xts`, the AES-NI bound, per core.
 *
 *   node bench/image-pack.ts [--levels 6,3] [--runs 2]
 *
 * The tree is built once with berth itself into .cache/bench/images and
 * reused. Runs alternate between the two so that load from elsewhere on the
 * machine hits both alike; the median of the runs is reported.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { cryptFile } from '../src/images/crypt/parallel-file-crypt.ts';
import { packImage } from '../src/images/pack/pack-image.ts';
import { DEFAULT_ZSTD_LEVEL, mksquashfsArgs } from '../src/images/pack/squashfs.ts';
import { ImageRepository } from '../src/images/repository/image-repository.ts';
import { epochSeconds } from '../src/images/repository/tree-info.ts';
import { prepareStateDir } from '../src/state/state-dir.ts';
import { run } from '../src/util/run.ts';

const ROOT = resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { levels: { type: 'string', default: `${DEFAULT_ZSTD_LEVEL},3` }, runs: { type: 'string', default: '2' } } });
const levels = values.levels.split(',').map(Number);
const runs = Number(values.runs);
const stateDir = join(ROOT, '.cache/bench/images');
const name = 'bench-minimal';

if (process.getuid?.() !== 0) throw new Error('run as root (image build and pack need it)');
const { layout } = await prepareStateDir(stateDir);
const repo = new ImageRepository(layout);
if (!(await repo.tree(name))) {
  console.log('building the minimal Debian 12 image once (cached in .cache/bench/images)...');
  const r = spawnSync(join(ROOT, 'bin/berth'), ['image', 'build', name, '--distro', 'debian-12', '--package-cache', join(ROOT, '.cache/packages/debian-12-amd64')], { stdio: 'inherit', env: { ...process.env, BERTH_STATE_DIR: stateDir } });
  if (r.status !== 0) process.exit(1);
}
const tree = (await repo.tree(name))!;
const treeRoot = repo.layout(name).treeRoot;
const du = spawnSync('du', ['-sb', treeRoot], { encoding: 'utf8' }).stdout.split('\t')[0];
console.log(`tree: ${(Number(du) / 1048576).toFixed(0)} MiB, ${availableParallelism()} CPUs`);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mib = (n: number) => (n / 1048576).toFixed(1);
console.log('\nlevel  mksquashfs s  berth pack s  overhead  squashfs MiB  artifact MiB  (berth steps, last run)');
for (const level of levels) {
  const plain: number[] = [];
  const berth: number[] = [];
  let steps = '';
  let sizes = { squashfs: 0, artifact: 0 };
  for (let i = 0; i < runs; i++) {
    const out = join(stateDir, 'plain.sqfs');
    rmSync(out, { force: true });
    let t = performance.now();
    await run('mksquashfs', mksquashfsArgs(treeRoot, out, { level, mkfsTime: epochSeconds(tree.modified), clampFileTimes: false }), { env: { SOURCE_DATE_EPOCH: undefined } });
    plain.push((performance.now() - t) / 1000);
    rmSync(out);
    const parts: string[] = [];
    t = performance.now();
    const m = await packImage(repo, name, { level, progress: (step, s) => parts.push(`${step} ${s.toFixed(2)}`) });
    berth.push((performance.now() - t) / 1000);
    steps = parts.join(', ');
    sizes = { squashfs: m.squashfs.bytes, artifact: m.artifact.bytes };
    await repo.removeVersion(name, m.version);
  }
  const p = median(plain);
  const b = median(berth);
  console.log(`${String(level).padStart(5)}  ${p.toFixed(2).padStart(12)}  ${b.toFixed(2).padStart(12)}  ${(((b - p) / p) * 100).toFixed(1).padStart(7)}%  ${mib(sizes.squashfs).padStart(12)}  ${mib(sizes.artifact).padStart(12)}  (${steps})`);
}

// Encryption throughput: a 512 MiB file (in the page cache) through berth's parallel encryptor, vs openssl's single-core bound.
const sample = join(stateDir, 'crypt-sample');
const bytes = 512 * 1048576;
if (!existsSync(sample) || statSync(sample).size !== bytes) {
  const chunk = randomBytes(16 * 1048576);
  writeFileSync(sample, Buffer.alloc(0));
  for (let at = 0; at < bytes; at += chunk.length) writeFileSync(sample, chunk, { flag: 'a' });
}
const key = randomBytes(64);
const target = `${sample}.out`;
const speed = async (workers: number) => {
  const results: number[] = [];
  for (let i = 0; i < 3; i++) {
    writeFileSync(target, '');
    const t = performance.now();
    await cryptFile('encrypt', sample, target, bytes, key, { sectorSize: 4096, ivLargeSectors: true }, { workers });
    results.push(bytes / 1048576 / ((performance.now() - t) / 1000));
  }
  rmSync(target);
  return median(results);
};
const one = await speed(1);
const all = await speed(availableParallelism());
const { stdout } = await run('openssl', ['speed', '-seconds', '2', '-evp', 'aes-256-xts'], { timeoutMs: 120_000 });
const line = stdout.split('\n').find((l) => /^aes-256-xts/i.test(l.trim()) || /^AES-256-XTS/.test(l.trim()));
const last = line?.trim().split(/\s+/).at(-1);
const openssl = last ? (parseFloat(last) * 1000) / 1048576 : NaN;
console.log(`\nencryption, aes-xts-plain64 4096 --iv-large-sectors, file to file:`);
console.log(`  berth, 1 worker:   ${one.toFixed(0)} MiB/s  (${(one / openssl).toFixed(2)}x openssl)`);
console.log(`  berth, ${availableParallelism()} workers:  ${all.toFixed(0)} MiB/s  (${(all / openssl).toFixed(2)}x openssl one core)`);
console.log(`  openssl speed -evp aes-256-xts, 16 KiB blocks, one core: ${openssl.toFixed(0)} MiB/s`);
mkdirSync(stateDir, { recursive: true });

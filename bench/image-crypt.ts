/**
 * Throughput of images/crypt's aes-xts-plain64 (bulk AES-ECB + tweaks in JS)
 * on 256 MiB per sector size, against Node's aes-256-xts with one cipher
 * object per sector (the obvious implementation) and against
 * `openssl speed -evp aes-256-xts` at 16 KiB blocks, the AES-NI bound of this
 * CPU on one core.
 *
 *   node_modules/.bin/node bench/image-crypt.ts [MiB]
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { encryptPlainXts } from '../src/images/crypt/plain-xts.ts';
import type { PlainXtsOptions } from '../src/images/crypt/plain-xts.ts';
import { plain64Ivs } from '../src/images/crypt/plain64-iv.ts';
import { run } from '../src/util/run.ts';

const mib = Number(process.argv[2] ?? 256);
const data = randomBytes(mib * 1024 * 1024);
const key = randomBytes(64);

function mibPerSecond(fn: () => void): number {
  const start = performance.now();
  fn();
  return mib / ((performance.now() - start) / 1000);
}

function perSectorNodeXts(o: PlainXtsOptions): void {
  for (let at = 0; at < data.length; at += o.sectorSize) {
    const c = createCipheriv('aes-256-xts', key, plain64Ivs(at, 1, o));
    c.update(data.subarray(at, at + o.sectorSize));
    c.final();
  }
}

/** `openssl speed -evp aes-256-xts`, its 16384-byte column (reported in 1000s of bytes per second). */
async function opensslBound(): Promise<number> {
  const { stdout } = await run('openssl', ['speed', '-seconds', '2', '-evp', 'aes-256-xts'], { timeoutMs: 120_000 });
  const line = stdout.split('\n').find((l) => /^aes-256-xts\s/i.test(l.trim()));
  const last = line?.trim().split(/\s+/).at(-1);
  if (!last?.endsWith('k')) throw new Error(`cannot find the aes-256-xts line in openssl speed output:\n${stdout}`);
  return (Number(last.slice(0, -1)) * 1000) / (1024 * 1024);
}

const openssl = await opensslBound();
console.log(`openssl speed -evp aes-256-xts, 16384-byte blocks: ${openssl.toFixed(0)} MiB/s (one core, the AES-NI bound)`);
console.log(`${mib} MiB, encrypt, best of 3\n`);
console.log('sector  iv-large  berth MiB/s  node-per-sector MiB/s  berth/node  berth/openssl');
for (const o of [
  { sectorSize: 512, ivLargeSectors: false },
  { sectorSize: 4096, ivLargeSectors: true },
  { sectorSize: 4096, ivLargeSectors: false },
] as PlainXtsOptions[]) {
  encryptPlainXts(data.subarray(0, 4 * 1024 * 1024), key, o); // warm up the JIT
  const ours = Math.max(...[0, 1, 2].map(() => mibPerSecond(() => encryptPlainXts(data, key, o))));
  const node = mibPerSecond(() => perSectorNodeXts(o));
  console.log(
    `${String(o.sectorSize).padStart(6)}  ${String(o.ivLargeSectors).padEnd(8)}  ${ours.toFixed(0).padStart(11)}  ${node.toFixed(0).padStart(21)}  ` +
      `${(ours / node).toFixed(1).padStart(9)}x  ${(ours / openssl).toFixed(2).padStart(12)}`,
  );
}

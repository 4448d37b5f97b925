/**
 * Reference check against the kernel's dm-crypt on this machine: encrypt with
 * berth's code, attach read-only with losetup, open with cryptsetup, read
 * /dev/mapper/<name> back. Needs root, loop devices and device-mapper; skips
 * with the reason when this kernel lacks them (dm-crypt-vm.test.ts then does
 * the same in a VM running Debian's kernel).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../../../src/util/run.ts';
import { cryptsetupOpenArgs, kernelCases, prepareCaseFiles } from './dm-crypt-cases.ts';
import type { CaseFiles } from './dm-crypt-cases.ts';

async function missingPrerequisite(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'needs root (losetup, cryptsetup open)';
  try {
    await run('cryptsetup', ['--version'], { timeoutMs: 10_000 });
  } catch {
    return 'cryptsetup is not installed (Debian: apt-get install cryptsetup-bin)';
  }
  try {
    await run('losetup', ['--find'], { timeoutMs: 10_000 });
  } catch (e) {
    return `no free loop device: ${(e as Error).message.split('\n')[0]}`;
  }
  try {
    await run('dmsetup', ['version'], { timeoutMs: 10_000 });
  } catch (e) {
    const stderr = (e as { stderr?: string }).stderr ?? '';
    return `this kernel has no device-mapper (dmsetup version: ${stderr.trim().split('\n')[0] ?? 'failed'}); see dm-crypt-vm.test.ts for the same check in a VM`;
  }
  return undefined;
}

const skip = await missingPrerequisite();

describe('dm-crypt on this kernel decrypts what berth encrypted', { skip: skip ?? false }, () => {
  let dir = '';
  let files: CaseFiles;
  let plain: Buffer;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-crypt-'));
    files = await prepareCaseFiles(dir);
    plain = await readFile(files.plaintext);
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const c of kernelCases) {
    const flags = `--sector-size ${c.open.sectorSize}${c.open.ivLargeSectors ? ' --iv-large-sectors' : ''}`;
    it(`${c.id}: opened with ${flags}, the device reads ${c.expect === 'same' ? 'the plaintext' : 'garbage'}`, async () => {
      const name = `berth-test-${randomBytes(4).toString('hex')}`;
      let loop: string | undefined;
      let opened = false;
      try {
        loop = (await run('losetup', ['--find', '--show', '--read-only', files.ciphertext(c)], { timeoutMs: 30_000 })).stdout.trim();
        await run('cryptsetup', cryptsetupOpenArgs(c.open, files.keyFile, loop, name), { timeoutMs: 60_000 });
        opened = true;
        const decrypted = await readFile(`/dev/mapper/${name}`);
        assert.equal(decrypted.length, plain.length);
        // Sector 0 has IV 0 whatever the IV setting, so even the mismatch gets it right.
        assert.ok(decrypted.subarray(0, 4096).equals(plain.subarray(0, 4096)));
        assert.equal(decrypted.equals(plain), c.expect === 'same');
      } finally {
        if (opened) await run('cryptsetup', ['close', name], { timeoutMs: 60_000 });
        if (loop) await run('losetup', ['-d', loop], { timeoutMs: 30_000 });
      }
    });
  }
});

/**
 * A trusting iPXE for real: `berth boot build-ipxe` compiles iPXE with
 * berth's CA as its only root, berth serves it, and a UEFI VM boots through
 * it: OVMF's own PXE fetches the trusting snponly.efi over TFTP (the first
 * stage, in clear), which does DHCP and fetches the machine's script, kernel
 * and initrd over HTTPS from berth. The same iPXE then meets a server whose
 * certificate another CA signed (a rogue server on the provisioning network
 * handing out berth's own loader) and refuses it: the VM's console shows
 * iPXE's certificate error and the kernel never starts.
 *
 * The reference boot, stock Debian snponly.efi over plain HTTP, runs first
 * on the same lab, so the two times compare within one run.
 *
 * The source: BERTH_IPXE_SOURCE, a folder or tarball of upstream iPXE from
 * December 2025 or later (ECDSA support; berth's CA is EC P-256). Debian 12's
 * and 13's ipxe sources are older and are refused by build-ipxe (see
 * test/boot/ipxe/build/ipxe-build.test.ts). Building takes minutes on two
 * cores: `npm run test:slow` runs it, `npm test` does not.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBerthLab, waitForOutput } from '../../src/lab/berth-lab.ts';
import type { BerthLab } from '../../src/lab/berth-lab.ts';
import { labUnsupportedReason } from '../../src/lab/namespace.ts';
import type { VmHandle } from '../../src/lab/vm.ts';
import { ensurePki } from '../../src/server/pki.ts';
import { prepareStateDir } from '../../src/state/state-dir.ts';
import { run } from '../../src/util/run.ts';
import { BERTH } from '../helpers/daemon.ts';

const SOURCE = process.env['BERTH_IPXE_SOURCE'];
const unsupported = (await labUnsupportedReason()) ?? (SOURCE ? undefined : 'set BERTH_IPXE_SOURCE to an upstream iPXE folder or tarball (2025-12 or later)');
const BOOT_TIMEOUT_MS = 10 * 60_000;
const HTTPS_PORT = 4433;
/** The kernel's first line on the serial console. */
const KERNEL_STARTED = /Linux version \d/;

describe('a trusting iPXE built by berth, booting a VM over HTTPS', { skip: unsupported && `skipped: ${unsupported}`, timeout: 60 * 60_000 }, () => {
  let lab: BerthLab;
  const seconds = (vm: VmHandle, at: number) => ((at - vm.startedAt) / 1000).toFixed(1);

  /** Stops the lab's berth serve and starts another with `config` in the namespace. */
  async function restartBerth(config: string, log: string): Promise<void> {
    const exited = new Promise((resolve) => lab.berth.once('exit', resolve));
    lab.berth.kill('SIGTERM');
    await exited;
    const berth = lab.lab.runInNamespace(BERTH, ['serve', '--config', config, '--listen', '127.0.0.1:0', '--listen', `${lab.serverAddress}:8443`], {
      label: 'berth serve',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, BERTH_CONFIG: config, BERTH_LOG_LEVEL: 'info' } as Record<string, string>,
    });
    await waitForOutput(berth, /berth serve started/, join(lab.lab.dir, log));
    lab.berth = berth;
  }

  before(async () => {
    lab = await startBerthLab({ nodes: 3, defineNodes: 3 });
  });
  after(async () => {
    await lab?.down();
  });

  it('reference: stock Debian snponly.efi over TFTP, script and kernel over plain HTTP', async (t) => {
    const vm = await lab.lab.bootVm(1, { firmware: 'uefi', nicRom: 'firmware' });
    try {
      await vm.waitForConsole(KERNEL_STARTED, BOOT_TIMEOUT_MS);
      t.diagnostic(`plain HTTP: kernel started ${seconds(vm, Date.now())} s after power-on (TCG)`);
      assert.match(readFileSync(vm.consoleLog, 'utf8'), /http:\/\/10\.99\.0\.1:\d+\/boot\/ipxe\//);
    } finally {
      await vm.stop();
    }
  });

  it('builds, is served, and a UEFI VM boots through it over HTTPS only', async (t) => {
    const started = Date.now();
    const built = await run(BERTH, ['boot', 'build-ipxe', '--state-dir', lab.stateDir, '--source', SOURCE!, '--https-port', String(HTTPS_PORT), '--install-deps', '--json'], { timeoutMs: 45 * 60_000 });
    const { metadata } = JSON.parse(built.stdout);
    t.diagnostic(`build: ${((Date.now() - started) / 1000).toFixed(0)} s wall (make ${metadata.buildSeconds} s); ${Object.entries(metadata.loaders).map(([n, l]: [string, any]) => `${n} ${l.bytes} B`).join(', ')}`);
    const ca = new X509Certificate(readFileSync(join(lab.stateDir, 'public', 'ca.pem')));
    assert.equal(metadata.caFingerprintSha256, ca.fingerprint256);
    assert.equal(metadata.chainUrl, `https://\${next-server}:${HTTPS_PORT}/boot/ipxe/\${netX/mac}`);

    await restartBerth(join(lab.lab.dir, 'berth.yaml'), 'berth-trusting.log');
    assert.deepEqual(readFileSync(join(lab.stateDir, 'tftp', 'snponly.efi')), readFileSync(join(lab.stateDir, 'ipxe', 'snponly.efi')), 'the trusting loader is served over TFTP');

    const node = lab.lab.nodes[0]!;
    const vm = await lab.lab.bootVm(0, { firmware: 'uefi', nicRom: 'firmware' });
    try {
      await vm.waitForConsole(KERNEL_STARTED, BOOT_TIMEOUT_MS);
      const kernelAt = Date.now();
      const marker = await vm.waitForConsole(/BERTH-LAB-MARKER node=\S+/, BOOT_TIMEOUT_MS);
      t.diagnostic(`HTTPS: kernel started ${seconds(vm, kernelAt)} s after power-on (TCG)`);
      assert.match(marker[0], new RegExp(`node=${node.name}`));
      const console = readFileSync(vm.consoleLog, 'utf8');
      assert.match(console, new RegExp(`https://10\\.99\\.0\\.1:${HTTPS_PORT}/boot/ipxe/${node.mac}`), 'the script came over HTTPS');
      assert.match(console, new RegExp(`https://10\\.99\\.0\\.1:${HTTPS_PORT}/boot/profiles/lab-marker/vmlinuz`), 'the kernel came over HTTPS');
      assert.doesNotMatch(console, /http:\/\/10\.99\.0\.1/, 'nothing fetched in clear after the loader');
    } finally {
      await vm.stop();
    }
  });

  it('the same iPXE refuses a server whose certificate another CA signed', async (t) => {
    // A rogue server on the provisioning network: it hands out berth's own trusting loader, and its HTTPS has a certificate of its own CA.
    const rogue = join(lab.lab.dir, 'rogue');
    const { layout } = await prepareStateDir(rogue);
    const pki = await ensurePki(layout, { addresses: [lab.serverAddress, '127.0.0.1'], hostnames: ['localhost'] });
    cpSync(join(lab.stateDir, 'ipxe'), layout.ipxe, { recursive: true });
    const buildJson = join(layout.ipxe, 'build.json');
    writeFileSync(buildJson, JSON.stringify({ ...JSON.parse(readFileSync(buildJson, 'utf8')), caFingerprintSha256: pki.caFingerprintSha256 }));
    const config = join(lab.lab.dir, 'rogue.yaml');
    writeFileSync(config, readFileSync(join(lab.lab.dir, 'berth.yaml'), 'utf8').replace(/^state_dir: .*$/m, `state_dir: ${rogue}`));
    await restartBerth(config, 'berth-rogue.log');

    const vm = await lab.lab.bootVm(2, { firmware: 'uefi', nicRom: 'firmware' });
    try {
      // iPXE's error for the failed fetch of the script ("... Error 0x... (https://ipxe.org/...)"), then the embedded script's retry message.
      const refused = await vm.waitForConsole(/https:\/\/10\.99\.0\.1:4433\/boot\/ipxe\/\S+[^\n]*\(https:\/\/ipxe\.org\/[0-9a-f]{8}\)\s*\nberth: could not fetch this machine's script/, BOOT_TIMEOUT_MS);
      t.diagnostic(`rogue server: ${refused[0].replace(/\r/g, '').trim()}`);
      await new Promise((r) => setTimeout(r, 15_000));
      const console = readFileSync(vm.consoleLog, 'utf8');
      assert.doesNotMatch(console, /berth: booting|not in the inventory/, 'no script from the rogue server ran');
      assert.doesNotMatch(console, KERNEL_STARTED, 'no kernel from the rogue server');
    } finally {
      await vm.stop();
    }
  });
});

/**
 * The lab works without berth: in a lab namespace, dnsmasq (DHCP + TFTP) and
 * a small HTTP server stand in for berth's boot services, and a BIOS VM and a
 * UEFI VM network-boot the Debian kernel with the test initramfs, which
 * prints its marker on the serial console. Skips only when the machine
 * cannot make tap devices or network namespaces.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { debianKernel } from '../../src/lab/kernel.ts';
import { waitForOutput } from '../../src/lab/berth-lab.ts';
import { labUp } from '../../src/lab/lab.ts';
import type { Lab } from '../../src/lab/lab.ts';
import { labUnsupportedReason } from '../../src/lab/namespace.ts';
import { buildTestInitramfs, markerPattern, parseMarker } from '../../src/lab/test-initramfs.ts';
import type { DirectBoot, Firmware } from '../../src/lab/vm.ts';

const unsupported = await labUnsupportedReason();
/** TCG on a shared 2-core host: UEFI took about 40 s alone; leave room for a busy machine. */
const bootTimeoutMs = 240_000;

describe('lab: network boot without berth', { skip: unsupported && `the lab cannot run on this machine: ${unsupported}`, concurrency: true }, () => {
  let lab: Lab | undefined;
  let directBoot: DirectBoot;

  before(async () => {
    const [kernel, initramfs] = await Promise.all([debianKernel(), buildTestInitramfs()]);
    lab = await labUp({ nodes: 3, bridgeAddress6: 'fd99::1/64' });
    const serverIp = lab.bridgeAddress.split('/')[0]!;
    const prefix = serverIp.split('.').slice(0, 3).join('.');

    const tftpRoot = join(lab.dir, 'tftp');
    mkdirSync(tftpRoot, { mode: 0o755 });
    // Debian's ipxe package: undionly.kpxe chains from the BIOS PXE ROM, snponly.efi from UEFI PXE.
    copyFileSync('/usr/lib/ipxe/undionly.kpxe', join(tftpRoot, 'undionly.kpxe'));
    copyFileSync('/usr/lib/ipxe/snponly.efi', join(tftpRoot, 'snponly.efi'));

    const dnsmasqLog = join(lab.dir, 'dnsmasq.log');
    await waitForOutput(
      lab.runInNamespace(
        'dnsmasq',
        [
          '--no-daemon', '--conf-file=/dev/null', '--port=0', '--log-facility=-', '--log-dhcp', '--pid-file=',
          `--interface=${lab.namespace.bridge.name}`, '--bind-interfaces',
          `--dhcp-range=${prefix}.100,${prefix}.199,255.255.255.0,1h`, '--dhcp-authoritative',
          `--dhcp-leasefile=${join(lab.dir, 'dnsmasq.leases')}`,
          // RFC 4578 client architecture 7 and 9: x86-64 UEFI.
          '--dhcp-match=set:efi64,option:client-arch,7', '--dhcp-match=set:efi64,option:client-arch,9',
          '--dhcp-userclass=set:ipxe,iPXE',
          '--dhcp-boot=tag:!ipxe,tag:efi64,snponly.efi',
          '--dhcp-boot=tag:!ipxe,tag:!efi64,undionly.kpxe',
          `--dhcp-boot=tag:ipxe,http://${serverIp}:8080/boot.ipxe`,
          '--enable-tftp', `--tftp-root=${tftpRoot}`,
          // Router advertisements without DHCPv6: iPXE waits ~13 s for one otherwise (namespace.ts).
          '--enable-ra', `--dhcp-range=::,constructor:${lab.namespace.bridge.name},ra-only`,
        ],
        { label: 'dnsmasq', stdio: ['ignore', 'pipe', 'pipe'] },
      ),
      /DHCP, IP range/,
      dnsmasqLog,
    );
    const reference = lab.nodes[2]!;
    directBoot = {
      kernel: kernel.vmlinuz,
      initrd: initramfs.path,
      append: `console=ttyS0 panic=5 berth.node=${reference.name} BOOTIF=01-${reference.mac.replaceAll(':', '-')}`,
    };
    const nodes = Object.fromEntries(lab.nodes.map((n) => [n.mac, n.name]));
    await waitForOutput(
      lab.runInNamespace(
        process.execPath,
        [
          join(import.meta.dirname, 'fixtures/boot-server.ts'),
          JSON.stringify({ listen: serverIp, port: 8080, kernel: kernel.vmlinuz, initrd: initramfs.path, nodes }),
        ],
        { label: 'boot server' },
      ),
      /^ready$/m,
      join(lab.dir, 'boot-server.log'),
    );
  });

  after(async () => {
    await lab?.down();
  });

  // Boot times under TCG swing with the host's load; the direct boot, started
  // alongside, is the reference they are comparable to (docs: DESIGN.md).
  it('reference: the same kernel and initramfs booted directly (no firmware, no network) print the marker', async (t) => {
    const node = lab!.nodes[2]!;
    const vm = await lab!.bootVm(2, { directBoot });
    try {
      const marker = parseMarker(await vm.waitForConsole(markerPattern, bootTimeoutMs));
      t.diagnostic(`direct: marker ${((Date.now() - vm.startedAt) / 1000).toFixed(1)} s after power-on (TCG)`);
      assert.deepEqual(marker, { node: node.name, mac: node.mac, uuid: node.uuid });
    } finally {
      await vm.stop();
    }
  });

  for (const [index, firmware] of [[0, 'bios'], [1, 'uefi']] as [number, Firmware][]) {
    it(`a ${firmware === 'bios' ? 'SeaBIOS' : 'OVMF'} VM PXE-boots into iPXE, fetches kernel and initrd over HTTP and prints the marker`, async (t) => {
      const node = lab!.nodes[index]!;
      const vm = await lab!.bootVm(index, { firmware });
      try {
        const marker = parseMarker(await vm.waitForConsole(markerPattern, bootTimeoutMs));
        const seconds = ((Date.now() - vm.startedAt) / 1000).toFixed(1);
        t.diagnostic(`${firmware}: marker ${seconds} s after power-on (TCG)`);
        assert.deepEqual(marker, { node: node.name, mac: node.mac, uuid: node.uuid });
        // The initramfs powers off after the marker; QEMU ends by itself.
        let timer: NodeJS.Timeout | undefined;
        const exit = await Promise.race([vm.exited, new Promise((r) => (timer = setTimeout(r, 30_000, 'still running')))]);
        clearTimeout(timer);
        assert.deepEqual(exit, { code: 0, signal: null });
      } finally {
        await vm.stop();
      }
    });
  }
});

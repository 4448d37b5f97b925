/**
 * End to end, with real VMs: berth serves DHCP, TFTP and boot HTTP on a lab
 * network; a SeaBIOS VM and an OVMF VM network-boot the test kernel and
 * initramfs into their node's profile and print the marker. One lease per
 * machine, a timeline of every step, and discovery of an unknown machine
 * that boots as its node once assigned, without a power cycle.
 *
 * QEMU's own PXE ROMs are iPXE, so the SeaBIOS VM asks for its script
 * directly (berth must not hand iPXE the loader again); the UEFI VM runs
 * without that ROM, so OVMF's own PXE fetches snponly.efi over TFTP first.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BerthLab } from '../../src/lab/berth-lab.ts';
import { labUnsupportedReason } from '../../src/lab/namespace.ts';
import { markerPattern, parseMarker } from '../../src/lab/test-initramfs.ts';
import type { Firmware } from '../../src/lab/vm.ts';
import { labSession } from '../helpers/lab-session.ts';

const unsupported = await labUnsupportedReason();
const BOOT_TIMEOUT_MS = 300_000;

describe('network boot through berth (full DHCP mode)', { skip: unsupported && `no lab here: ${unsupported}` }, () => {
  let lab: BerthLab;
  // No one node: a timeout says only what it waited for.
  const session = labSession({ pollMs: 1000 });
  const { cli, json, waitFor } = session;

  before(async () => {
    // lab1 (BIOS) and lab2 (UEFI) are defined; lab3 is unknown until discovered.
    lab = await session.start({ nodes: 3, defineNodes: 2 });
  });
  after(async () => {
    await lab?.down();
  });

  for (const [index, firmware] of [[0, 'bios'], [1, 'uefi']] as [number, Firmware][]) {
    it(`a ${firmware === 'bios' ? 'SeaBIOS' : 'OVMF'} VM boots its node's profile: marker, one lease, a timeline`, async (t) => {
      const node = lab.lab.nodes[index]!;
      // UEFI without the NIC's iPXE ROM: OVMF's own PXE, which fetches the loader over TFTP, as real servers do.
      const vm = await lab.lab.bootVm(index, firmware === 'uefi' ? { firmware, nicRom: 'firmware' } : { firmware });
      try {
        const marker = parseMarker(await vm.waitForConsole(markerPattern, BOOT_TIMEOUT_MS));
        t.diagnostic(`${firmware}: marker ${((Date.now() - vm.startedAt) / 1000).toFixed(1)} s after power-on (TCG)`);
        assert.deepEqual(marker, { node: node.name, mac: node.mac, uuid: node.uuid });
      } finally {
        await vm.stop();
      }
      const leases = json(['boot', 'leases']).leases.filter((l: { mac: string }) => l.mac === node.mac);
      assert.equal(leases.length, 1, 'one lease for the machine');
      assert.equal(leases[0].address, `10.99.0.${index + 11}`, 'the node\'s own address, not a pool address');
      await new Promise((r) => setTimeout(r, 500));
      const events = json(['node', 'timeline', node.name]).events as { source: string; step: string; detail?: Record<string, unknown> }[];
      const steps = events.map((e) => `${e.source}:${e.step}`);
      t.diagnostic(`timeline of ${node.name}:\n${cli(['node', 'timeline', node.name]).stdout}`);
      for (const step of ['dhcp:discover', 'dhcp:offer', 'dhcp:request', 'dhcp:ack', 'http:script', 'http:kernel', 'http:initrd']) {
        assert.ok(steps.includes(step), `${step} in the timeline of ${node.name}: ${steps.join(' ')}`);
      }
      const acks = events.filter((e) => e.source === 'dhcp' && e.step === 'ack');
      assert.ok(acks.every((e) => e.detail?.['address'] === `10.99.0.${index + 11}`), 'every ACK of every boot stage gave the same address');
      if (firmware === 'uefi') {
        const tftp = events.find((e) => e.source === 'tftp' && e.step === 'done');
        assert.ok(tftp, `a TFTP download in the UEFI timeline: ${steps.join(' ')}`);
        assert.equal(tftp.detail?.['file'], 'snponly.efi');
        assert.ok(!steps.includes('tftp:error'), 'the UEFI size probe is not reported as an error');
        const kinds = acks.map((e) => e.detail?.['kind']);
        assert.deepEqual([...new Set(kinds)], ['uefi-pxe', 'ipxe'], 'firmware PXE, then iPXE: two stages, one address');
      } else {
        assert.ok(!steps.includes('tftp:start'), 'the iPXE ROM is never sent a loader');
      }
    });
  }

  it('an unknown VM is discovered, and after assign boots as its node without a power cycle', async (t) => {
    const machine = lab.lab.nodes[2]!;
    const vm = await lab.lab.bootVm(2, { firmware: 'bios' });
    try {
      const seen = await waitFor('the machine in berth discover list', () => {
        const list = json(['discover', 'list']).machines as { mac: string; uuid?: string; kind?: string }[];
        return list.find((m) => m.mac === machine.mac);
      }, BOOT_TIMEOUT_MS);
      assert.equal(seen.uuid, machine.uuid, 'SMBIOS UUID from DHCP option 97');
      assert.equal(seen.kind, 'ipxe');
      await vm.waitForConsole(/not in the inventory/, BOOT_TIMEOUT_MS);
      assert.equal(cli(['node', 'define', 'lab3', 'groups=lab']).code, 0);
      const assigned = cli(['discover', 'assign', machine.mac, 'lab3']);
      assert.equal(assigned.code, 0, assigned.stderr);
      const marker = parseMarker(await vm.waitForConsole(markerPattern, BOOT_TIMEOUT_MS));
      t.diagnostic(`discovered machine booted as lab3 ${((Date.now() - vm.startedAt) / 1000).toFixed(1)} s after power-on`);
      assert.deepEqual(marker, { node: 'lab3', mac: machine.mac, uuid: machine.uuid });
      const steps = (json(['node', 'timeline', 'lab3']).events as { source: string; step: string }[]).map((e) => `${e.source}:${e.step}`);
      assert.ok(steps.includes('discovery:new') && steps.includes('discovery:assigned'), steps.join(' '));
    } finally {
      await vm.stop();
    }
  });
});

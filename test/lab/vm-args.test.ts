import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ovmfFiles, qemuArgs } from '../../src/lab/vm.ts';
import type { VmPlan } from '../../src/lab/vm.ts';

const plan: VmPlan = {
  name: 'node1',
  mac: '52:54:00:aa:bb:01',
  uuid: '6f1c0c51-1e7e-4d43-9f0f-1a2b3c4d5e6f',
  firmware: 'bios',
  memoryMb: 256,
  consoleLog: '/run/berth-lab/x/node1.console.log',
  tap: 'tap0',
  accel: 'tcg',
};

/** The value following `flag` each time it appears. */
function values(args: string[], flag: string): string[] {
  return args.flatMap((a, i) => (a === flag ? [args[i + 1]!] : []));
}

describe('QEMU command line of a lab VM', () => {
  it('boots from the virtio NIC on its tap with its MAC and SMBIOS UUID, under TCG, console to the file', () => {
    const args = qemuArgs(plan);
    assert.deepEqual(values(args, '-accel'), ['tcg']);
    assert.deepEqual(values(args, '-m'), ['256']);
    assert.deepEqual(values(args, '-netdev'), ['tap,id=net0,ifname=tap0,script=no,downscript=no']);
    assert.deepEqual(values(args, '-device'), ['virtio-net-pci,netdev=net0,mac=52:54:00:aa:bb:01,bootindex=1']);
    assert.deepEqual(values(args, '-smbios'), ['type=1,uuid=6f1c0c51-1e7e-4d43-9f0f-1a2b3c4d5e6f']);
    assert.deepEqual(values(args, '-chardev'), ['file,id=console,path=/run/berth-lab/x/node1.console.log']);
    assert.deepEqual(values(args, '-serial'), ['chardev:console']);
    assert.deepEqual(values(args, '-boot'), ['order=n']);
    assert.deepEqual(values(args, '-drive'), []);
    assert.ok(args.includes('-no-reboot') && args.includes('-nodefaults'));
  });

  it('UEFI: OVMF code read-only and the VM’s own variable store', () => {
    const args = qemuArgs({ ...plan, firmware: 'uefi', varsFile: '/run/berth-lab/x/node1.efivars.fd' });
    assert.deepEqual(values(args, '-drive'), [
      `if=pflash,format=raw,unit=0,readonly=on,file=${ovmfFiles.code}`,
      'if=pflash,format=raw,unit=1,file=/run/berth-lab/x/node1.efivars.fd',
    ]);
    assert.deepEqual(values(args, '-boot'), []);
  });

  it('boots a given kernel directly when asked (the reference boot), without network boot order', () => {
    const args = qemuArgs({ ...plan, directBoot: { kernel: '/k/vmlinuz', initrd: '/k/initrd.gz', append: 'console=ttyS0 berth.node=n1' } });
    assert.deepEqual(values(args, '-kernel'), ['/k/vmlinuz']);
    assert.deepEqual(values(args, '-initrd'), ['/k/initrd.gz']);
    assert.deepEqual(values(args, '-append'), ['console=ttyS0 berth.node=n1']);
    assert.deepEqual(values(args, '-boot'), []);
  });

  it('a disk after the NIC: the firmware boots the network first, then the disk (berth\'s local-boot script exits iPXE)', () => {
    const args = qemuArgs({ ...plan, disk: '/run/berth-lab/x/node1.disk.raw' });
    assert.deepEqual(values(args, '-device'), [
      'virtio-net-pci,netdev=net0,mac=52:54:00:aa:bb:01,bootindex=1',
      'virtio-blk-pci,drive=disk0,serial=berth-disk0,bootindex=2',
    ]);
    assert.deepEqual(values(args, '-drive'), ['if=none,id=disk0,format=raw,file=/run/berth-lab/x/node1.disk.raw']);
    assert.deepEqual(values(args, '-boot'), ['order=n']);
    assert.deepEqual(values(qemuArgs({ ...plan, disk: '/d/n1,a.qcow2' }), '-drive'), ['if=none,id=disk0,format=qcow2,file=/d/n1,,a.qcow2']);
  });

  it('booting from the disk with PXE disabled: no boot index and no option ROM on the NIC, no network boot order', () => {
    const args = qemuArgs({ ...plan, disk: '/d/node1.disk.raw', bootFrom: 'disk' });
    assert.deepEqual(values(args, '-device'), ['virtio-net-pci,netdev=net0,mac=52:54:00:aa:bb:01,romfile=', 'virtio-blk-pci,drive=disk0,serial=berth-disk0,bootindex=1']);
    assert.deepEqual(values(args, '-boot'), []);
    const uefi = qemuArgs({ ...plan, firmware: 'uefi', varsFile: '/d/vars.fd', disk: '/d/node1.disk.raw', bootFrom: 'disk' });
    assert.deepEqual(values(uefi, '-fw_cfg'), ['name=opt/org.tianocore/IPv4PXESupport,string=n', 'name=opt/org.tianocore/IPv6PXESupport,string=n']);
    assert.throws(() => qemuArgs({ ...plan, bootFrom: 'disk' }), { code: 'BERTH_BAD_INPUT' });
  });

  it('attaches a TPM emulator socket as a TIS device, and doubles commas in paths', () => {
    const args = qemuArgs({ ...plan, tpm: { socket: '/tmp/a,b/swtpm.sock' } });
    assert.ok(values(args, '-chardev').includes('socket,id=tpm,path=/tmp/a,,b/swtpm.sock'));
    assert.deepEqual(values(args, '-tpmdev'), ['emulator,id=tpm0,chardev=tpm']);
    assert.ok(values(args, '-device').includes('tpm-tis,tpmdev=tpm0'));
  });
});

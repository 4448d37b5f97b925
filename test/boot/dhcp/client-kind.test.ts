import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bootAnswer } from '../../../src/boot/dhcp/boot-file.ts';
import { clientKind } from '../../../src/boot/dhcp/client-kind.ts';

const kind = (s: Partial<Parameters<typeof clientKind>[0]>) => clientKind({ arch: [], userClass: [], ipxeOptions: false, ...s });

test('firmware kinds from option 93 and 60', () => {
  assert.equal(kind({ arch: [0], vendorClass: 'PXEClient:Arch:00000:UNDI:002001' }), 'bios-pxe');
  assert.equal(kind({ arch: [7], vendorClass: 'PXEClient:Arch:00007:UNDI:003016' }), 'uefi-pxe');
  assert.equal(kind({ arch: [9] }), 'uefi-pxe');
  assert.equal(kind({ arch: [16], vendorClass: 'HTTPClient:Arch:00016:UNDI:003001' }), 'uefi-http');
  assert.equal(kind({ vendorClass: 'HTTPClient' }), 'uefi-http');
  assert.equal(kind({ vendorClass: 'PXEClient:Arch:00007:UNDI:003016' }), 'uefi-pxe', 'arch from option 60 when 93 is missing');
  assert.equal(kind({}), undefined, 'an OS DHCP client is no boot client');
  assert.equal(kind({ arch: [11] }), undefined, 'ARM64 UEFI is not booted (no loader for it)');
});

test('iPXE is recognised before anything else, so it never gets the loader again', () => {
  assert.equal(kind({ arch: [0], vendorClass: 'PXEClient:Arch:00000:UNDI:002001', userClass: ['iPXE'] }), 'ipxe');
  assert.equal(kind({ arch: [7], ipxeOptions: true }), 'ipxe');
  assert.equal(kind({ arch: [16], vendorClass: 'HTTPClient', userClass: ['iPXE'] }), 'ipxe');
});

test('boot answer per kind', () => {
  const s = { serverAddress: '10.0.0.1', httpPort: 8080, uefiLoader: 'snponly.efi' as const, mac: '52:54:00:aa:bb:cc' };
  assert.deepEqual(bootAnswer('bios-pxe', s), { file: 'undionly.kpxe' });
  assert.deepEqual(bootAnswer('uefi-pxe', s), { file: 'snponly.efi' });
  assert.deepEqual(bootAnswer('uefi-pxe', { ...s, uefiLoader: 'ipxe.efi' }), { file: 'ipxe.efi' });
  assert.deepEqual(bootAnswer('uefi-http', s), { file: 'http://10.0.0.1:8080/boot/loader/ipxe.efi', vendorClass: 'HTTPClient' });
  assert.deepEqual(bootAnswer('ipxe', s), { file: 'http://10.0.0.1:8080/boot/ipxe/52:54:00:aa:bb:cc' });
});

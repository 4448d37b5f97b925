/**
 * The boot decision for install-to-disk nodes: once the pending profile is
 * installed, network boots go to the local disk, until `berth deploy` makes
 * a deployment pending again.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { installedDiskReason } from '../../src/deploy/installed-disk.ts';
import { localBootScript } from '../../src/boot/ipxe/scripts.ts';

describe('installedDiskReason', () => {
  it('an installed node whose current profile is the pending one boots its disk', () => {
    const reason = installedDiskReason({ pendingProfile: 'compute', profile: 'compute', state: 'installed' }, 'installtodisk');
    assert.match(reason ?? '', /compute is installed on its disk/);
    assert.match(localBootScript('n1', reason!), /^#!ipxe\necho berth: n1: profile compute is installed on its disk \(berth deploy again to reinstall\); booting from local disk\nexit\n$/);
  });

  it('berth deploy again (state pending), an install under way or failed: the network', () => {
    for (const state of ['pending', 'installing', 'post', 'failed', 'booting', undefined]) {
      assert.equal(installedDiskReason({ pendingProfile: 'compute', profile: 'compute', state }, 'installtodisk'), undefined, String(state));
    }
  });

  it('another profile pending than the one installed: the network', () => {
    assert.equal(installedDiskReason({ pendingProfile: 'compute2', profile: 'compute', state: 'installed' }, 'installtodisk'), undefined);
    assert.equal(installedDiskReason({ pendingProfile: 'compute', state: 'installed' }, 'installtodisk'), undefined);
  });

  it('diskless methods boot over the network every time', () => {
    for (const method of ['tethered', 'untethered'] as const) {
      assert.equal(installedDiskReason({ pendingProfile: 'p', profile: 'p', state: 'booted' }, method), undefined);
      assert.equal(installedDiskReason({ pendingProfile: 'p', profile: 'p', state: 'installed' }, method), undefined);
    }
  });
});

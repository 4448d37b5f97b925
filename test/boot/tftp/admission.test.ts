import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultReserve, TransferAdmission } from '../../../src/boot/tftp/admission.ts';

const at = (address: string, port: number) => ({ address, port });

test('one transfer per client TID: a resent request is a duplicate', () => {
  const a = new TransferAdmission({ maxTransfers: 10, maxTransfersPerAddress: 4, reservedForNewAddresses: 1 });
  assert.equal(a.admit(at('10.0.0.1', 2000)), 'admitted');
  assert.equal(a.admit(at('10.0.0.1', 2000)), 'duplicate-request');
  assert.equal(a.size, 1);
});

test('an address gets at most maxTransfersPerAddress, and more once one is released', () => {
  const a = new TransferAdmission({ maxTransfers: 100, maxTransfersPerAddress: 4, reservedForNewAddresses: 10 });
  for (let port = 1; port <= 4; port++) assert.equal(a.admit(at('10.0.0.1', port)), 'admitted');
  assert.equal(a.admit(at('10.0.0.1', 5)), 'address-busy');
  assert.equal(a.admit(at('10.0.0.2', 1)), 'admitted', 'another address is not affected');
  a.release(at('10.0.0.1', 2));
  a.release(at('10.0.0.1', 2)); // twice: no effect
  assert.equal(a.heldBy('10.0.0.1'), 3);
  assert.equal(a.admit(at('10.0.0.1', 5)), 'admitted');
  assert.equal(a.size, 5);
});

test('near the limit, the reserved slots go only to addresses with nothing in flight, one each', () => {
  const a = new TransferAdmission({ maxTransfers: 10, maxTransfersPerAddress: 4, reservedForNewAddresses: 2 });
  for (const address of ['10.0.0.1', '10.0.0.2']) for (let port = 1; port <= 4; port++) assert.equal(a.admit(at(address, port)), 'admitted');
  assert.equal(a.admit(at('10.0.0.3', 1)), 'admitted', 'slot 9: a new address');
  assert.equal(a.admit(at('10.0.0.3', 2)), 'busy', 'slot 10 is not for an address that already has one');
  assert.equal(a.admit(at('10.0.0.4', 1)), 'admitted', 'slot 10: another new address');
  assert.equal(a.admit(at('10.0.0.5', 1)), 'busy', 'full');
  assert.equal(a.size, 10);
  for (let port = 1; port <= 4; port++) a.release(at('10.0.0.1', port));
  assert.equal(a.heldBy('10.0.0.1'), 0);
  assert.equal(a.admit(at('10.0.0.3', 2)), 'admitted', 'below the reserve again, a second transfer is fine');
});

test('the default reserve is a tenth of the slots, at least one', () => {
  assert.equal(defaultReserve(1000), 100);
  assert.equal(defaultReserve(15), 2);
  assert.equal(defaultReserve(1), 1);
});

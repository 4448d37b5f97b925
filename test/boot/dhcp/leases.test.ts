import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dispatch } from '../../../src/boot/dhcp/dispatch.ts';
import { DECLINED_KIND, LEASE_KIND, LeaseTable } from '../../../src/boot/dhcp/leases.ts';
import { createMemoryStore } from '../../../src/store/memory-store.ts';
import type { Store, StoreTransaction } from '../../../src/store/store.ts';
import { clientBytes, DECLINE, DISCOVER, lab, osClient, REQUEST, testBed } from './helpers.ts';

/** A store that logs each committed transaction, so tests can see what was written when. */
function recordingStore(log: string[], fail = { now: false }): Store {
  const inner = createMemoryStore();
  return {
    ...inner,
    read: (fn) => inner.read(fn),
    write<T>(fn: (tx: StoreTransaction) => T) {
      if (fail.now) return Promise.reject(new Error('disk full'));
      return inner.write((tx) => {
        const keys: string[] = [];
        const result = fn({ ...tx, get: tx.get, list: tx.list, count: tx.count, put: (k, key, v) => (keys.push(`${k}/${key}`), tx.put(k, key, v)), delete: (k, key) => (keys.push(`-${k}/${key}`), tx.delete(k, key)) });
        log.push(`commit ${keys.join(' ')}`);
        return result;
      });
    },
  };
}

function ackFor(bed: ReturnType<typeof testBed>, mac: string, xid: number) {
  const offer = dispatch(clientBytes(DISCOVER, { ...osClient(mac), xid }), 'server', { address: '0.0.0.0', port: 68 }, bed.ctx)!;
  const yiaddr = `${offer.bytes[16]}.${offer.bytes[17]}.${offer.bytes[18]}.${offer.bytes[19]}`;
  return dispatch(clientBytes(REQUEST, { ...osClient(mac), xid, serverId: '10.0.0.1', requested: yiaddr }), 'server', { address: '0.0.0.0', port: 68 }, bed.ctx)!;
}

test('an ACK is released only after its lease is committed, and one commit carries a whole window of ACKs', async () => {
  const log: string[] = [];
  const bed = testBed([lab], [], { store: recordingStore(log) });
  const sent = Array.from({ length: 20 }, (_, i) => {
    const ack = ackFor(bed, `52:54:00:00:05:${i.toString(16).padStart(2, '0')}`, i);
    assert.equal(ack.persist, true);
    return bed.leases.persisted().then(() => log.push(`send ack ${i}`));
  });
  await Promise.all(sent);
  assert.equal(log.filter((l) => l.startsWith('commit')).length, 1, 'group commit: one transaction for the window');
  assert.match(log[0]!, /^commit( dhcp-lease\/52:54:00:00:05:[0-9a-f]{2}){20}$/);
  assert.equal(log.indexOf(log.find((l) => l.startsWith('send'))!), 1, 'no ACK before the commit');
});

test('when the store fails, the ACK is withheld and the change is retried later', async () => {
  const log: string[] = [];
  const fail = { now: true };
  const bed = testBed([lab], [], { store: recordingStore(log, fail) });
  ackFor(bed, '52:54:00:00:06:01', 1);
  await assert.rejects(bed.leases.persisted(), /disk full/);
  fail.now = false;
  ackFor(bed, '52:54:00:00:06:02', 2);
  await bed.leases.persisted();
  assert.equal(log.length, 1);
  assert.deepEqual(log[0]!.split(' ').slice(1).sort(), ['dhcp-lease/52:54:00:00:06:01', 'dhcp-lease/52:54:00:00:06:02'], 'the failed lease is written with the next commit');
});

test('leases and declines survive a restart', async () => {
  const store = createMemoryStore();
  const bed = testBed([lab], [], { store });
  ackFor(bed, '52:54:00:00:07:01', 1);
  dispatch(clientBytes(DECLINE, { ...osClient('52:54:00:00:07:02'), requested: '10.0.0.150', serverId: '10.0.0.1' }), 'server', { address: '0.0.0.0', port: 68 }, bed.ctx);
  await bed.leases.flush();
  assert.equal(await store.read((r) => r.count(LEASE_KIND)), 1);
  assert.equal(await store.read((r) => r.count(DECLINED_KIND)), 1);

  const again = new LeaseTable(store);
  await again.load();
  const lease = again.lease('52:54:00:00:07:01')!;
  assert.equal(lease.address, '10.0.0.100');
  assert.equal(lease.state, 'bound');
  assert.equal(again.isDeclined(0x0a000096, bed.clock.now), true);
  assert.equal(again.isAvailable(0x0a000064, '52:54:00:00:07:09', bed.clock.now), false, 'a bound address is not free for another MAC');
});

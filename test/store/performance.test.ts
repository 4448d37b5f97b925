/**
 * Prints how long the big operations take; asserts correctness only, never
 * time (the figures vary with the machine). Target on a 2-core box: well
 * under 2 s each for 100,000 documents of ~300 bytes.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createMemoryStore } from '../../src/store/memory-store.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { JsonValue, Store } from '../../src/store/store.ts';
import { tempDir } from './temp-dir.ts';

const COUNT = 100_000;

/** A node-like document of about 300 bytes of JSON. */
function nodeDocument(i: number): JsonValue {
  return {
    groups: ['everything', 'rack' + (i % 40), 'compute'],
    attributes: {
      'net.mac': `52:54:00:${hex(i >> 16)}:${hex(i >> 8)}:${hex(i)}`,
      'net.ip': `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      'bmc.address': `10.200.${(i >> 8) & 255}.${i & 255}`,
      'deploy.profile': 'rocky-9.4-x86_64-compute',
      'deploy.disk': '/dev/disk/by-path/pci-0000:00:1f.2-ata-1',
      'console.serial': 'ttyS0,115200',
      'location.rack': `r${String(i % 40).padStart(3, '0')}`,
      'location.unit': String(i % 42),
    },
  };
}
const hex = (n: number) => (n & 255).toString(16).padStart(2, '0');
const nodeName = (i: number) => `node${String(i).padStart(6, '0')}`;

async function measure(label: string, store: Store): Promise<void> {
  const size = JSON.stringify(nodeDocument(12345)).length;
  // Built before timing: what is measured is the store, not the caller.
  const names = Array.from({ length: COUNT }, (_, i) => nodeName(i));
  const docs = names.map((_, i) => nodeDocument(i));
  let t = performance.now();
  await store.write((tx) => {
    for (let i = 0; i < COUNT; i++) tx.put('node', names[i]!, docs[i]!);
  });
  const writeMs = performance.now() - t;

  t = performance.now();
  const listed = await store.read((r) => r.list('node'));
  const listMs = performance.now() - t;
  assert.equal(listed.length, COUNT);
  assert.equal(listed[COUNT - 1]!.key, nodeName(COUNT - 1));
  assert.deepEqual(listed[777]!.value, docs[777]);

  t = performance.now();
  const some = await store.read((r) => r.list('node', 'node0999'));
  const prefixMs = performance.now() - t;
  assert.equal(some.length, 100);

  const small = 200;
  t = performance.now();
  for (let i = 0; i < small; i++) await store.write((tx) => tx.put('node', names[i]!, docs[i + 1]!));
  const smallMs = (performance.now() - t) / small;

  console.log(
    `[store perf] ${label}: put ${COUNT} docs (~${size} B JSON) in one transaction: ${writeMs.toFixed(0)} ms; ` +
      `list all: ${listMs.toFixed(0)} ms; list 100 by prefix: ${prefixMs.toFixed(1)} ms; ` +
      `single-put transaction: ${smallMs.toFixed(2)} ms each`,
  );
}

describe('store performance (figures printed, not asserted)', () => {
  for (const synchronous of ['full', 'normal'] as const) {
    it(`sqlite, synchronous=${synchronous}`, async () => {
      const temp = await tempDir('perf');
      const store = await openSqliteStore(join(temp.dir, 'store.db'), { synchronous });
      try {
        await measure(`sqlite synchronous=${synchronous}`, store);
      } finally {
        await store.close();
        await temp.remove();
      }
    });
  }

  it('memory', async () => {
    const store = createMemoryStore();
    await measure('memory', store);
    await store.close();
  });
});

/**
 * What every Store implementation must do, as node:test tests. The SQLite and
 * memory stores run it (sqlite.test.ts, memory.test.ts); the etcd store must
 * pass it unchanged before it can replace them.
 *
 * `open` gives a fresh, empty store per test. `reopen`, when given, closes
 * nothing itself: the suite closes the store, then calls it to get a new
 * Store over the same data (persistence tests are skipped without it).
 * `cleanup` must release everything, including stores returned by `reopen`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { BerthError } from '../../src/errors.ts';
import type { JsonValue, Store, StoreChange } from '../../src/store/store.ts';

export interface OpenedStore {
  store: Store;
  reopen?: () => Promise<Store>;
  cleanup(): Promise<void>;
}

export function storeConformance(name: string, open: () => Promise<OpenedStore>): void {
  /** Runs `body` on a fresh store and always cleans up. */
  function withStore(
    body: (store: Store, opened: OpenedStore, t: TestContext) => Promise<void>,
  ): (t: TestContext) => Promise<void> {
    return async (t) => {
      const opened = await open();
      try {
        await body(opened.store, opened, t);
      } finally {
        await opened.cleanup();
      }
    };
  }

  const keysOf = (docs: { key: string }[]) => docs.map((d) => d.key);
  /** The order the interface promises: UTF-8 byte order. */
  const byteOrder = (keys: string[]) => [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));

  describe(`Store conformance: ${name}`, () => {
    describe('documents', () => {
      it('puts, gets and deletes', withStore(async (store) => {
        await store.write((tx) => tx.put('node', 'n1', { mac: 'aa:bb', n: 1 }));
        const doc = await store.read((r) => r.get('node', 'n1'));
        assert.deepEqual(doc, { kind: 'node', key: 'n1', value: { mac: 'aa:bb', n: 1 }, modRevision: 1 });
        assert.equal(await store.read((r) => r.get('node', 'missing')), undefined);
        assert.equal(await store.read((r) => r.get('group', 'n1')), undefined, 'kinds are separate key spaces');

        await store.write((tx) => tx.put('node', 'n1', { mac: 'cc:dd' }));
        assert.deepEqual((await store.read((r) => r.get('node', 'n1')))?.value, { mac: 'cc:dd' });

        assert.equal(await store.write((tx) => tx.delete('node', 'n1')), true);
        assert.equal(await store.write((tx) => tx.delete('node', 'n1')), false);
        assert.equal(await store.read((r) => r.get('node', 'n1')), undefined);
      }));

      it('round-trips JSON values and hands out copies', withStore(async (store) => {
        const values: Record<string, JsonValue> = {
          null: null,
          true: true,
          zero: 0,
          float: -12.5e-7,
          big: 2 ** 53 - 1,
          string: 'ünïcödé 😀 "quoted" \\ \n',
          empty: '',
          array: [1, 'two', [3], { four: 4 }],
          object: { nested: { deeper: [null, false] }, '': 'empty key', 'a/b': 1 },
        };
        const original = structuredClone(values.object);
        await store.write((tx) => {
          for (const [key, value] of Object.entries(values)) tx.put('value', key, value);
        });
        (values.object as Record<string, JsonValue>).nested = 'mutated after put';
        for (const [key, value] of Object.entries(values)) {
          const got = await store.read((r) => r.get('value', key));
          assert.deepEqual(got?.value, key === 'object' ? original : value, key);
        }
        const got = await store.read((r) => r.get<Record<string, JsonValue>>('value', 'object'));
        got!.value.nested = 'mutated after get';
        assert.deepEqual((await store.read((r) => r.get('value', 'object')))?.value, original);
      }));

      it('refuses keys and kinds that cannot be stored faithfully', withStore(async (store) => {
        const bad: [string, string][] = [
          ['', 'k'],
          ['a/b', 'k'],
          ['node', ''],
          ['node', 'lone \ud800 surrogate'],
          ['node', 'nul\u0000byte'],
        ];
        for (const [kind, key] of bad) {
          await assert.rejects(
            store.write((tx) => tx.put(kind, key, 1)),
            (e: unknown) => e instanceof BerthError && e.code === 'BERTH_BAD_INPUT',
            `${JSON.stringify(kind)}/${JSON.stringify(key)}`,
          );
        }
        await assert.rejects(
          store.write((tx) => tx.put('node', 'k', undefined as unknown as JsonValue)),
          (e: unknown) => e instanceof BerthError && e.code === 'BERTH_BAD_INPUT',
        );
        assert.equal(await store.revision(), 0);
      }));

      it('counts documents per kind', withStore(async (store) => {
        assert.equal(await store.read((r) => r.count('node')), 0);
        await store.write((tx) => {
          for (let i = 0; i < 25; i++) tx.put('node', `n${i}`, i);
          tx.put('group', 'all', {});
        });
        assert.equal(await store.read((r) => r.count('node')), 25);
        assert.equal(await store.read((r) => r.count('group')), 1);
        await store.write((tx) => {
          tx.delete('node', 'n0');
          tx.put('node', 'n1', 'overwrite does not add');
        });
        assert.equal(await store.read((r) => r.count('node')), 24);
      }));
    });

    describe('list', () => {
      // Chosen so JavaScript's default sort (UTF-16) and byte order disagree:
      // '😀' is a surrogate pair (D83D...) and sorts before '\uFFFD' in UTF-16
      // but after it in UTF-8 (F0... > EF...).
      const keys = [
        'b', 'a', 'A', 'a/b', 'a/', 'a-b', 'a0', 'ab', 'é', 'e\u0301', '\uFFFD', '😀', 'a😀', 'a\uFFFF', 'a\uFFFFz',
        'a\u{10FFFF}', 'a\u{10FFFF}\u{10FFFF}', 'z\u00ff', 'node10', 'node2', 'node1', '%', '_x', 'a%', 'a_',
      ];

      it('returns a kind in byte order of the key', withStore(async (store) => {
        await store.write((tx) => {
          for (const key of keys) tx.put('k', key, key);
          tx.put('other', 'a', 'not listed');
        });
        const listed = await store.read((r) => r.list('k'));
        assert.deepEqual(keysOf(listed), byteOrder(keys));
        assert.notDeepEqual(byteOrder(keys), [...keys].sort(), 'the fixture must tell the two orders apart');
        for (const doc of listed) assert.equal(doc.value, doc.key);
        assert.deepEqual(await store.read((r) => r.list('empty')), []);
      }));

      it('selects by prefix, including at the edges of Unicode', withStore(async (store) => {
        await store.write((tx) => {
          for (const key of keys) tx.put('k', key, key);
        });
        const prefixes = ['', 'a', 'a/', 'a\uFFFF', 'a\u{10FFFF}', '\u{10FFFF}', 'node1', 'e', 'é', '%', '_', 'a%', 'zz', 'A', '😀'];
        for (const prefix of prefixes) {
          const expected = byteOrder(keys.filter((k) => k.startsWith(prefix)));
          assert.deepEqual(keysOf(await store.read((r) => r.list('k', prefix))), expected, `prefix ${JSON.stringify(prefix)}`);
        }
      }));

      it('does not let a prefix reach into another kind', withStore(async (store) => {
        await store.write((tx) => {
          tx.put('node', 'x1', 1);
          tx.put('nodes', 'x2', 2);
          tx.put('nod', 'ex3', 3);
        });
        assert.deepEqual(keysOf(await store.read((r) => r.list('node', 'x'))), ['x1']);
        assert.deepEqual(keysOf(await store.read((r) => r.list('nod'))), ['ex3']);
      }));
    });

    describe('revisions', () => {
      it('advances by one per committed transaction and stamps modRevision', withStore(async (store) => {
        assert.equal(await store.revision(), 0);
        await store.write((tx) => {
          tx.put('node', 'a', 1);
          tx.put('node', 'b', 1);
        });
        assert.equal(await store.revision(), 1);
        await store.write((tx) => tx.put('node', 'b', 2));
        await store.write((tx) => tx.put('node', 'c', 1));
        assert.equal(await store.revision(), 3);
        const docs = await store.read((r) => r.list('node'));
        assert.deepEqual(docs.map((d) => [d.key, d.modRevision]), [['a', 1], ['b', 2], ['c', 3]]);
      }));

      it('counts a put of an identical value as a change', withStore(async (store) => {
        await store.write((tx) => tx.put('node', 'a', { same: true }));
        await store.write((tx) => tx.put('node', 'a', { same: true }));
        assert.equal(await store.revision(), 2);
        assert.equal((await store.read((r) => r.get('node', 'a')))?.modRevision, 2);
      }));

      it('does not advance for a transaction that changes nothing', withStore(async (store) => {
        await store.write((tx) => tx.put('node', 'a', 1));
        const seen: StoreChange[][] = [];
        store.onChange((c) => seen.push(c));
        assert.equal(await store.write((tx) => tx.get('node', 'a')?.value), 1, 'write returns the callback result');
        assert.equal(await store.write((tx) => tx.delete('node', 'missing')), false);
        await store.write((tx) => {
          tx.put('node', 'temp', 1);
          tx.delete('node', 'temp');
        });
        assert.equal(await store.revision(), 1);
        assert.deepEqual(seen, []);
        assert.equal(await store.read((r) => r.get('node', 'temp')), undefined);
      }));
    });

    describe('transactions', () => {
      it('see their own uncommitted writes', withStore(async (store) => {
        await store.write((tx) => {
          tx.put('node', 'b', 'old');
          tx.put('node', 'd', 'doomed');
        });
        await store.write((tx) => {
          tx.put('node', 'a', 'new');
          tx.put('node', 'b', 'changed');
          assert.equal(tx.delete('node', 'd'), true);
          tx.put('node', 'c', 'new');
          assert.deepEqual(tx.get('node', 'b'), { kind: 'node', key: 'b', value: 'changed', modRevision: 2 });
          assert.equal(tx.get('node', 'd'), undefined);
          assert.deepEqual(tx.list('node').map((d) => [d.key, d.value]), [['a', 'new'], ['b', 'changed'], ['c', 'new']]);
          assert.deepEqual(keysOf(tx.list('node', 'b')), ['b']);
          assert.equal(tx.count('node'), 3);
          assert.equal(tx.delete('node', 'a'), true, 'a key put in this transaction can be deleted in it');
          assert.equal(tx.count('node'), 2);
        });
        assert.deepEqual(keysOf(await store.read((r) => r.list('node'))), ['b', 'c']);
      }));

      it('are invisible to store.read until committed', withStore(async (store) => {
        await store.write((tx) => tx.put('node', 'a', 'committed'));
        let inside: Promise<unknown> | undefined;
        await store.write((tx) => {
          tx.put('node', 'a', 'pending');
          inside = store.read((r) => r.get('node', 'a')?.value);
        });
        assert.equal(await inside, 'committed');
      }));

      it('change nothing when the callback throws', withStore(async (store) => {
        await store.write((tx) => tx.put('node', 'keep', 'v1'));
        const seen: StoreChange[][] = [];
        store.onChange((c) => seen.push(c));
        const boom = new Error('boom');
        await assert.rejects(
          store.write((tx) => {
            tx.put('node', 'keep', 'v2');
            tx.put('node', 'new', 'x');
            tx.delete('node', 'keep');
            throw boom;
          }),
          (e) => e === boom,
        );
        assert.equal(await store.revision(), 1);
        assert.deepEqual(await store.read((r) => r.list('node')), [{ kind: 'node', key: 'keep', value: 'v1', modRevision: 1 }]);
        assert.deepEqual(seen, []);
      }));

      it('change nothing when the callback throws after 10,000 puts', withStore(async (store) => {
        await store.write((tx) => tx.put('bulk', 'existing', 0));
        await assert.rejects(
          store.write((tx) => {
            for (let i = 0; i < 10_000; i++) tx.put('bulk', `doc-${String(i).padStart(5, '0')}`, { i });
            tx.put('bulk', 'existing', 'overwritten');
            assert.equal(tx.count('bulk'), 10_001);
            throw new BerthError('BERTH_CONFLICT', 'rejected by validation');
          }),
          (e) => e instanceof BerthError && e.code === 'BERTH_CONFLICT',
        );
        assert.equal(await store.revision(), 1);
        assert.equal(await store.read((r) => r.count('bulk')), 1);
        assert.deepEqual(await store.read((r) => r.list('bulk')), [{ kind: 'bulk', key: 'existing', value: 0, modRevision: 1 }]);
        await store.write((tx) => tx.put('bulk', 'after', 1));
        assert.equal(await store.revision(), 2, 'the store stays usable');
      }));

      it('serialise concurrent writers: no lost updates', withStore(async (store) => {
        await store.write((tx) => tx.put('counter', 'c', 0));
        const results = await Promise.all(
          Array.from({ length: 50 }, () =>
            store.write((tx) => {
              const n = tx.get<number>('counter', 'c')!.value + 1;
              tx.put('counter', 'c', n);
              return n;
            }),
          ),
        );
        assert.deepEqual(results, Array.from({ length: 50 }, (_, i) => i + 1), 'in call order');
        assert.deepEqual(await store.read((r) => r.get('counter', 'c')), { kind: 'counter', key: 'c', value: 50, modRevision: 51 });
        assert.equal(await store.revision(), 51);
      }));

      it('run a write started inside a write after it, not inside it', withStore(async (store) => {
        let nested: Promise<number | undefined> | undefined;
        await store.write((tx) => {
          tx.put('node', 'a', 1);
          nested = store.write((inner) => inner.get<number>('node', 'a')?.value);
          tx.put('node', 'a', 2);
        });
        assert.equal(await nested, 2);
      }));

      it('refuse async callbacks and handles used after the callback', withStore(async (store) => {
        await assert.rejects(
          store.write((async (tx: { put(k: string, key: string, v: JsonValue): void }) => {
            tx.put('node', 'a', 1);
          }) as never),
          (e) => e instanceof BerthError && e.code === 'BERTH_INTERNAL',
        );
        assert.equal(await store.revision(), 0);
        assert.equal(await store.read((r) => r.get('node', 'a')), undefined);
        let leaked: { put(k: string, key: string, v: JsonValue): void } | undefined;
        await store.write((tx) => {
          leaked = tx;
        });
        assert.throws(() => leaked!.put('node', 'late', 1), (e) => e instanceof BerthError && e.code === 'BERTH_INTERNAL');
        assert.equal(await store.read((r) => r.get('node', 'late')), undefined);
      }));
    });

    describe('onChange', () => {
      it('delivers each committed transaction, in order, with its revision', withStore(async (store) => {
        await store.write((tx) => tx.put('node', 'old', 1));
        const seen: StoreChange[][] = [];
        const unsubscribe = store.onChange((c) => seen.push(c));
        await store.write((tx) => {
          tx.put('node', 'b', { v: 1 });
          tx.put('node', 'a', { v: 1 });
          tx.put('node', 'b', { v: 2 });
          tx.delete('node', 'old');
        });
        await Promise.all([
          store.write((tx) => tx.put('group', 'g', [])),
          store.write((tx) => tx.delete('group', 'g')),
        ]);
        unsubscribe();
        await store.write((tx) => tx.put('node', 'unseen', 1));
        assert.deepEqual(seen, [
          [
            { revision: 2, kind: 'node', key: 'b', value: { v: 2 } },
            { revision: 2, kind: 'node', key: 'a', value: { v: 1 } },
            { revision: 2, kind: 'node', key: 'old', value: undefined },
          ],
          [{ revision: 3, kind: 'group', key: 'g', value: [] }],
          [{ revision: 4, kind: 'group', key: 'g', value: undefined }],
        ]);
      }));

      it('lets a listener write (after the transaction that triggered it)', withStore(async (store) => {
        const revisions: number[] = [];
        store.onChange((changes) => {
          revisions.push(changes[0]!.revision);
          if (changes[0]!.key === 'trigger') void store.write((tx) => tx.put('node', 'reaction', 1));
        });
        await store.write((tx) => tx.put('node', 'trigger', 1));
        await store.write(() => undefined); // queued behind the reaction
        assert.deepEqual(revisions, [1, 2]);
        assert.equal((await store.read((r) => r.get('node', 'reaction')))?.modRevision, 2);
      }));
    });

    describe('persistence', () => {
      it('keeps documents and revisions across reopen', withStore(async (store, opened, t) => {
        if (!opened.reopen) return t.skip('not persistent');
        await store.write((tx) => {
          for (let i = 0; i < 100; i++) tx.put('node', `n${String(i).padStart(3, '0')}`, { i });
        });
        await store.write((tx) => {
          tx.delete('node', 'n000');
          tx.put('node', 'n001', { i: 'changed' });
        });
        const before = await store.read((r) => r.list('node'));
        await store.close();
        const again = await opened.reopen();
        assert.equal(await again.revision(), 2);
        assert.deepEqual(await again.read((r) => r.list('node')), before);
        await again.write((tx) => tx.put('node', 'n000', 'back'));
        assert.equal((await again.read((r) => r.get('node', 'n000')))?.modRevision, 3);
      }));

      it('refuses use after close', withStore(async (store) => {
        await store.close();
        await assert.rejects(store.write((tx) => tx.put('node', 'a', 1)), (e) => e instanceof BerthError && e.code === 'BERTH_STORE');
        await assert.rejects(store.read((r) => r.count('node')), (e) => e instanceof BerthError && e.code === 'BERTH_STORE');
      }));
    });
  });
}

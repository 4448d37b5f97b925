/**
 * The bounds of the event log on a real SQLite store: a node's audit record
 * (key-granted, key-refused, ...) survives any number of boot steps and of
 * other audit steps; machines berth does not know are kept to 50 steps each
 * and to the 1,000 heard from most recently, also across a restart.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { EventLog } from '../../src/events/event-log.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { createLogger } from '../../src/util/logger.ts';

const dir = mkdtempSync(join(tmpdir(), 'berth-events-'));
const log = createLogger({ level: 'error' });
const mac = (i: number) => `52:54:02:${[i >> 16, (i >> 8) & 255, i & 255].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;

describe('event log bounds', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("boot steps and refusals do not push a node's key-granted record out; the timeline shows it", async () => {
    const store = await openSqliteStore(join(dir, 'a.db'));
    const events = new EventLog(store, log);
    events.emit({ source: 'api', step: 'key-granted', node: 'a', ip: '10.0.0.5', detail: { arming: 'once' } });
    await events.flush();
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 200; i++) events.emit({ source: 'http', step: 'kernel', node: 'a', ip: '10.0.0.5' });
      for (let i = 0; i < 50; i++) events.emit({ source: 'api', step: 'key-refused', node: 'a', ip: '10.9.9.9' });
      await events.flush();
    }
    const timeline = await events.timeline('a');
    assert.equal(timeline.filter((e) => e.step === 'key-granted').length, 1);
    assert.equal(timeline[0]!.step, 'key-granted', 'oldest first');
    const refused = timeline.filter((e) => e.step === 'key-refused').length;
    assert.ok(refused >= 100 && refused <= 120, `${refused} refusals kept`);
    assert.ok(timeline.filter((e) => e.step === 'kernel').length <= 500);
    assert.deepEqual((await events.timeline('a', 1)).filter((e) => e.step === 'kernel').length, 1, 'the limit cuts boot steps, not the audit record');
    await events.close();
    await store.close();
  });

  test('unknown machines: 50 steps each, the 1,000 heard from most recently, also after a restart', async () => {
    const path = join(dir, 'b.db');
    let store = await openSqliteStore(path);
    let events = new EventLog(store, log);
    for (let i = 0; i < 80; i++) events.emit({ source: 'dhcp', step: 'discover', mac: mac(0) });
    await events.flush();
    assert.ok((await events.timeline('mac-52-54-02-00-00-00')).length <= 60);
    for (let i = 1; i <= 1200; i++) events.emit({ source: 'http', step: 'script', mac: mac(i) });
    await events.flush();
    const subjects = () => store.read((r) => new Set(r.list('timeline', 'mac-').map((d) => d.key.split('/')[0])));
    assert.equal((await subjects()).size, 1000);
    assert.deepEqual(await events.timeline('mac-52-54-02-00-00-00'), [], 'the machine heard from longest ago made room');
    assert.equal((await events.timeline('mac-52-54-02-00-04-b0')).length, 1, 'the newest is there');
    await events.close();
    await store.close();
    store = await openSqliteStore(path);
    events = new EventLog(store, log);
    for (let i = 2000; i < 2100; i++) events.emit({ source: 'http', step: 'script', mac: mac(i) });
    await events.flush();
    assert.equal((await subjects()).size, 1000, 'the bound holds across a restart');
    // 201..1200 were kept before the restart; the 100 new ones pushed out 201..300, and 301 stays.
    assert.deepEqual(await events.timeline('mac-52-54-02-00-00-c9'), [], 'the oldest before the restart went first');
    assert.equal((await events.timeline('mac-52-54-02-00-01-2d')).length, 1);
    await events.close();
    await store.close();
  });
});

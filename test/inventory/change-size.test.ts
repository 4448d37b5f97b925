/**
 * One change touches at most 100,000 nodes (inventory/validate.ts
 * MAX_NODES_PER_CHANGE): a 1,000,000-node define held boot HTTP for tens of
 * seconds on one synchronous transaction. Against a real daemon: the define
 * is refused with a message saying how to split it, and nothing is written.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startDaemon } from '../helpers/daemon.ts';
import type { Daemon } from '../helpers/daemon.ts';

let d: Daemon;
before(async () => {
  d = await startDaemon();
});
after(async () => {
  await d.stop();
  d.cleanup();
});

test('a define of more than 100,000 nodes is refused, naming the limit and how to split', async () => {
  const started = performance.now();
  const refused = await d.api('POST', '/api/v1/nodes', { noderange: 'n[1-1000000]', attributes: { 'id.model': 'SD650' } });
  assert.equal(refused.status, 400, JSON.stringify(refused.json));
  assert.equal(refused.json.error.code, 'BERTH_BAD_INPUT');
  assert.match(refused.json.error.message, /defines 1,000,000 nodes; one change may touch at most 100,000, so split it/);
  assert.ok(performance.now() - started < 15_000, 'refused before the costly part');
  const listed = d.cli(['node', 'list']);
  assert.equal(listed.code, 0, listed.stderr);
  assert.doesNotMatch(listed.stdout, /^n\d/m, 'nothing was defined');
});

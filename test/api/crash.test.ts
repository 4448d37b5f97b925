/**
 * kill -9 the daemon in the middle of a bulk change; after a restart the
 * change is either all there or not there at all.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startDaemon } from '../helpers/daemon.ts';

const COUNT = 50_000;

test('a bulk define interrupted by kill -9 is all or nothing', async () => {
  let daemon = await startDaemon();
  const stateDir = daemon.stateDir;
  try {
    await daemon.api('POST', '/api/v1/groups', { name: 'compute', attributes: { 'net.mgmt.hostname': '{node}-mgmt' } });
    // Delays spread across the request: parsing, validation, the store transaction, the reply.
    const outcomes: string[] = [];
    for (const [round, delayMs] of [50, 400, 900, 1500, 2500].entries()) {
      const prefix = `k${round}x`;
      const pending = daemon.api('POST', '/api/v1/nodes', { noderange: `${prefix}[1-${COUNT}]`, groups: ['compute'] }).catch(() => undefined);
      await new Promise((r) => setTimeout(r, delayMs));
      await daemon.stop('SIGKILL');
      await pending;
      daemon = await startDaemon({ stateDir });
      const { json } = await daemon.api('GET', `/api/v1/noderange/expand?range=${encodeURIComponent(`~^${prefix}`)}`);
      const present = json.nodes?.length ?? 0;
      assert.ok(present === 0 || present === COUNT, `round ${round}: ${present} of ${COUNT} nodes survived`);
      outcomes.push(present === 0 ? 'absent' : 'present');
    }
    const status = await daemon.api('GET', '/api/v1/status');
    assert.equal(status.status, 200);
    process.stdout.write(`# kill -9 outcomes: ${outcomes.join(', ')}\n`);
  } finally {
    await daemon.stop('SIGKILL');
    daemon.cleanup();
  }
});

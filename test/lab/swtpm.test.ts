/**
 * swtpm in a lab: it listens on its control socket, is recorded in the lab's
 * state like every process the lab starts, keeps its state directory when it
 * is stopped, and goes with `lab.down()`. The VM side (QEMU's TPM device and a
 * sealed key across boots) is in test/e2e/deploy-tpm.test.ts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { labStatus, labUp } from '../../src/lab/lab.ts';
import { labUnsupportedReason } from '../../src/lab/namespace.ts';
import { startSwtpm, swtpmArgs } from '../../src/lab/swtpm.ts';

const unsupported = (await labUnsupportedReason()) ?? (spawnSync('sh', ['-c', 'command -v swtpm && command -v swtpm_ioctl']).status !== 0 ? 'swtpm is not installed' : undefined);

describe('swtpm', () => {
  it('command line: TPM 2.0, unix control socket, commas in paths doubled', () => {
    assert.deepEqual(swtpmArgs({ stateDir: '/l/n1.tpm', socket: '/l/a,b.sock', logFile: '/l/n1.log' }), [
      'socket', '--tpm2', '--tpmstate', 'dir=/l/n1.tpm', '--ctrl', 'type=unixio,path=/l/a,,b.sock', '--log', 'file=/l/n1.log,level=1',
    ]);
  });

  it('runs in the lab, recorded, keeps its state across restarts, and goes with the lab', { skip: unsupported && `no lab here: ${unsupported}`, timeout: 60_000 }, async () => {
    const lab = await labUp({ nodes: 1 });
    try {
      const options = { name: 'node1', stateDir: join(lab.dir, 'node1.tpm'), socket: join(lab.dir, 'node1.swtpm.sock'), logFile: join(lab.dir, 'node1.swtpm.log'), namespace: lab.namespace };
      const first = await startSwtpm(options);
      const caps = spawnSync('swtpm_ioctl', ['--unix', first.socket, '-i'], { encoding: 'utf8' });
      assert.equal(caps.status, 0, `swtpm_ioctl -i (TPM init) over the control socket: ${caps.stderr}`);
      const mine = (await labStatus()).find((l) => l.name === lab.name)!;
      assert.ok(mine.processes.some((p) => p.pid === first.pid && p.label === 'swtpm node1' && p.running), JSON.stringify(mine.processes));
      await first.stop();
      assert.ok(readdirSync(options.stateDir).some((f) => f.startsWith('tpm2-')), 'the TPM state is kept on disk');
      const second = await startSwtpm(options);
      assert.notEqual(second.pid, first.pid);
      await lab.down();
      await second.exited;
      assert.equal(existsSync(lab.dir), false);
    } finally {
      await lab.down();
    }
  });
});

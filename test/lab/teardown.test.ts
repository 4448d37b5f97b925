/**
 * A lab leaves nothing behind however its owner ends, and teardown never
 * touches what the lab did not make.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { labDown, labStatus, labUp } from '../../src/lab/lab.ts';
import { labUnsupportedReason, namespaceInode } from '../../src/lab/namespace.ts';
import { isRunning, processStartTime } from '../../src/lab/process-record.ts';
import { readLabState } from '../../src/lab/state-file.ts';
import type { LabState } from '../../src/lab/state-file.ts';

const unsupported = await labUnsupportedReason();
const labsRoot = mkdtempSync(join(tmpdir(), 'berth-labs-'));

interface Owner {
  name: string;
  stateFile: string;
  sleeper: number;
  pid: number;
  exited: Promise<unknown>;
}

/** A separate process that brings a lab up and waits (fixtures/lab-owner.ts). */
async function startOwner(): Promise<Owner> {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'fixtures/lab-owner.ts'), labsRoot], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((r) => child.once('exit', r));
  let out = '';
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    child.once('exit', (code) => reject(new Error(`lab owner exited with ${code} before bringing its lab up`)));
  });
  return { ...(JSON.parse(line) as Omit<Owner, 'pid' | 'exited'>), pid: child.pid!, exited };
}

describe('lab teardown', { skip: unsupported && `the lab cannot run on this machine: ${unsupported}` }, () => {
  after(async () => {
    // Whatever a failed test left: every lab under this test's own labs root.
    await labDown({ labsRoot, all: true });
    rmSync(labsRoot, { recursive: true, force: true });
  });

  it('berth lab down finds the lab of an owner killed with SIGKILL and removes it, its processes and its directory', async () => {
    const owner = await startOwner();
    process.kill(owner.pid, 'SIGKILL');
    await owner.exited;

    const [status] = (await labStatus({ labsRoot })).filter((s) => s.name === owner.name);
    assert.ok(status, 'the abandoned lab is listed');
    assert.equal(status.owner.running, false);
    assert.equal(status.namespaceUp, true);
    assert.deepEqual(
      status.processes.map((p) => [p.label, p.running]),
      [['sleeper', true]],
    );

    const results = await labDown({ labsRoot });
    const mine = results.find((r) => r.name === owner.name);
    assert.equal(mine?.report?.namespaceDeleted, true);
    assert.deepEqual(mine.report.stopped.map((p) => p.pid), [owner.sleeper]);
    assert.equal(namespaceInode(owner.name), undefined, 'namespace is gone');
    assert.equal(processStartTime(owner.sleeper), undefined, 'the sleeper is gone');
    assert.equal((await labStatus({ labsRoot })).some((s) => s.name === owner.name), false, 'its directory is gone');
  });

  it('the owner removes its lab itself when it gets SIGTERM', async () => {
    const owner = await startOwner();
    process.kill(owner.pid, 'SIGTERM');
    await owner.exited;
    assert.equal(namespaceInode(owner.name), undefined);
    assert.equal(processStartTime(owner.sleeper), undefined);
    assert.equal((await labStatus({ labsRoot })).some((s) => s.name === owner.name), false);
  });

  it('berth lab down without --all leaves a lab whose owner is alive', async () => {
    const lab = await labUp({ nodes: 1, labsRoot });
    try {
      const results = await labDown({ labsRoot });
      assert.match(results.find((r) => r.name === lab.name)?.skipped ?? '', /owner \(pid \d+\) is still running/);
      assert.notEqual(namespaceInode(lab.name), undefined);
    } finally {
      await lab.down();
    }
    assert.equal(namespaceInode(lab.name), undefined);
  });

  it('refuses a namespace of the recorded name that is not the one it made, and PIDs that were reused', async () => {
    const lab = await labUp({ nodes: 1, labsRoot });
    try {
      const forged: LabState = structuredClone(readLabState(lab.stateFile));
      forged.namespace.inode = '1';
      // This very test process, under the wrong start time: a PID the lab once had, now someone else's.
      forged.namespace.processes = [{ pid: process.pid, startTime: '1', label: 'recycled pid', command: ['qemu-system-x86_64'] }];
      const otherRoot = join(labsRoot, 'forged');
      forged.dir = join(otherRoot, lab.name);
      mkdirSync(forged.dir, { recursive: true });
      const forgedFile = join(forged.dir, 'state.json');
      writeFileSync(forgedFile, JSON.stringify(forged));

      const [result] = await labDown({ stateFile: forgedFile });
      assert.match(result?.report?.refused ?? '', /not the one this lab created/);
      assert.deepEqual(result?.report?.stopped, []);
      assert.notEqual(namespaceInode(lab.name), undefined, 'the namespace is untouched');
      assert.ok(isRunning({ pid: process.pid, startTime: processStartTime(process.pid)!, label: '', command: [] }));
    } finally {
      await lab.down();
    }
  });

  it('rejects a state file that names a namespace berth would not have made', () => {
    const dir = join(labsRoot, 'bad');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'state.json');
    writeFileSync(
      file,
      JSON.stringify({ format: 1, name: 'default', dir, owner: { pid: 1, startTime: '1' }, nodes: [], namespace: { name: 'default', inode: '1', processes: [] } }),
    );
    assert.throws(() => readLabState(file), (e: any) => e.code === 'BERTH_CONFIG' && e.where.file === file);
  });
});

/**
 * Tethered diskless deployment from two berth servers, end to end with a
 * real VM: the node's root is read on demand over NBD, one path to each
 * server, under dm-multipath, dm-verity and dm-crypt. While the booted node
 * reads files it has never read, one server is killed: the reads go on
 * through the other (the stall is reported). When the server comes back,
 * the node's watcher gives it a fresh path again.
 *
 * The second server is a second `berth serve` on another address of the lab
 * network with a copy of the version (replication between servers belongs
 * to the collective); the first names it in `boot.nbd_peers`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { waitForOutput } from '../../src/lab/berth-lab.ts';
import type { BerthLab } from '../../src/lab/berth-lab.ts';
import { labUnsupportedReason } from '../../src/lab/namespace.ts';
import { BERTH } from '../helpers/daemon.ts';
import { labSession } from '../helpers/lab-session.ts';
import { labImageTree } from '../../src/lab/lab-image.ts';

const unsupported = (await labUnsupportedReason()) ?? (spawnSync('mmdebstrap', ['--version']).status !== 0 ? 'mmdebstrap is not installed' : undefined);
const BOOT_TIMEOUT_MS = 15 * 60_000;
const NODE = 'node1';
const NODE_IP = '10.99.0.11';
const PEER_IP = '10.99.0.2';
const PEER_NBD_PORT = 10810;

describe('tethered deployment from two berth servers', { skip: unsupported && `no lab here: ${unsupported}`, timeout: 40 * 60_000 }, () => {
  let lab: BerthLab;
  let peer: ChildProcess | undefined;
  let peerConfig: string;
  const session = labSession({ node: NODE, address: NODE_IP, pollMs: 2000 });
  const { cli, ok, state, waitFor, ssh } = session;
  const startPeer = async () => {
    peer = lab.lab.runInNamespace(BERTH, ['serve', '--config', peerConfig, '--listen', '127.0.0.1:0'], { label: 'berth serve (peer)', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BERTH_LOG_LEVEL: 'info' } as Record<string, string> });
    await waitForOutput(peer, /berth serve started/, join(lab.lab.dir, 'peer.log'));
  };

  before(async () => {
    lab = await session.start({ nodes: 1, bootConfig: [`  nbd_peers: ["${PEER_IP}:${PEER_NBD_PORT}"]`] });
    await labImageTree(lab.stateDir, 'e2e');
    ok(['image', 'pack', 'e2e', '--level', '3']);
    ok(['node', 'set', NODE, `ssh.admin_keys=${session.adminKey()}`]);
    session.writeKnownHosts();
    ok(['profile', 'define', 'tethered', '--image', 'e2e@1', '--boot-method', 'tethered', '--kernel-args', 'console=ttyS0 panic=10']);

    // The peer: its own state dir holding the same version, NBD on another address and port, no DHCP.
    const peerState = join(lab.lab.dir, 'peer');
    mkdirSync(join(peerState, 'images/e2e'), { recursive: true });
    mkdirSync(join(peerState, 'private/images/e2e'), { recursive: true, mode: 0o700 });
    spawnSync('chmod', ['700', join(peerState, 'private')]);
    for (const [from, to] of [['images/e2e/1', 'images/e2e/1'], ['private/images/e2e/1.key', 'private/images/e2e/1.key']] as const) {
      const r = spawnSync('cp', ['-a', '--reflink=auto', join(lab.stateDir, from), join(peerState, to)], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    }
    peerConfig = join(lab.lab.dir, 'peer.yaml');
    writeFileSync(peerConfig, `state_dir: ${peerState}\nlog:\n  format: json\nboot:\n  http_port: 8081\n  tftp_port: 6970\n  nbd_port: ${PEER_NBD_PORT}\n`);
    const added = spawnSync('ip', ['netns', 'exec', lab.lab.name, 'ip', 'addr', 'add', `${PEER_IP}/24`, 'dev', lab.lab.namespace.bridge.name], { encoding: 'utf8' });
    assert.equal(added.status, 0, added.stderr);
    await startPeer();
  });
  after(async () => {
    await lab?.down();
  });

  it('boots with a path to each server, and reads on when one is killed', async (t) => {
    ok(['deploy', NODE, 'tethered', '--no-wait']);
    const vm = await lab.lab.bootVm(0, { firmware: 'bios', memoryMb: 768 });
    try {
      await waitFor('the node to report booted', () => state(NODE).state === 'booted', BOOT_TIMEOUT_MS);
      t.diagnostic(`booted ${((Date.now() - vm.startedAt) / 1000).toFixed(0)} s after power-on (TCG)`);
      const steps = session.timeline();
      const attached = steps.find((e) => e.source === 'node' && e.step === 'attached');
      assert.ok(attached, `attached in the timeline: ${steps.map((e) => e.step).join(' ')}`);
      assert.match(String(attached.detail?.['message']), new RegExp(`2 NBD paths:.*${PEER_IP}:${PEER_NBD_PORT}`));
      assert.ok(steps.some((e) => e.source === 'nbd' && e.step === 'attach'), 'the NBD server put the attach in the timeline');
      const status = JSON.parse(ok(['boot', 'status', '--json']));
      const mine = (status.nbd.clients as { export: string; bytes: number; node: string | null }[]).filter((c) => c.export === 'e2e@1');
      const artifact = JSON.parse(ok(['image', 'show', 'e2e@1', '--json'])).artifact.bytes as number;
      t.diagnostic(`this server sent ${(mine.reduce((a, c) => a + c.bytes, 0) / 2 ** 20).toFixed(1)} MiB of the ${(artifact / 2 ** 20).toFixed(0)} MiB image by booted`);
      assert.equal(mine.length, 1);
      assert.equal(mine[0]!.node, NODE);

      const before = ssh('findmnt -n -o FSTYPE /; dmsetup status berth-paths; systemctl is-active berth-paths.service');
      assert.equal(before.status, 0, `ssh with only the @cert-authority line: ${before.stderr}`);
      assert.match(before.stdout, /^overlay\n/);
      assert.equal((before.stdout.match(/ \d+:\d+ A /g) ?? []).length, 2, `two active paths: ${before.stdout}`);
      assert.match(before.stdout, /\nactive\n$/, 'the path watcher runs');

      // Files never read before, one at a time, each read timed; at most 90 s of it.
      const loop = ssh(
        `nohup sh -c 'end=$(($(date +%s) + 90)); find /usr/lib /usr/share -xdev -type f -size +0 > /run/files 2>/dev/null; ` +
          `while read -r f; do [ $(date +%s) -lt $end ] || break; s=$(date +%s%N); cat "$f" > /dev/null 2>>/run/read-errors || echo "$f" >> /run/read-errors; echo "$s $(date +%s%N)"; done < /run/files > /run/reads; touch /run/reads-done' > /dev/null 2>&1 &`,
      );
      assert.equal(loop.status, 0, loop.stderr);
      await new Promise((r) => setTimeout(r, 15_000));
      const readsBefore = Number(ssh('wc -l < /run/reads').stdout.trim());
      assert.ok(readsBefore > 0, 'the read loop runs');
      peer!.kill('SIGKILL');
      await waitFor('the read loop to end', () => ssh('test -e /run/reads-done').status === 0, 5 * 60_000);
      const reads = ssh('cat /run/reads').stdout.trim().split('\n').map((l) => l.split(' ').map(Number) as [number, number]);
      const errors = ssh('cat /run/read-errors 2>/dev/null').stdout.trim();
      assert.equal(errors, '', 'no read failed');
      assert.ok(reads.length > readsBefore + 10, `reads went on after the kill: ${readsBefore} before, ${reads.length} in all`);
      const longest = Math.max(...reads.slice(readsBefore).map(([s, e]) => (e - s) / 1e6));
      const gaps = reads.slice(readsBefore).map(([s], i, all) => (i === 0 ? 0 : (s - all[i - 1]![1]) / 1e6));
      t.diagnostic(`stall after killing one server: longest read ${longest.toFixed(0)} ms, longest gap ${Math.max(...gaps).toFixed(0)} ms; ${reads.length - readsBefore} files read after the kill, ${readsBefore} before`);
      const degraded = ssh('dmsetup status berth-paths').stdout;
      assert.equal((degraded.match(/ \d+:\d+ A /g) ?? []).length, 1, `one path left active: ${degraded}`);

      // The server returns: the watcher connects a fresh path to it.
      await startPeer();
      await waitFor('a second active path again', () => (ssh('dmsetup status berth-paths').stdout.match(/ \d+:\d+ A /g) ?? []).length === 2, 60_000);
      const healed = ssh('cat /run/berth/nbd-paths; cat /run/read-errors 2>/dev/null; head -c 1M /usr/bin/ssh-keygen | wc -c');
      assert.match(healed.stdout, new RegExp(`${PEER_IP}:${PEER_NBD_PORT}`));
    } finally {
      await vm.stop();
    }
  });

  it('refuses to remove the version the tethered node uses', () => {
    const r = cli(['image', 'remove', 'e2e@1']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /node1/);
  });
});

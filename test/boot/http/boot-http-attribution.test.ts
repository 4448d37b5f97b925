/**
 * Who writes a node's timeline, against a real daemon: boot HTTP attributes
 * a download to the node whose lease or own address the request came from,
 * and takes `?node=` only from that address; 404s and unknown names write
 * nothing; security events (key-granted, key-refused, install-refused) are
 * in an audit record that boot traffic cannot push out. The attack: 5,000
 * requests from a stranger's address naming node a (and some naming random
 * MACs and long random node names).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDaemon } from '../../helpers/daemon.ts';
import type { Daemon } from '../../helpers/daemon.ts';
import { nodeApiCaller } from '../../helpers/node-api-call.ts';

const MAC_A = '52:54:00:aa:10:01';
const STRANGER = '127.0.0.2';

interface Event {
  time: string;
  source: string;
  step: string;
  node?: string;
  ip?: string;
  detail?: Record<string, unknown>;
}

function get(port: number, path: string, from: string, agent?: Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, localAddress: from, ...(agent ? { agent } : {}) }, (res) => {
      let body = '';
      res.setEncoding('latin1').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode!, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('boot HTTP: who writes a node timeline', () => {
  let d: Daemon;
  let port: number;
  const timeline = (node: string): Event[] => JSON.parse(d.cli(['node', 'timeline', node, '--json']).stdout).events;
  /** The store's size with the daemon stopped (its write-ahead log checkpointed into store.db). */
  const storeBytes = async () => {
    await d.stop();
    const bytes = ['store.db', 'store.db-wal'].reduce((sum, f) => sum + (statSync(join(d.stateDir, f), { throwIfNoEntry: false })?.size ?? 0), 0);
    d = await startDaemon({ stateDir: d.stateDir });
    port = JSON.parse(d.cli(['boot', 'status', '--json']).stdout).httpPort;
    return bytes;
  };
  const settle = () => new Promise((r) => setTimeout(r, 400));

  before(async () => {
    d = await startDaemon();
    port = JSON.parse(d.cli(['boot', 'status', '--json']).stdout).httpPort;
    const profile = join(d.stateDir, 'profiles', 'test');
    mkdirSync(profile, { recursive: true });
    writeFileSync(join(profile, 'vmlinuz'), Buffer.alloc(4096, 1));
    writeFileSync(join(profile, 'initrd.gz'), Buffer.alloc(2048, 2));
    writeFileSync(join(profile, 'profile.yaml'), 'kernel: vmlinuz\ninitrds: [initrd.gz]\nkernel_args: console=ttyS0\n');
    for (const args of [['node', 'define', 'a', `net.eth0.hwaddr=${MAC_A}`, 'net.eth0.ipv4_address=127.0.0.1/8', 'deployment.pending_profile=test', 'deployment.armed=once']]) {
      const r = d.cli(args);
      assert.equal(r.code, 0, r.stderr);
    }
  });
  after(async () => {
    await d?.stop();
    d?.cleanup();
  });

  test("a's own boot is in its timeline; ?node= from a stranger, 404s and unknown names are not", async () => {
    assert.equal((await get(port, `/boot/ipxe/${MAC_A}`, '127.0.0.1')).status, 200);
    assert.equal((await get(port, '/boot/profiles/test/vmlinuz?node=a', '127.0.0.1')).status, 200);
    assert.equal((await get(port, '/boot/profiles/test/vmlinuz?node=a', STRANGER)).status, 200, 'the kernel itself is public');
    assert.equal((await get(port, '/boot/profiles/test/nothing?node=a', '127.0.0.1')).status, 404);
    assert.equal((await get(port, '/boot/profiles/test/vmlinuz?node=ghost', STRANGER)).status, 200);
    assert.equal((await get(port, '/boot/nothing?node=ghost', STRANGER)).status, 404);
    await settle();
    const events = timeline('a');
    assert.deepEqual(
      events.filter((e) => e.source === 'http').map((e) => `${e.step}:${e.ip}`),
      ['script:127.0.0.1', 'kernel:127.0.0.1'],
      "only a's own requests, and no 404",
    );
    // A name that was no node then has no timeline once it is one.
    assert.equal(d.cli(['node', 'define', 'ghost']).code, 0);
    assert.deepEqual(timeline('ghost'), []);
    const dropped = JSON.parse(d.cli(['boot', 'status', '--json']).stdout).dropped;
    assert.ok(dropped['http.not-found'] >= 1, JSON.stringify(dropped));
  });

  test('5,000 requests from a stranger naming a leave its timeline and its key-granted record as they were, and the store small', async () => {
    let call = nodeApiCaller(d);
    const granted = await call('/node/v1/key', { body: { node: 'a' } });
    assert.equal(granted.status, 200);
    await settle();
    const before = timeline('a');
    assert.ok(before.some((e) => e.step === 'key-granted'));
    const bytesBefore = await storeBytes();
    call = nodeApiCaller(d);

    const paths = [
      '/boot/profiles/test/vmlinuz?node=a',
      '/boot/profiles/test/nothing?node=a',
      '/boot/profiles/test/profile.yaml?node=a',
      '/boot/nothing?node=a',
      `/boot/ipxe/${MAC_A}?node=a`,
      '/boot/images/img/1/vmlinuz?node=a',
      `/install/a/${'x'.repeat(43)}/preseed.cfg?node=a`,
      '/boot/loader/ipxe.efi?node=a',
    ];
    const agent = new Agent({ keepAlive: true, maxSockets: 32 });
    const started = Date.now();
    let next = 0;
    const statuses = new Map<number, number>();
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < 5000) {
          const i = next++;
          // One in ten names a random MAC (a new unknown machine), one in ten a long random node name.
          const path =
            i % 10 === 9
              ? `/boot/ipxe/52:54:01:${[i >> 16, (i >> 8) & 255, i & 255].map((b) => b.toString(16).padStart(2, '0')).join(':')}?node=a`
              : i % 10 === 4
                ? `/boot/profiles/test/vmlinuz?node=${randomBytes(3000).toString('hex')}`
                : paths[i % paths.length]!;
          const r = await get(port, path, STRANGER, agent);
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        }
      }),
    );
    agent.destroy();
    // And refused key requests, which are audit events too.
    for (let i = 0; i < 150; i++) assert.equal((await call('/node/v1/key', { body: { node: 'a' }, from: STRANGER })).status, 403);
    const seconds = (Date.now() - started) / 1000;
    await settle();
    const after = timeline('a');
    const grown = (await storeBytes()) - bytesBefore;
    process.stdout.write(
      `# flood: 5000 boot HTTP + 150 key requests from ${STRANGER} in ${seconds.toFixed(1)} s (statuses ${JSON.stringify(Object.fromEntries(statuses))}); ` +
        `store.db+wal ${bytesBefore} -> ${bytesBefore + grown} bytes (+${grown}); a's timeline ${before.length} -> ${after.length} events ` +
        `(audit: key-granted ${after.filter((e) => e.step === 'key-granted').length}, key-refused ${after.filter((e) => e.step === 'key-refused').length}, install-refused ${after.filter((e) => e.step === 'install-refused').length})\n`,
    );
    const id = (e: Event) => `${e.time} ${e.source} ${e.step} ${e.ip}`;
    const kept = new Set(after.map(id));
    for (const e of before) assert.ok(kept.has(id(e)), `still in a's timeline: ${id(e)}`);
    assert.ok(after.some((e) => e.step === 'key-granted' && e.ip === '127.0.0.1'), 'the key-granted record survives');
    const noise = after.filter((e) => e.ip === STRANGER && !['install-refused', 'key-refused'].includes(e.step));
    assert.deepEqual(noise.map(id), [], "nothing the stranger did is a step of a's boot");
    assert.ok(after.filter((e) => e.step === 'install-refused').length <= 120, 'refusals are bounded (the last 100 of each step, trimmed at 120)');
    assert.ok(grown < 1024 * 1024, `the store grew by ${grown} bytes`);
  });
});

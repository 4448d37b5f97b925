/**
 * Attacks on a real `berth serve` over a real wire: a veth pair between two
 * network namespaces, berth in one, clients (flooders, a routed host, relays)
 * in the other (netns-pair.ts, netns-client.ts).
 *
 * - 40,000 DISCOVERs from random MACs must not leave more than the cap of
 *   discovery records, and known nodes (one with a fixed address, one from
 *   the pool) still get OFFER and ACK while it runs.
 * - A unicast DISCOVER from a routed (off-link) address without giaddr gets
 *   no answer; a relayed one gets an answer only from a configured relay.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MessageType } from '../../../src/boot/dhcp/options.ts';
import { ROOT, startDaemon, type Daemon } from '../../helpers/daemon.ts';
import type { Plan, PlanResult } from './netns-client.ts';
import { canMakeNamespaces, makeNamespacePair, type NamespacePair } from './netns-pair.ts';

const NODE = join(ROOT, 'node_modules/node/bin/node');
const skip = canMakeNamespaces() ? false : 'needs root (network namespaces)';
const DISCOVERY_CAP = 4096;

function runClients(pair: NamespacePair, plan: Omit<Plan, 'server' | 'serverPort' | 'clientPort'>): Promise<PlanResult> {
  const full: Plan = { server: '10.99.0.1', serverPort: 67, clientPort: 68, ...plan };
  const child = spawn('ip', ['netns', 'exec', pair.clients, NODE, '--disable-warning=ExperimentalWarning', join(import.meta.dirname, 'netns-client.ts'), JSON.stringify(full)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(out) as PlanResult);
      else reject(new Error(`clients exited with ${code}: ${err}`));
    });
  });
}

async function serve(pair: NamespacePair, networks: string): Promise<Daemon> {
  const stateDir = mkdtempSync(join(tmpdir(), 'berth-dhcp-flood-'));
  const config = join(stateDir, 'berth.yaml');
  writeFileSync(config, `boot:\n  dhcp_port: 67\n  proxy_port: 4011\n  networks:\n${networks}`);
  return startDaemon({ stateDir, netns: pair.server, extraArgs: ['--config', config] });
}

/** A drop counter from `berth boot status` (keys read `dhcp.<reason>`; older builds wrote `dhcp:<reason>`). */
function droppedCount(dropped: Record<string, number>, reason: string): number {
  return dropped[`dhcp.${reason}`] ?? dropped[`dhcp:${reason}`] ?? 0;
}

function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match![1]) * 1024;
}

function storeBytes(stateDir: string): number {
  return readdirSync(stateDir).filter((f) => f.startsWith('store.db')).reduce((n, f) => n + statSync(join(stateDir, f)).size, 0);
}

const lab = [
  '    - name: lab',
  '      interface: berth0',
  '      subnet: 10.99.0.0/24',
  '      mode: full',
  '      server_address: 10.99.0.1',
  '      pool: 10.99.0.100-10.99.0.199',
  '',
].join('\n');

describe('DHCP under attack on a real wire', { skip }, () => {
  let pair: NamespacePair;
  const daemons: Daemon[] = [];

  before(() => {
    pair = makeNamespacePair({
      serverAddresses: ['10.99.0.1/24'],
      clientAddresses: ['10.99.0.2/24', '192.168.50.10/24', '10.99.5.1/24', '10.99.5.9/24'],
      routes: [{ to: '192.168.50.0/24', via: '10.99.0.2' }, { to: '10.99.5.0/24', via: '10.99.0.2' }],
    });
  });
  after(async () => {
    for (const d of daemons) {
      await d.stop();
      d.cleanup();
    }
    pair?.destroy();
  });

  test('a 40,000-MAC DISCOVER flood leaves at most the cap of discovery records, and known nodes boot during it', async (t) => {
    const d = await serve(pair, lab);
    daemons.push(d);
    for (const args of [['node', 'define', 'fixed', 'net.boot.hwaddr=52:54:00:aa:00:01', 'net.boot.ipv4_address=10.99.0.10/24'], ['node', 'define', 'pooled', 'net.boot.hwaddr=52:54:00:aa:00:02']]) {
      const r = d.cli(args);
      assert.equal(r.code, 0, r.stderr);
    }
    const rssBefore = rssBytes(d.process.pid!);
    const storeBefore = storeBytes(d.stateDir);

    const result = await runClients(pair, {
      flood: { count: 40_000, perSecond: 8000, seed: 11 },
      exchanges: [
        { mac: '52:54:00:aa:00:01', startAfterMs: 2000, timeoutMs: 20_000 },
        { mac: '52:54:00:aa:00:02', startAfterMs: 2000, timeoutMs: 20_000 },
      ],
    });
    await new Promise((r) => setTimeout(r, 1000)); // discovery writes its records every 200 ms
    const discovered = (await d.api('GET', '/api/v1/discovered')).json.machines.length as number;
    const status = (await d.api('GET', '/api/v1/boot/status')).json;
    const figures = {
      sent: result.flood!.sent,
      floodSeconds: result.flood!.seconds,
      discovered,
      rssGrowthMB: +((rssBytes(d.process.pid!) - rssBefore) / 1e6).toFixed(1),
      storeGrowthMB: +((storeBytes(d.stateDir) - storeBefore) / 1e6).toFixed(1),
      exchanges: result.exchanges,
      dropped: status.dropped,
    };
    t.diagnostic(JSON.stringify(figures));

    assert.equal(result.flood!.sent, 40_000);
    assert.ok(discovered <= DISCOVERY_CAP, `${discovered} discovery records after the flood, more than the cap of ${DISCOVERY_CAP}`);
    const [fixed, pooled] = result.exchanges;
    assert.equal(fixed!.acked, '10.99.0.10', 'the node with a fixed address got its ACK during the flood');
    assert.match(pooled!.acked ?? 'none', /^10\.99\.0\.1\d\d$/, 'the known node without a fixed address got a pool address during the flood');
    assert.ok(droppedCount(status.dropped, 'new-client-rate-limited') > 0, 'the flood is counted where berth boot status shows it');
  });

  test('off-link: a routed unicast without giaddr and a relay that is not configured get nothing; a configured relay gets its OFFER', async () => {
    const d = await serve(pair, lab + [
      '    - name: rack5',
      '      subnet: 10.99.5.0/24',
      '      mode: full',
      '      server_address: 10.99.0.1',
      '      relays: [10.99.5.1]',
      '      pool: 10.99.5.100-10.99.5.150',
      '',
    ].join('\n'));
    daemons.push(d);
    const result = await runClients(pair, {
      probes: [
        { mac: '52:54:00:bb:00:01', from: '10.99.0.2', fromPort: 68, to: '10.99.0.1', waitMs: 1000 },
        { mac: '52:54:00:bb:00:02', from: '192.168.50.10', fromPort: 68, to: '10.99.0.1', waitMs: 1000 },
        { mac: '52:54:00:bb:00:03', from: '10.99.5.9', fromPort: 67, to: '10.99.0.1', giaddr: '10.99.5.9', waitMs: 1000 },
        { mac: '52:54:00:bb:00:04', from: '10.99.5.1', fromPort: 67, to: '10.99.0.1', giaddr: '10.99.5.1', waitMs: 1000 },
      ],
    });
    const [onLink, routed, strangeRelay, relay] = result.probes;
    assert.deepEqual(onLink!.replies.map((r) => r.type), [MessageType.offer], 'control: an on-link client is answered');
    assert.deepEqual(routed!.replies, [], 'a unicast from a routed network without giaddr is not the provisioning LAN');
    assert.deepEqual(strangeRelay!.replies, [], 'a giaddr that is not a configured relay gets nothing');
    assert.equal(relay!.replies.length, 1, 'the configured relay gets its OFFER');
    assert.match(relay!.replies[0]!.yiaddr, /^10\.99\.5\.1\d\d$/);
    const dropped = (await d.api('GET', '/api/v1/boot/status')).json.dropped;
    assert.equal(droppedCount(dropped, 'off-link-source'), 1);
    assert.equal(droppedCount(dropped, 'relay-not-configured'), 1);
  });
});

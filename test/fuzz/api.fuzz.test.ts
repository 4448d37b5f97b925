/**
 * Random and mutated requests against a real daemon: every answer is a JSON
 * error with a 4xx status (or a success), never a 500, and the daemon stays up.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startDaemon } from '../helpers/daemon.ts';
import { prng, randomText } from './random-text.ts';

const SEED = Number(process.env['BERTH_FUZZ_SEED'] ?? 20261121);
const ROUNDS = Number(process.env['BERTH_FUZZ_ROUNDS'] ?? 4000) / 8;

const templates: [string, string, unknown][] = [
  ['POST', '/api/v1/nodes', { noderange: 'f[1-3]', groups: ['fz'], attributes: { 'net.mgmt.hwaddr': '52:54:00:00:00:01' } }],
  ['PATCH', '/api/v1/nodes', { noderange: 'f1', set: { 'net.mgmt.ipv4_address': '10.0.0.{n1}/24' }, unset: ['id.serial'] }],
  ['POST', '/api/v1/groups', { name: 'g1', attributes: { 'location.u': '{n1}' } }],
  ['PATCH', '/api/v1/groups/fz', { set: { 'dns.servers': '10.0.0.1' } }],
  ['POST', '/api/v1/nodes/rename', { noderange: 'f2', to: 'f{n1}x' }],
  ['PUT', '/api/v1/inventory?mode=merge', { format: 1, groups: {}, nodes: { q1: { groups: ['fz'] } } }],
  ['POST', '/api/v1/tokens', { name: 't1' }],
];

function mutateJson(value: unknown, random: () => number): unknown {
  const roll = random();
  if (roll < 0.1) return randomText(random, '{}[]",:0123456789abc', 20);
  if (roll < 0.15) return null;
  if (roll < 0.2) return Math.floor(random() * 1e6) - 5e5;
  if (Array.isArray(value)) return value.map((v) => (random() < 0.3 ? mutateJson(v, random) : v));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (random() < 0.1) continue;
      out[random() < 0.1 ? randomText(random, 'abc.-_', 8) : k] = random() < 0.4 ? mutateJson(v, random) : v;
    }
    return out;
  }
  if (typeof value === 'string') return random() < 0.5 ? randomText(random, value + '[]{}-,@', value.length + 5) : value;
  return value;
}

test('the API answers mutated requests with 4xx errors, never 500', async () => {
  const daemon = await startDaemon();
  try {
    await daemon.api('POST', '/api/v1/groups', { name: 'fz' });
    const random = prng(SEED);
    const statuses = new Map<number, number>();
    for (let i = 0; i < ROUNDS; i++) {
      const [method, path, body] = templates[Math.floor(random() * templates.length)]!;
      const mutated = mutateJson(body, random);
      const { status, json } = await daemon.api(method, path, mutated);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      assert.ok(status < 500, `${method} ${path} ${JSON.stringify(mutated)} → ${status} ${JSON.stringify(json)}`);
      if (status >= 400) assert.equal(typeof json.error.code, 'string');
    }
    const alive = await daemon.api('GET', '/api/v1/status');
    assert.equal(alive.status, 200);
    process.stdout.write(`# statuses: ${JSON.stringify(Object.fromEntries(statuses))}\n`);
  } finally {
    await daemon.stop();
    daemon.cleanup();
  }
});

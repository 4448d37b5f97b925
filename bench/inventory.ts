/**
 * Inventory at scale: 100,000 nodes in 100 groups with group-level
 * expressions on network attributes. Prints figures beside the targets of
 * issue 2; asserts nothing. The CLI round trip is compared with bare Node
 * start-up measured in the same run, since that is most of it.
 *
 *   npm run bench
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Inventory } from '../src/inventory/inventory.ts';
import { compressNodes } from '../src/inventory/noderange/compress.ts';
import { expandNoderange } from '../src/inventory/noderange/expand.ts';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import { BERTH, startDaemon } from '../test/helpers/daemon.ts';

const NODES = 100_000;
const GROUPS = 100;
const rows: [string, string, string][] = [];
const record = (what: string, figure: string, target: string) => {
  rows.push([what, figure, target]);
  console.log(`${what}: ${figure}  (target ${target})`);
};
const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function groupAttributes(g: number): Record<string, string> {
  return {
    'net.mgmt.ipv4_address': `10.${g}.{n1 >> 8 & 255}.{n1 & 255}/8`,
    'net.mgmt.hostname': '{node}-mgmt,{node}',
    'net.ib.ipv4_address': '172.{16 + (n1 >> 16)}.{(n1 >> 8) & 255}.{n1 & 255}/12',
    'custom.switch': `sw${g}`,
    'custom.switchport': '{n1 % 48 + 1}',
    'location.rack': String(g),
  };
}

// ---- in-process: define, resolve, expand/compress on the SQLite store --------
const dir = mkdtempSync(join(tmpdir(), 'berth-bench-'));
try {
  const store = await openSqliteStore(join(dir, 'store.db'));
  const inventory = await Inventory.load(store);
  for (let g = 1; g <= GROUPS; g++) await inventory.defineGroup(`g${g}`, '', groupAttributes(g));
  await inventory.defineGroup('compute', '', { 'net.mgmt.bootable': 'true', 'custom.role': 'compute-{n1 % 4}' });
  let t = process.hrtime.bigint();
  await inventory.defineNodes(
    Array.from({ length: NODES }, (_, i) => ({ name: `n${i + 1}`, groups: [`g${Math.floor(i / (NODES / GROUPS)) + 1}`, 'compute'] })),
  );
  record('define 100,000 nodes (in process, one transaction, all validated)', `${(ms(t) / 1000).toFixed(2)} s`, '< 30 s');

  const resolver = inventory.resolver();
  t = process.hrtime.bigint();
  let values = 0;
  for (const name of inventory.nodeNames()) values += Object.keys(resolver.resolveAll(inventory.node(name)!)).length;
  record(`resolve every attribute of all 100,000 nodes (${values.toLocaleString('en')} values)`, `${(ms(t) / 1000).toFixed(2)} s`, '< 2 s');

  const context = inventory.noderangeContext();
  const times: number[] = [];
  let compressed = '';
  for (let i = 0; i < 7; i++) {
    t = process.hrtime.bigint();
    const names = expandNoderange('n[1-100000],-n[5-50]', context);
    compressed = compressNodes(names);
    times.push(ms(t));
  }
  record(`expand + compress n[1-100000],-n[5-50] → ${compressed} (median of 7)`, `${median(times).toFixed(1)} ms`, '< 100 ms');
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// ---- through the daemon and the real CLI --------------------------------------
const daemon = await startDaemon();
try {
  for (let g = 1; g <= GROUPS; g++) await daemon.api('POST', '/api/v1/groups', { name: `g${g}`, attributes: groupAttributes(g) });
  let t = process.hrtime.bigint();
  for (let g = 1; g <= GROUPS; g++) {
    const per = NODES / GROUPS;
    const r = await daemon.api('POST', '/api/v1/nodes', { noderange: `n[${(g - 1) * per + 1}-${g * per}]`, groups: [`g${g}`] });
    if (r.status !== 201) throw new Error(JSON.stringify(r.json));
  }
  record('define 100,000 nodes over the API (100 requests of 1,000)', `${(ms(t) / 1000).toFixed(2)} s`, '< 30 s');

  const csv = join(daemon.stateDir, 'nodes.csv');
  writeFileSync(csv, 'name,groups\n' + Array.from({ length: NODES }, (_, i) => `x${i + 1},g${(i % GROUPS) + 1}`).join('\n') + '\n');
  t = process.hrtime.bigint();
  const csvRun = daemon.cli(['node', 'define', '--csv', csv]);
  if (csvRun.code !== 0) throw new Error(csvRun.stderr);
  record('define 100,000 nodes with one `berth node define --csv`', `${(ms(t) / 1000).toFixed(2)} s`, '< 30 s');

  t = process.hrtime.bigint();
  const all = await daemon.api('GET', '/api/v1/nodes?range=' + encodeURIComponent('~^n') + '&attributes=*');
  record(`GET all 100,000 nodes with every resolved attribute over the socket (${all.json.nodes.length} nodes)`, `${(ms(t) / 1000).toFixed(2)} s`, '—');

  const run = (args: string[]) => {
    const start = process.hrtime.bigint();
    const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8', env: { ...process.env, BERTH_SOCKET: daemon.socket }, maxBuffer: 1 << 28 });
    if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
    return ms(start);
  };
  const node = process.execPath;
  const empty = join(daemon.stateDir, 'empty.ts');
  writeFileSync(empty, 'export {};\n');
  const samples = (args: string[], n = 21) => {
    run(args);
    return median(Array.from({ length: n }, () => run(args)));
  };
  const bare = samples([node, '-e', '0']);
  const bareTs = samples([node, empty]);
  const show = samples([BERTH, 'node', 'show', 'n54321']);
  record('Node 24 start-up alone (node -e 0), median of 21', `${bare.toFixed(1)} ms`, 'reference');
  record('Node 24 start-up with an empty .ts file, median of 21', `${bareTs.toFixed(1)} ms`, 'reference');
  record('`berth node show n54321` round trip, median of 21', `${show.toFixed(1)} ms (${(show - bare).toFixed(1)} ms above bare start-up)`, '< 100 ms');
  const list = samples([BERTH, 'node', 'list', 'n[20001-30000]'], 5);
  record('`berth node list n[20001-30000]` (10,000 nodes), median of 5', `${list.toFixed(1)} ms`, '—');
} finally {
  await daemon.stop();
  daemon.cleanup();
}

console.log('\n| measurement | figure | target |\n|---|---|---|');
for (const [what, figure, target] of rows) console.log(`| ${what} | ${figure} | ${target} |`);

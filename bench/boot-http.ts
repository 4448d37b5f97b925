/**
 * Boot HTTP file serving against nginx on the same file: 100 concurrent
 * clients each reading random 1 MiB ranges of a 1 GiB file (how tethered
 * nodes and parallel initrd downloads look), for a fixed time. Both servers
 * are read by the same client code in this process; figures are MiB/s and
 * requests/s, and the ratio berth/nginx (goal ≥ 0.8).
 *
 *   node bench/boot-http.ts [--seconds 10] [--clients 100]
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BootHttpServer } from '../src/boot/http/boot-http-server.ts';
import { RecordingSink } from '../src/events/boot-event.ts';
import { createLogger } from '../src/util/logger.ts';
import { descriptorBudget, openFileLimit } from '../src/util/connection-limits.ts';
import { ensurePackages } from './apt.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, clients: { type: 'string', default: '100' }, 'size-mib': { type: 'string', default: '1024' } } });
const SECONDS = Number(values.seconds);
const CLIENTS = Number(values.clients);
const SIZE = Number(values['size-mib']) * 1024 * 1024;
const RANGE = 1024 * 1024;

ensurePackages(['nginx']);
const dir = mkdtempSync(join(tmpdir(), 'berth-bench-http-'));
// nginx's workers run as www-data: they must be able to read the file.
chmodSync(dir, 0o755);
const profiles = join(dir, 'profiles');
mkdirSync(join(profiles, 'big'), { recursive: true });
const file = join(profiles, 'big', 'image.bin');
const fd = openSync(file, 'w');
const block = Buffer.alloc(16 * 1024 * 1024);
for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((i * 2654435761) >>> 0, i);
for (let written = 0; written < SIZE; written += block.length) writeSync(fd, block, 0, Math.min(block.length, SIZE - written));
closeSync(fd);

async function measure(port: number, path: string): Promise<{ mib: number; requests: number; errors: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  const deadline = Date.now() + SECONDS * 1000;
  let bytes = 0;
  let requests = 0;
  let errors = 0;
  const one = () =>
    new Promise<void>((resolve) => {
      const start = Math.floor(Math.random() * (SIZE / RANGE)) * RANGE;
      const req = request({ host: '127.0.0.1', port, path, agent, headers: { range: `bytes=${start}-${start + RANGE - 1}` } }, (res) => {
        if (res.statusCode !== 206) errors++;
        res.on('data', (c: Buffer) => (bytes += c.length));
        res.on('end', () => {
          requests++;
          resolve();
        });
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end();
    });
  const started = Date.now();
  await Promise.all(Array.from({ length: CLIENTS }, async () => {
    while (Date.now() < deadline) await one();
  }));
  agent.destroy();
  const seconds = (Date.now() - started) / 1000;
  return { mib: bytes / 1024 / 1024 / seconds, requests: requests / seconds, errors };
}

let nginx: ChildProcess | undefined;
const berth = new BootHttpServer({
  port: 0,
  hosts: ['127.0.0.1'],
  // Every client comes from 127.0.0.1 here, unlike nodes on a boot network.
  limits: { ...descriptorBudget(openFileLimit() ?? 1024).bootHttp, maxPerAddress: CLIENTS },
  loaderDir: dir,
  profilesDir: profiles,
  // The profile `big` names its one file: boot HTTP serves only the files a profile names.
  target: { nodeByMac: () => undefined, nodeByUuid: () => undefined, pendingProfile: async () => ({ local: 'bench' }), isNodesOwnAddress: () => false, profileFiles: async (p) => (p === 'big' ? ['image.bin'] : undefined) },
  events: new RecordingSink(),
  log: createLogger({ level: 'warn' }),
});
try {
  await berth.start();
  const nginxPort = 20000 + Math.floor(Math.random() * 20000);
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, `worker_processes auto;\npid ${dir}/nginx.pid;\nerror_log ${dir}/nginx-error.log;\nevents { worker_connections 4096; }\nhttp {\n  access_log off;\n  sendfile on;\n  tcp_nopush on;\n  keepalive_requests 100000;\n  server {\n    listen 127.0.0.1:${nginxPort};\n    location /boot/profiles/ { alias ${profiles}/; }\n  }\n}\n`);
  nginx = spawn('nginx', ['-c', conf, '-p', dir, '-g', 'daemon off;'], { stdio: 'inherit' });
  await new Promise((r) => setTimeout(r, 500));
  const path = '/boot/profiles/big/image.bin';
  await measure(berth.port, path); // warm the page cache for both
  const check = await measure(nginxPort, path);
  if (check.errors > 0) throw new Error(`nginx answered with errors; see ${dir}/nginx-error.log`);
  const rounds: { berth: number; nginx: number }[] = [];
  for (let round = 0; round < 2; round++) {
    const b = await measure(berth.port, path);
    const n = await measure(nginxPort, path);
    console.log(`round ${round + 1}: berth ${b.mib.toFixed(0)} MiB/s (${b.requests.toFixed(0)} req/s, ${b.errors} errors), nginx ${n.mib.toFixed(0)} MiB/s (${n.requests.toFixed(0)} req/s, ${n.errors} errors)`);
    rounds.push({ berth: b.mib, nginx: n.mib });
  }
  const berthBest = Math.max(...rounds.map((r) => r.berth));
  const nginxBest = Math.max(...rounds.map((r) => r.nginx));
  console.log(`\n${CLIENTS} concurrent 1 MiB Range readers of a ${SIZE / 1024 / 1024} MiB file, ${SECONDS} s each, best of 2:`);
  console.log(`| server | MiB/s |\n|---|---|\n| berth | ${berthBest.toFixed(0)} |\n| nginx (sendfile, worker_processes auto) | ${nginxBest.toFixed(0)} |`);
  console.log(`ratio berth/nginx: ${(berthBest / nginxBest).toFixed(2)} (goal ≥ 0.8)`);
} finally {
  nginx?.kill('SIGTERM');
  await berth.stop();
  rmSync(dir, { recursive: true, force: true });
}

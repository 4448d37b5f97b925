/**
 * berth's main job on its embedded defaults, as a walk-through: start a
 * server on a temporary state dir, define groups and nodes with expressions,
 * and show what berth resolves for them. Every step is the real CLI.
 * `npm run demo -- --keep` leaves the server running and prints how to use it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const berth = join(root, 'bin/berth');
const keep = process.argv.includes('--keep');
const stateDir = mkdtempSync(join(tmpdir(), 'berth-demo-'));
const socket = join(stateDir, 'admin.sock');

console.log(`$ berth serve --state-dir ${stateDir} --listen 127.0.0.1:0 &`);
// Port 0: the demo must not collide with a berth (or anything else) already serving on this host.
const server = spawn(berth, ['serve', '--state-dir', stateDir, '--listen', '127.0.0.1:0', '--boot-http-port', '0', '--tftp-port', '0', '--nbd-port', '0'], {
  env: { ...process.env, BERTH_LOG_FORMAT: 'text', BERTH_CONFIG: '' },
  stdio: ['ignore', 'inherit', 'pipe'],
  detached: keep,
});
let log = '';
server.stderr!.setEncoding('utf8');
await new Promise<void>((ready, fail) => {
  server.stderr!.on('data', (chunk: string) => {
    log += chunk;
    if (!keep) process.stderr.write(chunk);
    if (log.includes('berth serve started')) ready();
  });
  server.once('exit', (code) => fail(new Error(`berth serve exited with ${code}\n${log}`)));
});
await new Promise((r) => setTimeout(r, 100));

function step(args: string[]): void {
  console.log(`\n$ berth ${args.map((a) => (/[\s{}<>|&;()*$]/.test(a) ? `'${a}'` : a)).join(' ')}`);
  const result = spawnSync(berth, args, { encoding: 'utf8', env: { ...process.env, BERTH_SOCKET: socket } });
  process.stdout.write(result.stdout + result.stderr);
  if (result.status !== 0) console.log(`(exit ${result.status})`);
}

step(['group', 'define', 'compute', '--description', 'Compute nodes',
  'net.boot.ipv4_address=10.1.{n1 >> 8}.{n1 & 255}/16', 'net.boot.hostname={node}.boot', 'net.boot.bootable=yes']);
step(['group', 'define', 'rack1', 'location.rack=1', 'location.u={n1 * 2}']);
step(['group', 'set', 'everything', 'dns.servers=10.1.0.1', 'dns.domain=cluster.example', 'ntp.servers=10.1.0.1']);
step(['node', 'define', 'n[01-12]', 'groups=compute,rack1']);
step(['node', 'set', 'n01', 'net.boot.hwaddr=52-54-00-AA-00-01', 'id.serial=J30042X']);
step(['node', 'list']);
step(['node', 'list', 'compute@location.u=~^1', 'net.boot.ipv4_address', 'location.u']);
step(['node', 'show', 'n01', '--provenance']);
step(['node', 'set', 'n[01-03]', 'net.boot.hwaddr=not-a-mac']);
step(['node', 'list', 'n[01-12],-n[04-06]', '--compress']);
step(['attributes', 'net.*']);

if (keep) {
  server.unref();
  console.log(`\nThe server keeps running (pid ${server.pid}). Try:\n  export BERTH_SOCKET=${socket}\n  ${berth} node show 'n[01-03]'\nStop it with: kill ${server.pid}`);
} else {
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  rmSync(stateDir, { recursive: true, force: true });
  console.log('\nserver stopped, state dir removed (run with -- --keep to keep it running)');
  console.log('next, as root: bin/berth lab up --nodes 3   (VMs that network-boot from berth in a private network)');
}

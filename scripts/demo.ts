/**
 * berth's main job on its embedded defaults: build a small Debian 12 image
 * (the tree is cached under .cache/lab-image after the first run), pack it,
 * start berth in a lab network namespace and boot three VMs from it:
 * node1 tethered (root over NBD), node2 untethered (root in RAM), node3
 * installed to its disk (then booted from the disk, PXE off). It prints the
 * deployment table as the nodes come up, then how to SSH into them with
 * nothing but berth's CA line in known_hosts, and keeps the lab up until
 * Ctrl-C (or exits once all are up with --exit-when-booted).
 *
 * Every step is the real CLI against the real server; as root.
 *
 *   npm run demo [-- --exit-when-booted] [-- --memory MiB]
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startBerthLab } from '../src/lab/berth-lab.ts';
import type { VmHandle } from '../src/lab/vm.ts';
import { labImageTree } from '../src/lab/lab-image.ts';
import { run } from '../src/util/run.ts';

const { values } = parseArgs({ options: { 'exit-when-booted': { type: 'boolean', default: false }, memory: { type: 'string', default: '1024' } } });
const berthBin = resolve(import.meta.dirname, '../bin/berth');
const memoryMb = Number(values.memory);
if (process.getuid?.() !== 0) {
  console.error('the demo creates a network namespace and VMs: run it as root (sudo npm run demo)');
  process.exit(1);
}

const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s`;
const say = (text: string) => console.log(`[${elapsed()}] ${text}`);

say('starting berth in a lab namespace (DHCP, TFTP, HTTP boot, NBD, node API)');
const lab = await startBerthLab({ nodes: 3 });
const vms: VmHandle[] = [];
let stopping = false;
const down = async (code: number) => {
  if (stopping) return;
  stopping = true;
  say('stopping the VMs and berth, removing the lab');
  await lab.down();
  process.exit(code);
};
process.on('SIGINT', () => void down(0));
process.on('SIGTERM', () => void down(0));

const env = { ...process.env, ...lab.cliEnv, BERTH_STATE_DIR: lab.stateDir };
const show = (args: string[]) => `$ berth ${args.map((a) => (/[\s{}<>|&;()*$]/.test(a) ? `'${a}'` : a)).join(' ')}`;
const berth = (args: string[], quiet = false): string => {
  if (!quiet) console.log(show(args));
  const r = spawnSync(berthBin, args, { encoding: 'utf8', env, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`berth ${args.join(' ')} failed:\n${r.stderr}`);
  if (!quiet && r.stdout.trim()) console.log(r.stdout.trimEnd());
  return r.stdout;
};

try {
  say('the image: a Debian 12 tree with berth\'s boot code (built once, then cached)');
  await labImageTree(lab.stateDir, 'demo');
  berth(['image', 'pack', 'demo']);
  const key = join(lab.lab.dir, 'admin-key');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'berth-demo', '-f', key]);
  berth(['group', 'set', 'lab', `ssh.admin_keys=${readFileSync(`${key}.pub`, 'utf8').trim()}`]);
  const knownHosts = join(lab.lab.dir, 'known_hosts');
  writeFileSync(knownHosts, berth(['ssh', 'known-hosts']));
  for (const method of ['tethered', 'untethered', 'installtodisk']) {
    berth(['profile', 'define', method, '--image', 'demo@1', '--boot-method', method, '--kernel-args', 'console=ttyS0']);
  }
  berth(['deploy', 'node1', 'tethered', '--no-wait']);
  berth(['deploy', 'node2', 'untethered', '--no-wait']);
  berth(['deploy', 'node3', 'installtodisk', '--no-wait']);

  say('powering on node1, node2 and node3 (QEMU, network boot)');
  const disk = join(lab.lab.dir, 'node3.disk.raw');
  await run('truncate', ['-s', '4G', disk]);
  vms.push(await lab.lab.bootVm(0, { firmware: 'bios', memoryMb }));
  vms.push(await lab.lab.bootVm(1, { firmware: 'bios', memoryMb }));
  const installer = await lab.lab.bootVm(2, { firmware: 'bios', memoryMb, disk });
  // The installer reboots when done; QEMU runs with -no-reboot, so it ends, and node3 is powered on again from its disk.
  void installer.exited.then(async () => {
    if (stopping) return;
    say('node3 installed and rebooting: powering it on from its disk, PXE off');
    vms.push(await lab.lab.bootVm(2, { firmware: 'bios', memoryMb, disk, bootFrom: 'disk' }));
  });

  let last = '';
  for (;;) {
    const table = berth(['deploy', 'status', 'node[1-3]'], true);
    if (table !== last) {
      say('deployment status:');
      console.log(table.trimEnd());
      last = table;
    }
    const nodes = JSON.parse(berth(['deploy', 'status', 'node[1-3]', '--json'], true)) as { node: string; state: string; last: { step: string } | null }[];
    if (nodes.some((n) => n.state === 'failed')) throw new Error(`a node failed; see: berth node timeline <node>\n${table}`);
    // An installed system that is up reports `booted` and stays `installed`.
    if (nodes.every((n) => n.state === 'booted' || (n.state === 'installed' && n.last?.step === 'booted'))) break;
    await new Promise((r) => setTimeout(r, 3000));
  }
  say('all three nodes are up');
  console.log(`
Each node's SSH host keys were made at boot and signed by berth's SSH CA; known_hosts holds only the CA line.
  ip netns exec ${lab.lab.name} ssh -i ${key} -o UserKnownHostsFile=${knownHosts} root@10.99.0.11   # node1, tethered
  ip netns exec ${lab.lab.name} ssh -i ${key} -o UserKnownHostsFile=${knownHosts} root@10.99.0.12   # node2, untethered
  ip netns exec ${lab.lab.name} ssh -i ${key} -o UserKnownHostsFile=${knownHosts} root@10.99.0.13   # node3, on its disk
berth itself: BERTH_SOCKET=${lab.socket} ${berthBin} node timeline node1
`);
  if (values['exit-when-booted']) await down(0);
  else say('the lab stays up until Ctrl-C');
} catch (e) {
  console.error(`demo failed: ${(e as Error).message}`);
  await down(1);
}

/**
 * Boot times of a berth image deployed three ways, against the same image
 * booted from a local virtio disk, in one run on one lab (TCG), one VM at a
 * time so that the VMs do not share the two cores:
 *
 *   1. install-to-disk: power-on → install → reboot from the disk → login
 *      (the install's own time is shown apart);
 *   2. local disk (the reference): the installed disk booted again, PXE off;
 *   3. tethered: root over NBD from this berth server (no peers, so the
 *      bytes and requests it served are all the node read);
 *   4. untethered: the whole image in compressed RAM.
 *
 * "Login" is the serial console's `login:` prompt. For each boot: seconds
 * from VM start, the ratio to the reference, and RAM in use at login
 * (MemTotal - MemAvailable, over ssh); for tethered also the bytes fetched
 * over NBD by login as a share of the image, and the NBD read requests (each
 * a round trip; the kernel keeps several in flight).
 * Goals: tethered ≤ 1.3× the reference while fetching ≤ 15 % of the image;
 * untethered ≤ 1.6×.
 *
 *   node bench/deploy-boot.ts [--memory MiB] [--level N]     (as root; ~15 min)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startBerthLab } from '../src/lab/berth-lab.ts';
import type { BerthLab } from '../src/lab/berth-lab.ts';
import type { BootVmOverrides } from '../src/lab/lab.ts';
import type { VmHandle } from '../src/lab/vm.ts';
import { run } from '../src/util/run.ts';
import { BERTH } from '../test/helpers/daemon.ts';
import { labImageTree } from '../src/lab/lab-image.ts';

const { values } = parseArgs({ options: { memory: { type: 'string', default: '1024' }, level: { type: 'string', default: '6' } } });
const memoryMb = Number(values.memory);
const MiB = 2 ** 20;

interface Figure {
  how: string;
  loginSeconds: number;
  ramMiB: number;
  note?: string;
}

const lab: BerthLab = await startBerthLab({ nodes: 3 });
const env = { ...process.env, ...lab.cliEnv, BERTH_STATE_DIR: lab.stateDir };
const berth = (args: string[]): string => {
  const r = spawnSync(BERTH, args, { encoding: 'utf8', env, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`berth ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const ipOf = (index: number) => `10.99.0.${index + 11}`;
const ssh = (index: number, command: string) =>
  spawnSync('ip', ['netns', 'exec', lab.lab.name, 'ssh', '-i', join(lab.lab.dir, 'admin-key'), '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${join(lab.lab.dir, 'known_hosts')}`, '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=20', `root@${ipOf(index)}`, command], { encoding: 'utf8', timeout: 120_000 });

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 20 * 60_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Seconds from the VM's start to the console's login prompt. */
async function toLogin(vm: VmHandle): Promise<number> {
  // QEMU creates the console file a moment after the VM's process starts.
  const output = () => (existsSync(vm.consoleLog) ? readFileSync(vm.consoleLog, 'utf8') : '');
  const at = await until('the login prompt', () => (/ login: /.test(output()) ? Date.now() : undefined));
  return (at - vm.startedAt) / 1000;
}

async function ramInUse(index: number): Promise<number> {
  // sshd may start a moment after the console's prompt.
  const out = await until('ssh', () => {
    const r = ssh(index, "awk '/MemTotal/{t=$2}/MemAvailable/{a=$2}END{print (t-a)/1024}' /proc/meminfo");
    return r.status === 0 ? r.stdout : undefined;
  }, 3 * 60_000, 2000);
  return Number(out.trim());
}

async function boot(index: number, overrides: BootVmOverrides = {}): Promise<VmHandle> {
  // A console log left by the node's previous boot already holds a login prompt.
  rmSync(join(lab.lab.dir, `node${index + 1}.console.log`), { force: true });
  return lab.lab.bootVm(index, { firmware: 'bios', memoryMb, ...overrides });
}

/** Where a network boot spends its time: the first time each step reached the node's timeline, in seconds from power-on. */
function phases(node: string, vm: VmHandle): string {
  const events = JSON.parse(berth(['node', 'timeline', node, '--json'])).events as { time: string; source: string; step: string }[];
  const seen = new Map<string, number>();
  for (const e of events) {
    const at = (Date.parse(e.time) - vm.startedAt) / 1000;
    const key = `${e.source}:${e.step}`;
    if (at >= 0 && !seen.has(key)) seen.set(key, at);
  }
  return [...seen].map(([step, at]) => `${step} ${at.toFixed(1)}`).join(', ');
}

const figures: Figure[] = [];
try {
  const started = Date.now();
  await labImageTree(lab.stateDir, 'bench');
  berth(['image', 'pack', 'bench', '--level', values.level!]);
  const artifactBytes = JSON.parse(berth(['image', 'show', 'bench@1', '--json'])).artifact.bytes as number;
  console.log(`image bench@1: ${(artifactBytes / MiB).toFixed(0)} MiB artifact (zstd level ${values.level}), ready in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(lab.lab.dir, 'admin-key')]);
  berth(['group', 'set', 'lab', `ssh.admin_keys=${readFileSync(join(lab.lab.dir, 'admin-key.pub'), 'utf8').trim()}`]);
  writeFileSync(join(lab.lab.dir, 'known_hosts'), berth(['ssh', 'known-hosts']));
  for (const method of ['tethered', 'untethered', 'installtodisk']) {
    berth(['profile', 'define', method, '--image', 'bench@1', '--boot-method', method, '--kernel-args', 'console=ttyS0']);
  }

  // 1 and 2: install-to-disk on node3, then its disk is the reference.
  const disk = join(lab.lab.dir, 'node3.disk.raw');
  await run('truncate', ['-s', '4G', disk]);
  berth(['deploy', 'node3', 'installtodisk', '--no-wait']);
  const installer = await boot(2, { disk });
  const installExit = await installer.exited;
  const installSeconds = (Date.now() - installer.startedAt) / 1000;
  const state = JSON.parse(berth(['deploy', 'status', 'node3', '--json']))[0].state;
  if (state !== 'installed') throw new Error(`the install ended (${installExit.code ?? installExit.signal}) with state ${state}, not installed`);
  const firstDiskBoot = await boot(2, { disk, bootFrom: 'disk' });
  const firstLogin = await toLogin(firstDiskBoot);
  figures.push({ how: 'install-to-disk', loginSeconds: installSeconds + firstLogin, ramMiB: await ramInUse(2), note: `install ${installSeconds.toFixed(0)} s + first disk boot ${firstLogin.toFixed(0)} s` });
  await firstDiskBoot.stop();
  const reference = await boot(2, { disk, bootFrom: 'disk' });
  figures.push({ how: 'local virtio disk (reference)', loginSeconds: await toLogin(reference), ramMiB: await ramInUse(2) });
  await reference.stop();

  // 3: tethered on node1.
  berth(['deploy', 'node1', 'tethered', '--no-wait']);
  const tethered = await boot(0);
  const tetheredLogin = await toLogin(tethered);
  const tetheredPhases = phases('node1', tethered);
  const clients = (JSON.parse(berth(['boot', 'status', '--json'])).nbd.clients as { node: string | null; bytes: number; requests: number }[]).filter((c) => c.node === 'node1');
  const fetched = clients.reduce((a, c) => a + c.bytes, 0);
  const requests = clients.reduce((a, c) => a + c.requests, 0);
  figures.push({
    how: 'tethered (NBD)',
    loginSeconds: tetheredLogin,
    ramMiB: await ramInUse(0),
    note: `fetched ${(fetched / MiB).toFixed(1)} MiB = ${((100 * fetched) / artifactBytes).toFixed(1)} % of the image in ${requests} NBD requests`,
  });
  await tethered.stop();

  // 4: untethered on node2.
  berth(['deploy', 'node2', 'untethered', '--no-wait']);
  const untethered = await boot(1);
  figures.push({ how: 'untethered (RAM)', loginSeconds: await toLogin(untethered), ramMiB: await ramInUse(1), note: `${(artifactBytes / MiB).toFixed(0)} MiB downloaded` });
  const untetheredPhases = phases('node2', untethered);
  await untethered.stop();

  const ref = figures.find((f) => f.how.startsWith('local'))!.loginSeconds;
  console.log(`\nboot to login, one VM at a time, ${memoryMb} MiB RAM, TCG, BIOS:`);
  console.log(`${'how'.padEnd(32)}${'login s'.padStart(9)}${'× ref'.padStart(8)}${'RAM MiB'.padStart(9)}  notes`);
  for (const f of figures) {
    console.log(`${f.how.padEnd(32)}${f.loginSeconds.toFixed(1).padStart(9)}${(f.loginSeconds / ref).toFixed(2).padStart(8)}${f.ramMiB.toFixed(0).padStart(9)}  ${f.note ?? ''}`);
  }
  console.log('goals: tethered ≤ 1.30× and ≤ 15 % fetched; untethered ≤ 1.60×');
  console.log(`\ntethered, first time of each step (s from power-on): ${tetheredPhases}`);
  console.log(`\nuntethered, first time of each step (s from power-on): ${untetheredPhases}`);
} finally {
  await lab.down();
}

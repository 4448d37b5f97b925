/**
 * One QEMU virtual machine on the lab network: network boot (and, given a
 * disk file, the disk after it, or the disk alone with PXE off), serial
 * console written to a file, a known MAC and SMBIOS UUID, so it looks to berth
 * like a bare-metal node that was just racked.
 *
 * KVM is not available where berth's tests run, so the default is TCG (pure
 * emulation). Measured on a 2-core Debian 12 host (QEMU 7.2, SeaBIOS 1.16,
 * OVMF 2022.11, Debian kernel 6.1): see README.md in this folder.
 *
 * Firmware:
 * - 'bios': SeaBIOS runs the iPXE PXE ROM QEMU ships for virtio-net (ipxe-qemu).
 * - 'uefi': OVMF, code read-only from the ovmf package and a private copy of
 *   the variable store per VM (UEFI writes boot entries into it; sharing one
 *   between VMs, or writing the package's template, would corrupt both).
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, copyFileSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BerthError } from '../errors.ts';
import type { Logger } from '../util/logger.ts';
import { nullLogger } from '../util/logger.ts';
import type { LabNamespace } from './namespace.ts';

export type Firmware = 'bios' | 'uefi';

/** Debian 12's ovmf: the 4 MiB build, whose code and variable files must be used as a pair. */
export const ovmfFiles = {
  code: '/usr/share/OVMF/OVMF_CODE_4M.fd',
  varsTemplate: '/usr/share/OVMF/OVMF_VARS_4M.fd',
};

export interface VmOptions {
  /** Names the VM's files (console log, variables) and its process in logs. */
  name: string;
  mac: string;
  firmware: Firmware;
  /** SMBIOS system UUID (type 1); random when not given. */
  uuid?: string;
  /** Default 384. The Debian kernel and a small initramfs boot in 256. */
  memoryMb?: number;
  /** Serial console (ttyS0) output goes here; the file is truncated at start. */
  consoleLog: string;
  namespace: LabNamespace;
  /** Tap device in the namespace; a new one is added to the bridge when not given. */
  tap?: string;
  /** Default 'tcg'; 'kvm' where /dev/kvm works. */
  accel?: 'tcg' | 'kvm';
  /** A TPM 2.0 emulator (swtpm) listening on this unix socket, attached as a TIS device. */
  tpm?: { socket: string };
  /** UEFI only: this VM's copy of the variable store; default `<name>.efivars.fd` beside the console log. */
  varsFile?: string;
  /** Appended to QEMU's command line as they are (extra devices, debugging). */
  extraArgs?: string[];
  /**
   * 'ipxe' (default): the NIC's option ROM, which in QEMU is iPXE itself, for
   * BIOS and UEFI alike. 'firmware': no option ROM, so OVMF's own UEFI PXE
   * (EDK II) boots, as on most real servers: it fetches a loader over TFTP
   * first. SeaBIOS has no network stack of its own.
   */
  nicRom?: 'ipxe' | 'firmware';
  /**
   * A disk image file (raw, or qcow2 by its `.qcow2` name) attached as a
   * virtio-blk disk with serial `berth-disk0` (/dev/disk/by-id/virtio-berth-disk0).
   * It stays after the VM: the next boot of the node finds what was installed.
   */
  disk?: string;
  /**
   * 'network' (default): the NIC first, then the disk, as a node whose
   * firmware tries PXE first (berth's "boot local disk" script exits iPXE
   * and the firmware goes on to the disk). 'disk': PXE disabled, the disk
   * only: no option ROM and no boot index on the NIC, and OVMF's own PXE off.
   */
  bootFrom?: 'network' | 'disk';
  /**
   * Boot this kernel directly (QEMU -kernel) instead of from the network: the
   * reference against which network boots are timed in the same run.
   */
  directBoot?: DirectBoot;
  logger?: Logger;
}

export interface DirectBoot {
  kernel: string;
  initrd: string;
  append: string;
}

export interface VmExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface VmHandle {
  readonly name: string;
  readonly pid: number;
  readonly mac: string;
  readonly uuid: string;
  readonly firmware: Firmware;
  readonly consoleLog: string;
  /** QEMU's own stderr (its errors, not the guest's). */
  readonly qemuLog: string;
  /** Date.now() when QEMU was started: "power on". */
  readonly startedAt: number;
  /** Settles when QEMU ends: the guest powered off, crashed (with -no-reboot, a reset ends it too) or was stopped. */
  readonly exited: Promise<VmExit>;
  /** Resolves with the first match of `pattern` in the console; rejects on timeout or if the VM ends first. */
  waitForConsole(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  consoleText(): Promise<string>;
  /** SIGTERM (QEMU shuts the VM off at once), then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<VmExit>;
}

/** Everything `qemuArgs` needs, all decided: a plain description of one VM. */
export interface VmPlan {
  name: string;
  mac: string;
  uuid: string;
  firmware: Firmware;
  memoryMb: number;
  consoleLog: string;
  tap: string;
  accel: 'tcg' | 'kvm';
  varsFile?: string;
  tpm?: { socket: string };
  extraArgs?: string[];
  directBoot?: DirectBoot;
  nicRom?: 'ipxe' | 'firmware';
  disk?: string;
  bootFrom?: 'network' | 'disk';
}

const macPattern = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** QEMU's command line for `plan`. Pure, so the command line can be tested without booting. */
export function qemuArgs(plan: VmPlan): string[] {
  const fromDisk = plan.bootFrom === 'disk';
  if (fromDisk && plan.disk === undefined) throw new BerthError('BERTH_BAD_INPUT', `VM ${plan.name} is to boot from its disk but has none; give it one (disk: <file>)`);
  const args = [
    '-name', plan.name,
    '-machine', 'q35',
    '-accel', plan.accel,
    '-smp', '1',
    '-m', String(plan.memoryMb),
    // Nothing QEMU would add by itself (VGA, monitor, default NIC, CD-ROM):
    // the VM has exactly the devices listed here. -nographic (rather than
    // -display none) also makes SeaBIOS copy its own and iPXE's screen to the
    // serial port, so BIOS boots are readable in the console log too.
    '-nodefaults', '-no-user-config', '-nographic',
    '-chardev', `file,id=console,path=${qemuOptionValue(plan.consoleLog)}`,
    '-serial', 'chardev:console',
    '-smbios', `type=1,uuid=${plan.uuid}`,
    '-netdev', `tap,id=net0,ifname=${plan.tap},script=no,downscript=no`,
    // bootindex puts the NIC first for both SeaBIOS and OVMF (via fw_cfg "bootorder");
    // booting from disk, the NIC has neither a boot index nor an option ROM: PXE is off.
    '-device',
    fromDisk
      ? `virtio-net-pci,netdev=net0,mac=${plan.mac},romfile=`
      : `virtio-net-pci,netdev=net0,mac=${plan.mac},bootindex=1${plan.nicRom === 'firmware' ? ',romfile=' : ''}`,
    // A reboot or triple fault ends QEMU instead of looping through PXE again,
    // so a guest that panics (panic=N on its command line) is seen to end.
    '-no-reboot',
    '-rtc', 'base=utc',
  ];
  if (plan.disk !== undefined) {
    const format = plan.disk.endsWith('.qcow2') ? 'qcow2' : 'raw';
    args.push(
      '-drive', `if=none,id=disk0,format=${format},file=${qemuOptionValue(plan.disk)}`,
      '-device', `virtio-blk-pci,drive=disk0,serial=berth-disk0,bootindex=${fromDisk ? 1 : 2}`,
    );
  }
  if (plan.directBoot) {
    args.push('-kernel', plan.directBoot.kernel, '-initrd', plan.directBoot.initrd, '-append', plan.directBoot.append);
  }
  if (plan.firmware === 'bios') {
    if (!plan.directBoot && !fromDisk) args.push('-boot', 'order=n');
  } else {
    if (plan.varsFile === undefined) throw new BerthError('BERTH_INTERNAL', `UEFI VM ${plan.name} has no variable store file`);
    args.push(
      '-drive', `if=pflash,format=raw,unit=0,readonly=on,file=${qemuOptionValue(ovmfFiles.code)}`,
      '-drive', `if=pflash,format=raw,unit=1,file=${qemuOptionValue(plan.varsFile)}`,
    );
    // OVMF has a network stack of its own, option ROM or not.
    if (fromDisk) args.push('-fw_cfg', 'name=opt/org.tianocore/IPv4PXESupport,string=n', '-fw_cfg', 'name=opt/org.tianocore/IPv6PXESupport,string=n');
  }
  if (plan.tpm) {
    args.push(
      '-chardev', `socket,id=tpm,path=${qemuOptionValue(plan.tpm.socket)}`,
      '-tpmdev', 'emulator,id=tpm0,chardev=tpm',
      '-device', 'tpm-tis,tpmdev=tpm0',
    );
  }
  args.push(...(plan.extraArgs ?? []));
  return args;
}

/** In QEMU's `key=value,...` options a comma inside a value is written twice. */
function qemuOptionValue(value: string): string {
  return value.replaceAll(',', ',,');
}

export async function startVm(options: VmOptions): Promise<VmHandle> {
  const logger = (options.logger ?? nullLogger()).child({ vm: options.name });
  const mac = options.mac.toLowerCase();
  if (!macPattern.test(mac)) {
    throw new BerthError('BERTH_BAD_INPUT', `VM ${options.name}: MAC ${JSON.stringify(options.mac)} is not six colon-separated hex bytes`, {
      node: options.name,
      attribute: 'mac',
    });
  }
  const uuid = (options.uuid ?? randomUUID()).toLowerCase();
  if (!uuidPattern.test(uuid)) {
    throw new BerthError('BERTH_BAD_INPUT', `VM ${options.name}: SMBIOS UUID ${JSON.stringify(options.uuid)} is not a UUID`, {
      node: options.name,
      attribute: 'uuid',
    });
  }
  const memoryMb = options.memoryMb ?? 384;
  if (!Number.isInteger(memoryMb) || memoryMb < 128 || memoryMb > 16384) {
    throw new BerthError('BERTH_BAD_INPUT', `VM ${options.name}: memory ${memoryMb} MiB is outside 128..16384`, { node: options.name, attribute: 'memoryMb' });
  }
  const dir = dirname(options.consoleLog);
  const tap = options.tap ?? (await options.namespace.addTap());
  const plan: VmPlan = { name: options.name, mac, uuid, firmware: options.firmware, memoryMb, consoleLog: options.consoleLog, tap, accel: options.accel ?? 'tcg' };
  if (options.firmware === 'uefi') {
    plan.varsFile = options.varsFile ?? join(dir, `${options.name}.efivars.fd`);
    copyFileSync(ovmfFiles.varsTemplate, plan.varsFile);
  }
  if (options.tpm) plan.tpm = options.tpm;
  if (options.extraArgs) plan.extraArgs = options.extraArgs;
  if (options.directBoot) plan.directBoot = options.directBoot;
  if (options.nicRom) plan.nicRom = options.nicRom;
  if (options.disk !== undefined) plan.disk = options.disk;
  if (options.bootFrom) plan.bootFrom = options.bootFrom;

  const qemuLog = join(dir, `${options.name}.qemu.log`);
  const args = qemuArgs(plan);
  const stderrFd = openSync(qemuLog, 'w');
  let child: ChildProcess;
  try {
    child = options.namespace.spawn('qemu-system-x86_64', args, { label: `vm ${options.name}`, stdio: ['ignore', stderrFd, stderrFd] });
  } finally {
    closeSync(stderrFd); // the child has its own copy
  }
  const startedAt = Date.now();
  const exited = new Promise<VmExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: null, signal: null }));
  });
  let ended: VmExit | undefined;
  void exited.then((e) => {
    ended = e;
    logger.debug('VM ended', { ...e });
  });
  if (child.pid === undefined) {
    await exited;
    throw new BerthError('BERTH_SUBPROCESS', `VM ${options.name}: could not start qemu-system-x86_64 in namespace ${options.namespace.name}`, { node: options.name });
  }
  const pid = child.pid;
  logger.info('VM started', { pid, mac, uuid, firmware: options.firmware, namespace: options.namespace.name, tap });

  const consoleText = async () => (await readFile(options.consoleLog, 'utf8').catch(() => ''));
  const tail = async (file: string) => (await readFile(file, 'utf8').catch(() => '')).trimEnd().split('\n').slice(-15).join('\n');

  return {
    name: options.name,
    pid,
    mac,
    uuid,
    firmware: options.firmware,
    consoleLog: options.consoleLog,
    qemuLog,
    startedAt,
    exited,
    consoleText,
    async waitForConsole(pattern, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const endedBefore = ended; // read before the text: a last line written while exiting is still seen
        const match = pattern.exec(await consoleText());
        if (match) return match;
        if (endedBefore !== undefined || Date.now() >= deadline) {
          const why = endedBefore
            ? `the VM ended (${endedBefore.signal ?? `exit code ${endedBefore.code}`})`
            : `it did not appear within ${timeoutMs} ms`;
          throw new BerthError(
            'BERTH_SUBPROCESS',
            `VM ${options.name}: waited for ${pattern} on the serial console, but ${why}.\n` +
              `console (${options.consoleLog}), last lines:\n${indent(await tail(options.consoleLog))}\n` +
              `qemu (${qemuLog}):\n${indent(await tail(qemuLog))}`,
            { node: options.name, file: options.consoleLog },
          );
        }
        await sleep(250);
      }
    },
    async stop(graceMs = 5000) {
      if (ended) return ended;
      // Through the ChildProcess, which knows whether *our* QEMU is still
      // there: a bare PID could by now belong to something else.
      child.kill('SIGTERM');
      const result = await Promise.race([exited, sleep(graceMs).then(() => undefined)]);
      if (result) return result;
      child.kill('SIGKILL');
      return exited;
    },
  };
}

function indent(text: string): string {
  return text.replace(/^/gm, '  ');
}

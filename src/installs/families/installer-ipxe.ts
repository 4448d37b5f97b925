/**
 * The iPXE script that starts a distribution's installer, shared by the
 * families. One script serves BIOS (iPXE's pcbios build) and UEFI
 * (snponly.efi): `kernel --name` with `initrd=<name>` in the arguments is
 * what old iPXE builds on UEFI need to hand initrds to the kernel, and is
 * harmless on BIOS. On failure it asks berth again (the same URL iPXE came
 * from), so an administrator can fix the media and the node carries on.
 *
 * Every value is one word made safe by util/ipxe-text.ts, the one iPXE
 * escaper (the boot scripts use it too): `;` may stay inside a word, so
 * Ubuntu's `ds=nocloud-net;s=http://...` reaches the kernel intact, while
 * `$`, `#`, blanks, quotes, `|`, `&` and newlines never get through.
 */
import { ipxeText, ipxeWord, ipxeWords } from '../../util/ipxe-text.ts';
import type { Firmware, InstallUrls } from '../install-family.ts';

/** The families' names for the escaper's: one word; a profile's kernel arguments as words. */
export { ipxeWord, ipxeWords as argumentWords };

/** Where iPXE asks again after a failure: the same install script for the same firmware. */
export function retryUrl(urls: InstallUrls, firmware: Firmware): string {
  return `${urls.callback}/ipxe/${firmware === 'uefi' ? 'efi' : 'pcbios'}`;
}

/** `BOOTIF=01-aa-bb-...`: the pxelinux convention dracut, initramfs-tools, d-i's netcfg and linuxrc read to pick the boot NIC. */
export function bootif(mac: string): string {
  return mac ? `BOOTIF=01-${mac.toLowerCase().replace(/:/g, '-')}` : '';
}

export interface InstallerBoot {
  node: string;
  /** For the echo line and the comment: what is being installed. */
  what: string;
  firmware: Firmware;
  kernel: { name: string; url: string };
  initrds: { name: string; url: string }[];
  /** Kernel arguments in order, each one word (made safe here). */
  args: string[];
  retry: string;
  /** Lines printed before booting (explanations, not commands). */
  notes?: string[];
}

export function installerScript(boot: InstallerBoot): string {
  const initrdArgs = boot.initrds.map((i) => `initrd=${ipxeWord(i.name)}`);
  const words = [...initrdArgs, ...boot.args.filter((a) => a !== '').map(ipxeWord)];
  return [
    '#!ipxe',
    `# berth: ${ipxeWord(boot.node)} installs ${ipxeWord(boot.what)} (${boot.firmware})`,
    `echo berth: ${ipxeWord(boot.node)} installs ${ipxeWord(boot.what)}`,
    ...(boot.notes ?? []).map((n) => `echo berth: ${ipxeText(n)}`),
    [`kernel --name ${ipxeWord(boot.kernel.name)} ${ipxeWord(boot.kernel.url)}`, ...words].join(' '),
    ...boot.initrds.map((i) => `initrd --name ${ipxeWord(i.name)} ${ipxeWord(i.url)}`),
    'boot || goto failed',
    ':failed',
    'echo berth: the installer did not start, asking berth again in 10 seconds',
    'sleep 10',
    `chain --replace --autofree ${ipxeWord(boot.retry)}`,
    '',
  ].join('\n');
}

/** A file name for `--name`: the last path segment of a media path. */
export function baseName(path: string): string {
  return path.split('/').filter((p) => p !== '').at(-1) ?? path;
}

/** The URL of a file inside the media tree. */
export function mediaUrl(urls: InstallUrls, path: string): string {
  return `${urls.media}/${path.replace(/^\/+/, '')}`;
}

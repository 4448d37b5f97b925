/**
 * The iPXE scripts berth hands out. iPXE asks for its script by MAC (the URL
 * comes from DHCP), so each machine gets one answer: boot its pending
 * profile, boot its local disk, or, if berth does not know it, wait in a
 * loop until an administrator (or a policy) assigns it, then boot as that
 * node without a power cycle.
 */

export interface BootFile {
  url: string;
  /** Name the kernel sees: old iPXE on UEFI passes initrds by name (`initrd=<name>`). */
  name: string;
}

/**
 * Values are interpolated into iPXE syntax; anything beyond this set could
 * inject commands (`$`, `;`, `#`, quotes, newlines) and is replaced by `_`.
 */
const UNSAFE = /[^A-Za-z0-9 _.,:/=@+%{}()?[\]-]/g;

function safe(text: string): string {
  return text.replace(UNSAFE, '_');
}

/** Index of the first character a script would replace, or -1: profiles refuse kernel arguments that would not arrive intact. */
export function firstUnsafeCharacter(text: string): number {
  return text.search(UNSAFE);
}

export function bootScript(args: { node: string; profile: string; kernel: BootFile; initrds: BootFile[]; kernelArgs: string; retryUrl: string; mac?: string }): string {
  const initrdArgs = args.initrds.map((i) => `initrd=${safe(i.name)}`).join(' ');
  // BOOTIF (the pxelinux convention) tells the initramfs which NIC the node booted from.
  const bootif = args.mac ? ` BOOTIF=01-${safe(args.mac).replace(/:/g, '-')}` : '';
  return [
    '#!ipxe',
    `# berth: ${safe(args.node)} boots profile ${safe(args.profile)}`,
    `echo berth: booting ${safe(args.node)} with profile ${safe(args.profile)}`,
    `kernel --name ${safe(args.kernel.name)} ${safe(args.kernel.url)} ${initrdArgs} ${safe(args.kernelArgs)}${bootif}`.replace(/ +$/, '').replace(/ {2,}/g, ' '),
    ...args.initrds.map((i) => `initrd --name ${safe(i.name)} ${safe(i.url)}`),
    'boot || goto failed',
    ':failed',
    'echo berth: boot failed, asking again in 10 seconds',
    'sleep 10',
    `chain --replace --autofree ${safe(args.retryUrl)}`,
    '',
  ].join('\n');
}

export function localBootScript(node: string, reason: string): string {
  return ['#!ipxe', `echo berth: ${safe(node)}: ${safe(reason)}; booting from local disk`, 'exit', ''].join('\n');
}

export function discoveryScript(mac: string, retryUrl: string): string {
  return [
    '#!ipxe',
    `echo berth: this machine (${safe(mac)}) is not in the inventory; it is recorded for discovery.`,
    `echo berth: assign it with: berth discover assign ${safe(mac)} NODE`,
    ':wait',
    'sleep 10',
    `chain --replace --autofree ${safe(retryUrl)} || goto wait`,
    '',
  ].join('\n');
}

/**
 * A scripted install: the installer's script depends on the firmware (iPXE's
 * `${platform}`: pcbios or efi), which only iPXE knows, so it asks again with
 * it in the URL. `base` ends with `/ipxe/` and carries the deployment token.
 */
export function installChainScript(node: string, profile: string, base: string): string {
  return [
    '#!ipxe',
    `echo berth: ${safe(node)} installs with profile ${safe(profile)}`,
    ':again',
    `chain --replace --autofree ${safe(base)}\${platform} || goto failed`,
    ':failed',
    'echo berth: could not fetch the installer script, asking again in 10 seconds',
    'sleep 10',
    'goto again',
    '',
  ].join('\n');
}

/**
 * A scripted install asked for from an address that is not the node's own:
 * the install's token is not handed out. The node asks again, so one that
 * gets its address (a lease, `net.<if>.ipv4_address`) goes on installing.
 */
export function installRefusedScript(node: string, retryUrl: string): string {
  return [
    '#!ipxe',
    `echo berth: ${safe(node)} installs only when it asks from its own address (its DHCP lease or a net.IF.ipv4_address), and this request did not.`,
    'echo berth: the refusal is in its timeline on the berth server (berth node timeline). Asking again in 30 seconds.',
    'sleep 30',
    `chain --replace --autofree ${safe(retryUrl)} || exit`,
    '',
  ].join('\n');
}

/**
 * The iPXE scripts berth hands out. iPXE asks for its script by MAC (the URL
 * comes from DHCP), so each machine gets one answer: boot its pending
 * profile, boot its local disk, or, if berth does not know it, wait in a
 * loop until an administrator (or a policy) assigns it, then boot as that
 * node without a power cycle.
 *
 * Every value goes through util/ipxe-text.ts, the one escaper for iPXE
 * script text (its comment cites what iPXE's parser does): a URL, a name or
 * one argument as one word (`ipxeWord`), free text as words (`ipxeText`).
 */
import { ipxeText, ipxeWord } from '../../util/ipxe-text.ts';
import { DEFAULT_DISCOVERY_INTERFACE } from '../discovery/discovery.ts';

export interface BootFile {
  url: string;
  /** Name the kernel sees: old iPXE on UEFI passes initrds by name (`initrd=<name>`). */
  name: string;
}

export function bootScript(args: { node: string; profile: string; kernel: BootFile; initrds: BootFile[]; kernelArgs: string; retryUrl: string; mac?: string }): string {
  const initrdArgs = args.initrds.map((i) => `initrd=${ipxeWord(i.name)}`);
  // BOOTIF (the pxelinux convention) tells the initramfs which NIC the node booted from.
  const bootif = args.mac ? [`BOOTIF=01-${ipxeWord(args.mac).replace(/:/g, '-')}`] : [];
  const kernelLine = ['kernel', '--name', ipxeWord(args.kernel.name), ipxeWord(args.kernel.url), ...initrdArgs, ipxeText(args.kernelArgs), ...bootif];
  return [
    '#!ipxe',
    `# berth: ${ipxeWord(args.node)} boots profile ${ipxeWord(args.profile)}`,
    `echo berth: booting ${ipxeWord(args.node)} with profile ${ipxeWord(args.profile)}`,
    kernelLine.filter((word) => word !== '').join(' '),
    ...args.initrds.map((i) => `initrd --name ${ipxeWord(i.name)} ${ipxeWord(i.url)}`),
    'boot || goto failed',
    ':failed',
    'echo berth: boot failed, asking again in 10 seconds',
    'sleep 10',
    `chain --replace --autofree ${ipxeWord(args.retryUrl)}`,
    '',
  ].join('\n');
}

export function localBootScript(node: string, reason: string): string {
  return ['#!ipxe', `echo berth: ${ipxeWord(node)}: ${ipxeText(`${reason}; booting from local disk`)}`, 'exit', ''].join('\n');
}

/**
 * For a machine no node has (`machine` is the MAC or SMBIOS UUID it asked
 * with). This request records nothing: berth's DHCP server records unknown
 * machines it sees (`berth discover list`), and a machine whose DHCP came
 * from elsewhere is not in that list, so the script says what is true for
 * both, and how to make the machine a node either way.
 */
export function discoveryScript(machine: string, retryUrl: string): string {
  const id = ipxeWord(machine);
  const attribute = /^[0-9a-f]{8}-[0-9a-f]{4}-/i.test(machine) ? 'id.uuid' : `net.${DEFAULT_DISCOVERY_INTERFACE}.hwaddr`;
  return [
    '#!ipxe',
    `echo berth: this machine (${id}) is not in the inventory; asking again every 10 seconds.`,
    `echo berth: make it a node with: berth node set NODE ${attribute}=${id}`,
    `echo berth: or, if berth discover list shows it (the berth DHCP server saw it), berth discover assign ${id} NODE`,
    ':wait',
    'sleep 10',
    `chain --replace --autofree ${ipxeWord(retryUrl)} || goto wait`,
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
    `echo berth: ${ipxeWord(node)} installs with profile ${ipxeWord(profile)}`,
    ':again',
    `chain --replace --autofree ${ipxeWord(base)}\${platform} || goto failed`,
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
    `echo berth: ${ipxeWord(node)} installs only when it asks from its own address (its DHCP lease or a net.IF.ipv4_address), and this request did not.`,
    'echo berth: the refusal is in its timeline on the berth server (berth node timeline). Asking again in 30 seconds.',
    'sleep 30',
    `chain --replace --autofree ${ipxeWord(retryUrl)} || exit`,
    '',
  ].join('\n');
}

/**
 * The values an answer file is rendered with (the template variables), built
 * from one node's resolved attributes. Families and templates never read the
 * inventory themselves: everything they may use is here, named for what it
 * is in an installer, with berth's defaults applied.
 *
 * Interfaces: `<if>` in `net.<if>.*` is an administrator's name (boot, mgmt,
 * ib0), so the attribute names cannot be listed from the schema. The caller
 * passes the node's interface names (`extras.interfaces`: those with a
 * net.<if>.hwaddr; install-service.ts reads them from the resolved node) and
 * a `lookup` for single attributes. The install interface is the one whose
 * hwaddr is the MAC the node booted from (`extras.bootMac`), else the first
 * listed with a hwaddr.
 *
 * Every family installs over DHCP (berth's DHCP server answers the node's
 * MAC), so no address is required: without net.<if>.ipv4_address the
 * installed system keeps DHCP; with it, the installed system gets that
 * address statically.
 */
import { BerthError } from '../errors.ts';
import type { MediaRecord } from '../media/media.ts';
import type { InstallUrls } from './install-family.ts';

export interface Ipv4Settings {
  /** 10.0.0.5 */
  address: string;
  /** 24 */
  prefix: number;
  /** 255.255.255.0 */
  netmask: string;
  /** net.<if>.ipv4_gateway of the same interface, '' when there is none. */
  gateway: string;
  /** 10.0.0.5/24, as the attribute says. */
  cidr: string;
}

export interface InstallInterface {
  /** The inventory's name for it (net.<name>.*), not the kernel's. */
  name: string;
  /** net.<name>.hwaddr, lowercase with colons. */
  mac: string;
  /** Static IPv4 settings; undefined means DHCP. */
  ipv4: Ipv4Settings | undefined;
}

export interface InstallVars {
  node: string;
  /** Short host name: the first name in net.<if>.hostname of the install interface (up to its first dot), else the node name. */
  hostname: string;
  /** dns.domain, else the rest of an FQDN in net.<if>.hostname, else ''. */
  domain: string;
  /** hostname.domain, or hostname without a domain. */
  fqdn: string;
  /** The interface the node installs through (see the module comment for which). */
  interface: InstallInterface;
  /** Every interface with a hwaddr, the install interface first. */
  interfaces: InstallInterface[];
  /** The install interface's static IPv4 settings; undefined: DHCP. */
  ipv4: Ipv4Settings | undefined;
  /** dns.servers, in order. */
  dnsServers: string[];
  /** dns.search, else [domain] when there is a domain. */
  dnsSearch: string[];
  /** ntp.servers, in order; empty: the distribution's default. */
  ntpServers: string[];
  /** timezone, default Etc/UTC. */
  timezone: string;
  /** locale, default en_US.UTF-8. */
  locale: string;
  /** The locale without codeset and modifier: en_US (AutoYaST, Agama). */
  language: string;
  /** keyboard (a console keymap), default us. */
  keyboard: string;
  /** The X layout part of the keymap: de for de-nodeadkeys (best effort: the part before the first '-'). */
  keyboardLayout: string;
  /** The X variant part: nodeadkeys for de-nodeadkeys, '' for us. */
  keyboardVariant: string;
  /** crypted.rootpassword, a crypt(3) hash. Required. */
  rootPasswordHash: string;
  /** ssh.admin_keys, one key per item. */
  sshKeys: string[];
  /** deployment.install_disk, or '' for the family's first-disk rule (src/installs/README.md). */
  installDisk: string;
  /** The profile's packages, beyond what the family's template installs. */
  packages: string[];
  /** install.proxy; undefined: none. */
  proxy: string | undefined;
  /** host[:port] of urls.media, for installers that take a mirror as host and directory (d-i). */
  mediaHost: string;
  /** The path of urls.media: /media/debian-12.5-amd64. */
  mediaPath: string;
  /**
   * The package repository the installer installs from: install.mirror, else
   * the media itself when it is one (urls.media), else the distribution's
   * public mirror (a netboot installer carries no packages). Host[:port] and
   * path, as d-i asks for them, and whole.
   */
  mirror: { url: string; host: string; path: string; isMedia: boolean };
  urls: InstallUrls;
  media: MediaRecord;
}

export interface InstallVarsExtras {
  urls: InstallUrls;
  media: MediaRecord;
  packages: string[];
  /** The node's interface names (the <if> of each net.<if>.hwaddr it has). */
  interfaces: string[];
  proxy?: string;
  /** Where packages come from when not from the media: install.mirror, or the distribution's mirror for media without packages. */
  mirror?: string;
  /** The MAC the node booted from, when known (lowercase, colons). */
  bootMac?: string;
}

export const DEFAULT_TIMEZONE = 'Etc/UTC';
export const DEFAULT_LOCALE = 'en_US.UTF-8';
export const DEFAULT_KEYBOARD = 'us';

/**
 * The install variables of `node`. Throws BERTH_CONFIG naming every missing
 * or unusable attribute of the node at once (`more` has one error each,
 * with `where.attribute`).
 */
export function installVars(node: string, lookup: (attribute: string) => string | undefined, extras: InstallVarsExtras): InstallVars {
  const problems: BerthError[] = [];
  const problem = (attribute: string, text: string) => problems.push(new BerthError('BERTH_CONFIG', `node ${node}: ${text}`, { node, attribute }));

  const interfaces: InstallInterface[] = [];
  for (const name of extras.interfaces) {
    const mac = lookup(`net.${name}.hwaddr`)?.trim().toLowerCase();
    if (!mac) continue;
    interfaces.push({ name, mac, ipv4: ipv4Of(name, lookup, problem) });
  }
  const bootMac = extras.bootMac?.toLowerCase();
  const chosen = interfaces.find((i) => i.mac === bootMac) ?? interfaces[0];
  if (!chosen) {
    problem(
      'net.<if>.hwaddr',
      `no interface has a MAC address, so the installer's network cannot be set up (set it: berth node set ${node} net.boot.hwaddr=52:54:00:12:34:56)`,
    );
  }

  const rootPasswordHash = lookup('crypted.rootpassword')?.trim() ?? '';
  if (!rootPasswordHash) {
    problem('crypted.rootpassword', `crypted.rootpassword is not set (set it: berth node set ${node} crypted.rootpassword=$(openssl passwd -6))`);
  }

  if (problems.length > 0) {
    const message = problems.length === 1 ? problems[0]!.message : `node ${node}: ${problems.map((p) => p.message.replace(`node ${node}: `, '')).join('; ')}`;
    throw new BerthError('BERTH_CONFIG', message, { node, attribute: problems[0]!.where.attribute! }, problems.length > 1 ? problems : []);
  }

  const install = chosen!;
  const names = list(lookup(`net.${install.name}.hostname`));
  const primary = names[0] ?? node;
  const dot = primary.indexOf('.');
  const hostname = dot === -1 ? primary : primary.slice(0, dot);
  const domain = lookup('dns.domain')?.trim() || (dot === -1 ? '' : primary.slice(dot + 1));
  const locale = lookup('locale')?.trim() || DEFAULT_LOCALE;
  const keyboard = lookup('keyboard')?.trim() || DEFAULT_KEYBOARD;
  const dash = keyboard.indexOf('-');
  const search = list(lookup('dns.search'));
  const media = new URL(extras.urls.media);

  return {
    node,
    hostname,
    domain,
    fqdn: domain ? `${hostname}.${domain}` : hostname,
    interface: install,
    interfaces: [install, ...interfaces.filter((i) => i !== install)],
    ipv4: install.ipv4,
    dnsServers: list(lookup('dns.servers')),
    dnsSearch: search.length > 0 ? search : domain ? [domain] : [],
    ntpServers: list(lookup('ntp.servers')),
    timezone: lookup('timezone')?.trim() || DEFAULT_TIMEZONE,
    locale,
    language: locale.replace(/[.@].*$/, ''),
    keyboard,
    keyboardLayout: dash === -1 ? keyboard : keyboard.slice(0, dash),
    keyboardVariant: dash === -1 ? '' : keyboard.slice(dash + 1),
    rootPasswordHash,
    sshKeys: (lookup('ssh.admin_keys') ?? '')
      .split(/[\n;]/)
      .map((k) => k.trim())
      .filter((k) => k !== '' && !k.startsWith('#')),
    installDisk: lookup('deployment.install_disk')?.trim() ?? '',
    packages: [...extras.packages],
    proxy: extras.proxy || undefined,
    mediaHost: media.host,
    mediaPath: media.pathname.replace(/\/$/, '') || '/',
    mirror: mirrorOf(extras.mirror ?? extras.urls.media, extras.mirror === undefined),
    urls: extras.urls,
    media: extras.media,
  };
}

function mirrorOf(text: string, isMedia: boolean): InstallVars['mirror'] {
  const url = new URL(text);
  return { url: text.replace(/\/$/, ''), host: url.host, path: url.pathname.replace(/\/$/, '') || '/', isMedia };
}

/** Comma- or blank-separated lists, as the list attribute types are written. */
function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(/[\s,]+/)
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

function ipv4Of(name: string, lookup: (attribute: string) => string | undefined, problem: (attribute: string, text: string) => void): Ipv4Settings | undefined {
  const cidr = lookup(`net.${name}.ipv4_address`)?.trim();
  if (!cidr) return undefined;
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(cidr);
  const prefix = m ? Number(m[2]) : NaN;
  if (!m || prefix > 32 || m[1]!.split('.').some((o) => Number(o) > 255)) {
    problem(`net.${name}.ipv4_address`, `net.${name}.ipv4_address=${cidr} is not an address with a prefix length such as 10.0.0.5/24`);
    return undefined;
  }
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return {
    address: m[1]!,
    prefix,
    netmask: [24, 16, 8, 0].map((shift) => (mask >>> shift) & 0xff).join('.'),
    gateway: lookup(`net.${name}.ipv4_gateway`)?.trim() ?? '',
    cidr,
  };
}

/**
 * Install variables for no real node, with every optional value filled in,
 * to check a template's paths in all its branches (templateProblems) when a
 * profile's answer.tmpl is saved.
 */
export function sampleInstallVars(media: MediaRecord, urls: InstallUrls): InstallVars {
  const values: Record<string, string> = {
    'net.boot.hwaddr': '52:54:00:12:34:56',
    'net.boot.ipv4_address': '10.0.0.5/24',
    'net.boot.ipv4_gateway': '10.0.0.254',
    'net.boot.hostname': 'node1',
    'dns.domain': 'cluster.example.org',
    'dns.servers': '10.0.0.1',
    'ntp.servers': '10.0.0.1',
    'crypted.rootpassword': '$6$saltsalt$hash',
    'ssh.admin_keys': 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBerthSampleKeyOnly admin@head',
    'deployment.install_disk': '/dev/sda',
  };
  return installVars('node1', (a) => values[a], { urls, media, packages: ['curl'], interfaces: ['boot'], proxy: 'http://10.0.0.1:3142' });
}

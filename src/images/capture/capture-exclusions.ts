/**
 * What a capture leaves on the node: pseudo and scratch filesystems, caches,
 * per-machine state that must not be cloned to a fleet, and secrets.
 *
 * Patterns are image paths ("/proc/*") in GNU tar's wildcard syntax, where `*`
 * also matches "/". "/dir/*" drops the directory's contents but keeps the
 * directory itself with its mode and owner, so a deployed image still has
 * /proc (0555), /tmp (1777) and friends to mount on.
 *
 * Secrets are excluded rather than deleted after the transfer, so they never
 * leave the node at all. What has to be *rewritten* instead of dropped
 * (/etc/machine-id, /etc/shadow) is scrub-tree.ts's job.
 *
 * We capture across filesystems on purpose (no --one-file-system): a node
 * with /home or /var on its own partition should be captured whole. What is
 * mounted but not part of the installed system is found in the node's
 * /proc/mounts by type (`notCapturedFilesystemTypes`) and excluded by path.
 */
import type { RemoteSurvey } from './remote-survey.ts';

export interface ExclusionRule {
  pattern: string;
  why: string;
}

export const standardExclusions: readonly ExclusionRule[] = [
  { pattern: '/proc/*', why: 'procfs: the kernel mounts it at boot' },
  { pattern: '/sys/*', why: 'sysfs: the kernel mounts it at boot' },
  { pattern: '/dev/*', why: 'devtmpfs: the kernel and udev populate it at boot' },
  { pattern: '/run/*', why: 'tmpfs: runtime state of the running node' },
  { pattern: '/tmp/*', why: 'scratch space' },
  { pattern: '/var/tmp/*', why: 'scratch space' },
  { pattern: '/mnt/*', why: "other media mounted by hand, not this node's system" },
  { pattern: '/media/*', why: 'removable media' },
  { pattern: '/lost+found/*', why: "fsck's salvage of this node's disk" },
  { pattern: '/*/lost+found/*', why: "fsck's salvage of this node's other filesystems" },
  { pattern: '/swapfile', why: 'swap file (common name), gigabytes of this node\'s memory' },
  { pattern: '/swap.img', why: 'swap file (name the Ubuntu installer uses)' },
  { pattern: '/var/cache/apt/archives/*.deb', why: 'downloaded packages, already installed' },
  { pattern: '/var/lib/dhcp/*.leases', why: "dhclient's leases: this node's addresses" },
  { pattern: '/var/lib/NetworkManager/*.lease', why: "NetworkManager's leases: this node's addresses" },
  { pattern: '/var/log/journal/*', why: "journal files, filed under this node's machine-id" },
  { pattern: '/etc/ssh/ssh_host_*', why: "SSH host keys: every deployed node must make its own (ssh-keygen -A)" },
  { pattern: '/etc/berth/node.key', why: "berth's node key: the node's identity to the berth server" },
  { pattern: '/etc/berth/node.env', why: 'which node this is and how it reaches berth: the captured image is for other nodes' },
  { pattern: '/etc/berth/node-key*', why: "berth's node key and its certificate or request" },
  { pattern: '/var/lib/dbus/machine-id', why: "D-Bus falls back to /etc/machine-id, which systemd regenerates" },
  { pattern: '/root/.bash_history', why: 'shell history, may hold secrets typed on this node' },
  { pattern: '/home/*/.bash_history', why: 'shell history, may hold secrets typed on this node' },
];

/**
 * Filesystem types whose contents are not part of an installed system:
 * kernel pseudo filesystems, memory-backed scratch, network filesystems
 * (NFS homes belong to the file server), FUSE, loop-mounted read-only images
 * (snap packages: the .snap files themselves are captured) and optical media.
 */
export const notCapturedFilesystemTypes: ReadonlySet<string> = new Set([
  'proc', 'sysfs', 'devtmpfs', 'devpts', 'tmpfs', 'ramfs', 'securityfs', 'cgroup', 'cgroup2', 'pstore',
  'efivarfs', 'bpf', 'debugfs', 'tracefs', 'configfs', 'fusectl', 'mqueue', 'hugetlbfs', 'autofs',
  'binfmt_misc', 'rpc_pipefs', 'nfsd', 'nsfs', 'selinuxfs',
  'nfs', 'nfs4', 'cifs', 'smb3', 'smbfs', 'ceph', 'glusterfs', '9p', 'afs', 'lustre', 'gpfs',
  'fuse', 'squashfs', 'iso9660', 'udf',
]);

function notCaptured(type: string): boolean {
  return notCapturedFilesystemTypes.has(type) || type.startsWith('fuse.');
}

/**
 * All exclusion patterns for one capture: the standard ones, the node's
 * swap files and not-captured mounts under the source root, then the
 * caller's. Mounts and swap files already inside a standard exclusion (/run/user/0,
 * /proc/sys/fs/binfmt_misc) are not repeated.
 */
export function captureExclusions(survey: Pick<RemoteSurvey, 'physicalRoot' | 'swapFiles' | 'mounts'>, extraExcludes: string[] = []): string[] {
  const patterns = standardExclusions.map((r) => r.pattern);
  const coveredDirs = patterns.filter((p) => p.endsWith('/*') && !hasWildcard(p.slice(0, -2))).map((p) => p.slice(0, -2));
  const covered = (imagePath: string) => coveredDirs.some((d) => imagePath.startsWith(`${d}/`));
  const add = (pattern: string) => {
    if (!patterns.includes(pattern)) patterns.push(pattern);
  };

  for (const swap of survey.swapFiles) {
    const imagePath = imagePathOf(swap, survey.physicalRoot);
    if (imagePath !== undefined && imagePath !== '/' && !covered(imagePath)) add(escapeTarPattern(imagePath));
  }
  for (const mount of survey.mounts) {
    if (!notCaptured(mount.type)) continue;
    const imagePath = imagePathOf(mount.path, survey.physicalRoot);
    // The source root itself may be a tmpfs (a chroot built in memory): that is what we were asked for.
    if (imagePath === undefined || imagePath === '/' || covered(imagePath)) continue;
    add(`${escapeTarPattern(imagePath)}/*`);
  }
  for (const extra of extraExcludes) add(extra);
  return patterns;
}

/** Where a node path lands in the image, or undefined when it is outside the source root. */
function imagePathOf(nodePath: string, physicalRoot: string): string | undefined {
  if (physicalRoot === '/') return nodePath;
  if (nodePath === physicalRoot) return '/';
  return nodePath.startsWith(`${physicalRoot}/`) ? nodePath.slice(physicalRoot.length) : undefined;
}

function hasWildcard(text: string): boolean {
  return /[*?[\\]/.test(text);
}

/** A literal path as a tar wildcard pattern: `*`, `?`, `[` and `\` lose their meaning. */
export function escapeTarPattern(literal: string): string {
  return literal.replace(/[*?[\\]/g, (c) => `\\${c}`);
}

/**
 * tar arguments for the sending side. The matching options are spelled out
 * (they are GNU tar's defaults for --exclude except --anchored) because they
 * apply to the --exclude options that follow them, and the meaning of every
 * pattern above depends on them. Member names are "./etc/..." because the
 * archive is made with `-C <root> .`.
 */
export function tarExcludeArgs(patterns: string[]): string[] {
  return ['--anchored', '--wildcards', '--wildcards-match-slash', ...patterns.map((p) => `--exclude=.${p}`)];
}

/**
 * A syntax checker for RHEL/Fedora Kickstart files, written from the
 * documented grammar (RHEL 8/9/10 "Kickstart commands and options
 * reference"; pykickstart's RHEL8, RHEL9 and RHEL10 handlers for which
 * commands and options exist): what anaconda would refuse before it starts,
 * found when berth renders the file instead of on the node's console.
 *
 * - Commands are lines split the way pykickstart splits them (POSIX shlex,
 *   `#` starts a comment); the command must be known, and so must each
 *   `--option` (with `=value` or the value as the next word for options that
 *   take one).
 * - Sections (%pre, %pre-install, %post, %packages, %onerror, %traceback,
 *   %addon, %anaconda) take their own options and must be closed by %end
 *   before the next section starts or the file ends.
 * - Required: lang, keyboard, rootpw, and a partitioning command (autopart,
 *   part, raid, logvol, volgroup, btrfs or mount). Commands in %include'd
 *   files are not seen: berth checks what it renders, so these stay in the
 *   answer file itself.
 * - Commands that may appear once appear once; autopart is not combined
 *   with manual partitioning.
 */
import type { AnswerProblem as Problem } from '../../install-family.ts';

interface CommandSpec {
  /** Options: `--name` a flag, `--name=` takes a value. Absent: any option accepted. */
  options?: string[];
  /** Positional arguments allowed [min, max]; default [0, 0]. */
  args?: [number, number];
  once?: boolean;
}

const ENCRYPTION = ['--encrypted', '--passphrase=', '--escrowcert=', '--backuppassphrase', '--cipher=', '--luks-version=', '--pbkdf=', '--pbkdf-memory=', '--pbkdf-time=', '--pbkdf-iterations='];
const REBOOT: CommandSpec = { options: ['--eject', '--kexec'], once: true };
const DISPLAY: CommandSpec = { options: ['--non-interactive'], once: true };
const MANY = Number.POSITIVE_INFINITY;

const COMMANDS: Record<string, CommandSpec> = {
  auth: { args: [0, MANY] },
  authconfig: { args: [0, MANY] },
  authselect: { args: [0, MANY] },
  autopart: {
    options: ['--type=', '--fstype=', '--nolvm', '--nohome', '--noboot', '--noswap', '--hibernation', ...ENCRYPTION],
    once: true,
  },
  autostep: { options: ['--autoscreenshot'] },
  bootloader: {
    options: ['--append=', '--boot-drive=', '--driveorder=', '--iscrypted', '--password=', '--location=', '--md5pass=', '--timeout=', '--leavebootorder', '--extlinux', '--disabled', '--nombr', '--sdboot', '--default=', '--upgrade', '--lba32', '--linear', '--nolinear'],
    once: true,
  },
  btrfs: { options: ['--data=', '--metadata=', '--label=', '--noformat', '--useexisting', '--subvol', '--name=', '--mkfsoptions='], args: [1, MANY] },
  cdrom: { options: [], once: true },
  clearpart: { options: ['--all', '--drives=', '--list=', '--linux', '--none', '--initlabel', '--disklabel=', '--cdl'], once: true },
  cmdline: DISPLAY,
  device: { args: [0, MANY] },
  deviceprobe: { args: [0, MANY] },
  dmraid: { options: ['--name=', '--dev='] },
  driverdisk: { options: ['--source=', '--biospart='], args: [0, 1] },
  eula: { options: ['--agreed', '--agree', '--accept'], once: true },
  fcoe: { options: ['--nic=', '--dcb', '--autovlan'] },
  firewall: {
    options: ['--enabled', '--enable', '--disabled', '--disable', '--service=', '--remove-service=', '--port=', '--trust=', '--ssh', '--smtp', '--http', '--ftp', '--telnet', '--use-system-defaults'],
    once: true,
  },
  firstboot: { options: ['--enable', '--enabled', '--disable', '--disabled', '--reconfig'], once: true },
  graphical: DISPLAY,
  group: { options: ['--name=', '--gid='] },
  halt: REBOOT,
  harddrive: { options: ['--partition=', '--biospart=', '--dir='], once: true },
  hmc: { options: [] },
  ignoredisk: { options: ['--drives=', '--only-use=', '--interactive'], once: true },
  install: { options: [] },
  iscsi: { options: ['--target=', '--ipaddr=', '--port=', '--user=', '--password=', '--reverse-user=', '--reverse-password=', '--iface='] },
  iscsiname: { options: [], args: [1, 1] },
  keyboard: { options: ['--vckeymap=', '--xlayouts=', '--switch='], args: [0, 1], once: true },
  lang: { options: ['--addsupport='], args: [1, 1], once: true },
  liveimg: { options: ['--url=', '--proxy=', '--noverifyssl', '--checksum='], once: true },
  logging: { options: ['--host=', '--port=', '--level='], once: true },
  logvol: {
    options: [
      '--vgname=', '--size=', '--grow', '--maxsize=', '--name=', '--percent=', '--fstype=', '--fsprofile=', '--label=', '--noformat', '--useexisting', '--recommended', '--resize',
      '--thinpool', '--metadatasize=', '--chunksize=', '--thin', '--poolname=', '--cachesize=', '--cachemode=', '--cachepvs=', '--mkfsoptions=', '--fsoptions=', '--hibernation', ...ENCRYPTION,
    ],
    args: [1, 1],
  },
  mediacheck: { options: [] },
  module: { options: ['--name=', '--stream=', '--disable'] },
  mount: { options: ['--reformat=', '--mkfsoptions=', '--mountoptions='], args: [2, 2] },
  multipath: { args: [0, MANY] },
  network: {
    options: [
      '--activate', '--no-activate', '--bootproto=', '--device=', '--ip=', '--ipv6=', '--gateway=', '--ipv6gateway=', '--nameserver=', '--netmask=', '--hostname=', '--ethtool=', '--essid=',
      '--wepkey=', '--wpakey=', '--onboot=', '--dhcpclass=', '--mtu=', '--noipv4', '--noipv6', '--nodefroute', '--nodns', '--bondslaves=', '--bondopts=', '--vlanid=', '--interfacename=',
      '--teamslaves=', '--teamconfig=', '--bridgeslaves=', '--bridgeopts=', '--bindto=', '--ipv4-dns-search=', '--ipv6-dns-search=', '--ipv4-ignore-auto-dns', '--ipv6-ignore-auto-dns',
    ],
  },
  nfs: { options: ['--server=', '--dir=', '--opts='], once: true },
  nvdimm: { args: [0, MANY] },
  ostreecontainer: { args: [0, MANY] },
  ostreesetup: { args: [0, MANY] },
  part: {
    options: [
      '--size=', '--grow', '--maxsize=', '--noformat', '--onpart=', '--usepart=', '--ondisk=', '--ondrive=', '--asprimary', '--fsprofile=', '--fstype=', '--fsoptions=', '--label=', '--recommended',
      '--onbiosdisk=', '--resize', '--mkfsoptions=', '--hibernation', '--start=', '--end=', ...ENCRYPTION,
    ],
    args: [1, 1],
  },
  poweroff: REBOOT,
  raid: {
    options: ['--level=', '--device=', '--spares=', '--fstype=', '--fsprofile=', '--label=', '--noformat', '--useexisting', '--chunksize=', '--mkfsoptions=', '--fsoptions=', ...ENCRYPTION],
    args: [1, MANY],
  },
  rdp: { options: ['--username=', '--password='], once: true },
  realm: { args: [0, MANY] },
  reboot: REBOOT,
  repo: { options: ['--name=', '--baseurl=', '--mirrorlist=', '--metalink=', '--cost=', '--excludepkgs=', '--includepkgs=', '--proxy=', '--ignoregroups=', '--noverifyssl', '--install'] },
  reqpart: { options: ['--add-boot'], once: true },
  rescue: { options: ['--nomount', '--romount'], once: true },
  rhsm: { options: ['--organization=', '--activation-key=', '--connect-to-insights', '--proxy=', '--server-hostname=', '--rhsm-baseurl='], once: true },
  rootpw: { options: ['--iscrypted', '--plaintext', '--lock', '--allow-ssh'], args: [0, 1], once: true },
  selinux: { options: ['--enforcing', '--permissive', '--disabled'], once: true },
  services: { options: ['--enabled=', '--disabled='] },
  shutdown: REBOOT,
  skipx: { options: [], once: true },
  snapshot: { options: ['--name=', '--when='], args: [1, 1] },
  sshkey: { options: ['--username='], args: [1, 1] },
  sshpw: { options: ['--username=', '--iscrypted', '--plaintext', '--lock', '--sshkey'], args: [1, 1] },
  syspurpose: { options: ['--role=', '--sla=', '--usage=', '--addon='], once: true },
  text: DISPLAY,
  timesource: { options: ['--ntp-server=', '--ntp-pool=', '--ntp-disable', '--nts'] },
  timezone: { options: ['--utc', '--isUtc', '--nontp', '--ntpservers='], args: [0, 1], once: true },
  updates: { options: [], args: [0, 1], once: true },
  url: { options: ['--url=', '--mirrorlist=', '--metalink=', '--proxy=', '--noverifyssl'], once: true },
  user: { options: ['--name=', '--gecos=', '--groups=', '--homedir=', '--lock', '--password=', '--iscrypted', '--plaintext', '--shell=', '--uid=', '--gid='] },
  vnc: { options: ['--host=', '--port=', '--password='], once: true },
  volgroup: { options: ['--noformat', '--useexisting', '--pesize=', '--reserved-space=', '--reserved-percent='], args: [1, MANY] },
  xconfig: { options: ['--defaultdesktop=', '--startxonboot'], once: true },
  zerombr: { options: [], once: true },
  zfcp: { options: ['--devnum=', '--wwpn=', '--fcplun='] },
  zipl: { options: ['--secure-boot', '--no-secure-boot', '--force-secure-boot'], once: true },
};
COMMANDS['partition'] = COMMANDS['part']!;

const SCRIPT_OPTIONS = ['--interpreter=', '--erroronfail', '--log='];
const SECTIONS: Record<string, { options?: string[]; script: boolean }> = {
  '%pre': { options: SCRIPT_OPTIONS, script: true },
  '%pre-install': { options: SCRIPT_OPTIONS, script: true },
  '%post': { options: [...SCRIPT_OPTIONS, '--nochroot'], script: true },
  '%onerror': { options: SCRIPT_OPTIONS, script: true },
  '%traceback': { options: SCRIPT_OPTIONS, script: true },
  '%packages': {
    options: ['--default', '--excludedocs', '--ignoremissing', '--nobase', '--nocore', '--instLangs=', '--inst-langs=', '--multilib', '--excludeWeakdeps', '--exclude-weakdeps', '--timeout=', '--retries=', '--ignorebroken'],
    script: false,
  },
  '%addon': { script: false },
  '%anaconda': { options: [], script: false },
};

const PARTITIONING = ['autopart', 'part', 'partition', 'raid', 'logvol', 'volgroup', 'btrfs', 'mount'];
const REQUIRED: { any: string[]; what: string }[] = [
  { any: ['lang'], what: 'lang (the installed system\'s language, such as lang en_US.UTF-8)' },
  { any: ['keyboard'], what: 'keyboard (such as keyboard --vckeymap=us)' },
  { any: ['rootpw'], what: 'rootpw (such as rootpw --iscrypted <hash>)' },
  { any: PARTITIONING, what: `a partitioning command (${PARTITIONING.join(', ')})` },
];

/** Splits a line as POSIX shlex with comments does; throws a message for an unclosed quote. */
export function shlexSplit(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if (c === '#' && !inWord) {
      break;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end === -1) throw new Error('a quote (\') is not closed on this line');
      word += line.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '\\' && j + 1 < line.length && '"\\$`'.includes(line[j + 1]!)) j++;
        word += line[j];
      }
      if (j >= line.length) throw new Error('a quote (") is not closed on this line');
      inWord = true;
      i = j;
    } else if (c === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** Checks options and positional arguments of one command or section line; returns problems and the option names used. */
function checkWords(words: string[], options: string[] | undefined, args: [number, number], what: string, line: number, problems: Problem[]): { used: Set<string>; positional: string[] } {
  const used = new Set<string>();
  const positional: string[] = [];
  for (let i = 1; i < words.length; i++) {
    const word = words[i]!;
    if (!word.startsWith('--')) {
      positional.push(word);
      continue;
    }
    const eq = word.indexOf('=');
    const name = eq === -1 ? word : word.slice(0, eq);
    used.add(name);
    if (!options) continue;
    if (options.includes(`${name}=`)) {
      if (eq === -1) {
        // `--option value`: the next word is the value.
        if (i + 1 >= words.length || words[i + 1]!.startsWith('--')) problems.push({ line, message: `${what}: ${name} needs a value (${name}=...)` });
        else i++;
      }
    } else if (options.includes(name)) {
      if (eq !== -1) problems.push({ line, message: `${what}: ${name} takes no value` });
    } else {
      const known = options.map((o) => o.replace(/=$/, '')).join(' ');
      problems.push({ line, message: `${what}: unknown option ${name}${known ? ` (known: ${known})` : ' (it takes no options)'}` });
    }
  }
  if (positional.length < args[0] || positional.length > args[1]) {
    const expected = args[0] === args[1] ? `${args[0]}` : args[1] === MANY ? `at least ${args[0]}` : `${args[0]} to ${args[1]}`;
    problems.push({ line, message: `${what}: ${expected} argument${args[1] === 1 && args[0] === 1 ? '' : 's'} expected besides options, found ${positional.length}${positional.length > 0 ? ` (${positional.join(' ')})` : ''}` });
  }
  return { used, positional };
}

export function checkKickstart(text: string): Problem[] {
  const problems: Problem[] = [];
  const lines = text.split('\n');
  const seen = new Map<string, number>();
  let section: { name: string; line: number; script: boolean } | undefined;

  for (let index = 0; index < lines.length; index++) {
    const line = index + 1;
    const raw = lines[index]!.replace(/\r$/, '');
    const trimmed = raw.trim();
    const head = trimmed.split(/\s+/)[0] ?? '';

    if (section) {
      if (head === '%end') {
        section = undefined;
        continue;
      }
      if (head in SECTIONS) {
        problems.push({ line: section.line, message: `${section.name} (line ${section.line}) is not closed with %end before ${head} at line ${line}` });
        section = undefined;
        // Fall through: the new section starts here.
      } else {
        if (!section.script && section.name === '%packages' && trimmed !== '' && !trimmed.startsWith('#')) {
          const words = trimmed.split(/\s+/);
          if (words.slice(1).some((w) => !['--nodefaults', '--optional'].includes(w))) {
            problems.push({ line, message: `%packages: one package, @group or -exclusion per line (found "${trimmed}")` });
          }
        }
        continue;
      }
    }

    if (trimmed === '' || trimmed.startsWith('#')) continue;

    if (head.startsWith('%')) {
      if (head === '%include' || head === '%ksappend') {
        if (trimmed.split(/\s+/).length !== 2) problems.push({ line, message: `${head} takes one file name` });
        continue;
      }
      if (head === '%end') {
        problems.push({ line, message: '%end without a section to close' });
        continue;
      }
      const spec = SECTIONS[head];
      if (!spec) {
        problems.push({ line, message: `unknown section ${head} (sections: ${Object.keys(SECTIONS).join(' ')})` });
        continue;
      }
      let words: string[];
      try {
        words = shlexSplit(trimmed);
      } catch (e) {
        problems.push({ line, message: `${head}: ${(e as Error).message}` });
        words = [head];
      }
      if (head === '%addon' && words.length < 2) problems.push({ line, message: '%addon needs the add-on name, such as %addon com_redhat_kdump' });
      else if (head !== '%addon') checkWords(words, spec.options, [0, 0], head, line, problems);
      section = { name: head, line, script: spec.script };
      continue;
    }

    let words: string[];
    try {
      words = shlexSplit(trimmed);
    } catch (e) {
      problems.push({ line, message: (e as Error).message });
      continue;
    }
    if (words.length === 0) continue;
    const command = words[0]!.toLowerCase();
    const spec = COMMANDS[command];
    if (!spec) {
      problems.push({ line, message: `unknown command '${words[0]}' (not a Kickstart command in RHEL 8, 9 or 10)` });
      continue;
    }
    const canonical = command === 'partition' ? 'part' : command;
    if (spec.once && seen.has(canonical)) problems.push({ line, message: `${command} is given again (first at line ${seen.get(canonical)}); it may appear once` });
    if (!seen.has(canonical)) seen.set(canonical, line);
    const { used, positional } = checkWords(words, spec.options, spec.args ?? [0, 0], command, line, problems);
    if (command === 'rootpw' && positional.length === 0 && !used.has('--lock')) problems.push({ line, message: 'rootpw: the password (or hash with --iscrypted) is missing' });
  }

  if (section) problems.push({ line: section.line, message: `${section.name} (line ${section.line}) is not closed with %end before the end of the file` });

  for (const { any, what } of REQUIRED) {
    if (!any.some((c) => seen.has(c === 'partition' ? 'part' : c))) problems.push({ line: 1, message: `missing ${what}` });
  }
  const manual = PARTITIONING.filter((c) => c !== 'autopart' && c !== 'partition' && seen.has(c));
  if (seen.has('autopart') && manual.length > 0) {
    problems.push({ line: seen.get('autopart')!, message: `autopart cannot be combined with ${manual.join(', ')} (line ${seen.get(manual[0]!)})` });
  }
  return problems.sort((a, b) => a.line - b.line);
}

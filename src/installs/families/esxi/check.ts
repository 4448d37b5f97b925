/**
 * A syntax checker for ESXi installation scripts (ks.cfg), written from
 * VMware's "Installation and Upgrade Script Commands" (ESXi 7.0/8.0):
 *
 * - The command section comes first; %pre, %post and %firstboot sections
 *   follow and each runs until the next one (ESXi has no %end: a line
 *   `%end` would be handed to the script's interpreter).
 * - Known commands with their known options; section options --interpreter
 *   (python or busybox), and for %post --timeout and --ignorefailure.
 * - Required: accepteula (or vmaccepteula), exactly one of install,
 *   installorupgrade or upgrade, rootpw, network.
 * - ESXi names disks naa.…, t10.…, mpx.vmhba…, vml.… (or
 *   /vmfs/devices/disks/…), not /dev paths; its installer takes MD5,
 *   SHA-256 and SHA-512 crypt hashes, not yescrypt or bcrypt.
 */
import { shlexSplit } from '../kickstart/check.ts';
import type { AnswerProblem as Problem } from '../../install-family.ts';

interface CommandSpec {
  /** `--name` flag, `--name=` takes a value, `--name?` either. */
  options: string[];
  args?: [number, number];
  once?: boolean;
}

const DISK_OPTIONS = ['--disk=', '--drive=', '--firstdisk?'];
const PREREQ = ['--ignoreprereqwarnings', '--ignoreprereqerrors', '--dpupcislots='];

const COMMANDS: Record<string, CommandSpec> = {
  accepteula: { options: [], once: true },
  vmaccepteula: { options: [], once: true },
  clearpart: { options: ['--drives=', '--alldrives', '--ignoredrives=', '--overwritevmfs', '--firstdisk?'] },
  dryrun: { options: [], once: true },
  install: {
    options: [...DISK_OPTIONS, '--ignoressd', '--overwritevsan', '--overwritevmfs', '--preservevmfs', '--novmfsondisk', '--systemdisksize=', '--repartitioning', '--forceunsupportedinstall', ...PREREQ],
    once: true,
  },
  installorupgrade: { options: [...DISK_OPTIONS, '--overwritevsan', '--forcemigrate', '--systemdisksize=', ...PREREQ], once: true },
  upgrade: { options: [...DISK_OPTIONS, '--deletecosvmdk', '--forcemigrate', ...PREREQ], once: true },
  include: { options: [], args: [1, 1] },
  '%include': { options: [], args: [1, 1] },
  keyboard: { options: [], args: [1, Number.POSITIVE_INFINITY], once: true },
  serialnum: { options: ['--esx='], once: true },
  vmserialnum: { options: ['--esx='], once: true },
  network: { options: ['--bootproto=', '--device=', '--ip=', '--gateway=', '--nameserver=', '--netmask=', '--hostname=', '--vlanid=', '--addvmportgroup='], once: true },
  paranoid: { options: [], once: true },
  part: { options: ['--ondisk=', '--ondrive=', '--onfirstdisk?'], args: [1, 1] },
  partition: { options: ['--ondisk=', '--ondrive=', '--onfirstdisk?'], args: [1, 1] },
  reboot: { options: ['--noeject'], once: true },
  rootpw: { options: ['--iscrypted'], args: [1, 1], once: true },
};

const SECTIONS: Record<string, string[]> = {
  '%pre': ['--interpreter='],
  '%post': ['--interpreter=', '--timeout=', '--ignorefailure='],
  '%firstboot': ['--interpreter='],
};

const INSTALL_COMMANDS = ['install', 'installorupgrade', 'upgrade'];

export function checkEsxiKickstart(text: string): Problem[] {
  const problems: Problem[] = [];
  const seen = new Map<string, number>();
  let inSection: string | undefined;
  const lines = text.split('\n');

  for (let index = 0; index < lines.length; index++) {
    const line = index + 1;
    const trimmed = lines[index]!.replace(/\r$/, '').trim();
    const head = trimmed.split(/\s+/)[0] ?? '';

    if (head === '%end') {
      problems.push({ line, message: "%end is not ESXi syntax: a section runs until the next %pre, %post or %firstboot, so weasel would hand this line to the script's interpreter" });
      continue;
    }
    if (head.startsWith('%') && head !== '%include') {
      const options = SECTIONS[head];
      if (!options) {
        if (!inSection) problems.push({ line, message: `unknown section ${head} (ESXi has %pre, %post and %firstboot)` });
        continue;
      }
      inSection = head;
      const words = split(trimmed, line, problems);
      for (const word of words.slice(1)) {
        const [name, value] = word.split('=', 2) as [string, string | undefined];
        if (!options.includes(`${name}=`)) {
          problems.push({ line, message: `${head}: unknown option ${name} (known: ${options.map((o) => o.replace(/=$/, '')).join(' ')})` });
        } else if (value === undefined || value === '') {
          problems.push({ line, message: `${head}: ${name} needs a value (${name}=...)` });
        } else if (name === '--interpreter' && !['python', 'busybox'].includes(value)) {
          problems.push({ line, message: `${head}: --interpreter is python or busybox, not ${value}` });
        } else if (name === '--ignorefailure' && !['true', 'false'].includes(value)) {
          problems.push({ line, message: `${head}: --ignorefailure is true or false, not ${value}` });
        } else if (name === '--timeout' && !/^\d+$/.test(value)) {
          problems.push({ line, message: `${head}: --timeout is a number of seconds, not ${value}` });
        }
      }
      continue;
    }
    // Inside a section everything is the script's.
    if (inSection || trimmed === '' || trimmed.startsWith('#')) continue;

    const words = split(trimmed, line, problems);
    if (words.length === 0) continue;
    const command = words[0]!;
    const spec = COMMANDS[command];
    if (!spec) {
      problems.push({ line, message: `unknown command '${command}' (not an ESXi installation script command)` });
      continue;
    }
    if (spec.once && seen.has(command)) problems.push({ line, message: `${command} is given again (first at line ${seen.get(command)}); it may appear once` });
    if (!seen.has(command)) seen.set(command, line);

    const positional: string[] = [];
    const values = new Map<string, string>();
    for (const word of words.slice(1)) {
      if (!word.startsWith('--')) {
        positional.push(word);
        continue;
      }
      const eq = word.indexOf('=');
      const name = eq === -1 ? word : word.slice(0, eq);
      const value = eq === -1 ? undefined : word.slice(eq + 1);
      if (spec.options.includes(`${name}=`)) {
        if (value === undefined || value === '') problems.push({ line, message: `${command}: ${name} needs a value (${name}=...)` });
        else values.set(name, value);
      } else if (spec.options.includes(`${name}?`)) {
        if (value !== undefined) values.set(name, value);
      } else if (spec.options.includes(name)) {
        if (value !== undefined) problems.push({ line, message: `${command}: ${name} takes no value` });
      } else {
        const known = spec.options.map((o) => o.replace(/[=?]$/, '')).join(' ');
        problems.push({ line, message: `${command}: unknown option ${name}${known ? ` (known: ${known})` : ' (it takes no options)'}` });
      }
    }
    const [min, max] = spec.args ?? [0, 0];
    if (positional.length < min || positional.length > max) {
      problems.push({ line, message: `${command}: ${min === max ? min : `${min} or more`} argument${max === 1 ? '' : 's'} expected besides options, found ${positional.length}${positional.length > 0 ? ` (${positional.join(' ')})` : ''}` });
    }

    if (INSTALL_COMMANDS.includes(command)) {
      const disk = values.get('--disk') ?? values.get('--drive');
      if (disk?.startsWith('/dev/')) {
        problems.push({ line, message: `${command}: ESXi does not know ${disk}; it names disks naa.…, t10.…, mpx.vmhba0:C0:T0:L0 or /vmfs/devices/disks/… (set deployment.install_disk to one of those for ESXi nodes)` });
      }
      if (!disk && !words.some((w) => w.startsWith('--firstdisk'))) problems.push({ line, message: `${command}: needs --disk=<disk> or --firstdisk` });
    }
    if (command === 'rootpw' && words.includes('--iscrypted') && /^\$(?:y|gy|2[abxy]?|7)\$/.test(positional[0] ?? '')) {
      problems.push({ line, message: "rootpw: ESXi takes MD5 ($1$), SHA-256 ($5$) or SHA-512 ($6$) crypt hashes, not yescrypt or bcrypt: set crypted.rootpassword=$(openssl passwd -6)" });
    }
    if (command === 'network') {
      const proto = values.get('--bootproto') ?? 'dhcp';
      if (!['dhcp', 'static'].includes(proto)) problems.push({ line, message: `network: --bootproto is dhcp or static, not ${proto}` });
      if (proto === 'static' && !values.has('--ip')) problems.push({ line, message: 'network: --bootproto=static needs --ip= and --netmask=' });
    }
  }

  if (!seen.has('accepteula') && !seen.has('vmaccepteula')) problems.push({ line: 1, message: 'missing vmaccepteula (or accepteula): the installer stops at the license otherwise' });
  const installs = INSTALL_COMMANDS.filter((c) => seen.has(c));
  if (installs.length === 0) problems.push({ line: 1, message: 'missing install (or installorupgrade, upgrade): the script names no disk to install on' });
  if (installs.length > 1) problems.push({ line: seen.get(installs[1]!)!, message: `only one of install, installorupgrade and upgrade may be given (found ${installs.join(', ')})` });
  if (!seen.has('rootpw')) problems.push({ line: 1, message: 'missing rootpw' });
  if (!seen.has('network')) problems.push({ line: 1, message: 'missing network (such as network --bootproto=dhcp --device=<mac>)' });
  return problems.sort((a, b) => a.line - b.line);
}

function split(text: string, line: number, problems: Problem[]): string[] {
  try {
    return shlexSplit(text);
  } catch (e) {
    problems.push({ line, message: (e as Error).message });
    return [];
  }
}

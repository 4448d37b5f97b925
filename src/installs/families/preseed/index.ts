/**
 * Debian preseed: debian-installer (d-i), Debian 11 and later.
 *
 * Boot: d-i's netboot kernel and initrd (the media record's) with
 *   auto=true priority=critical url=<answer> netcfg/choose_interface=<mac>
 *   hostname=<hostname> domain=<domain> locale=<locale> keymap=<layout> BOOTIF=01-<mac>
 * d-i asks its first questions (language, keyboard, network, host name)
 * before it has the preseed file, so those answers go on the command line;
 * netcfg takes a MAC address for choose_interface (and reads BOOTIF), so
 * the install NIC is the one the node booted from. The media tree on berth
 * is the package mirror (mirror/http/hostname and directory).
 *
 * Callbacks: preseed/early_command reports `installing` with busybox wget
 * (d-i has no curl); preseed/late_command reports `post`, downloads post.sh
 * into /target and runs it with `in-target sh`, and reports `failed` with
 * the reason when that fails.
 */
import type { AnswerProblem, InstallFamilyModule } from '../../install-family.ts';
import { installerBootPlan } from '../installer-boot.ts';
import { bootif } from '../installer-ipxe.ts';
import { templateFile } from '../template-file.ts';

/** debconf's question types (debconf-devel(7)), as debconf-set-selections takes them. */
const TYPES = new Set(['string', 'boolean', 'select', 'multiselect', 'note', 'text', 'password', 'error', 'title', 'seen']);

export const preseed: InstallFamilyModule = {
  family: 'preseed',
  answerFileName: 'preseed.cfg',
  contentType: 'text/plain; charset=utf-8',

  defaultTemplate() {
    return templateFile(import.meta.dirname, 'preseed.cfg.tmpl');
  },

  bootScript(boot) {
    const { urls, vars } = boot;
    const mac = vars.interface.mac;
    return installerBootPlan(boot, {
      args: [
        'auto=true',
        'priority=critical',
        `url=${urls.answer}`,
        mac ? `netcfg/choose_interface=${mac}` : 'interface=auto',
        `hostname=${vars.hostname}`,
        vars.domain ? `domain=${vars.domain}` : '',
        `locale=${vars.locale}`,
        `keymap=${vars.keyboardLayout}`,
        bootif(mac),
      ],
    });
  },

  check: checkPreseed,
};

/**
 * Every setting is `owner question type [value]` (lines ending in `\` join
 * the next, as debconf-set-selections reads them), with a known type and a
 * question named owner/name.
 */
export function checkPreseed(text: string): AnswerProblem[] {
  const problems: AnswerProblem[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    let logical = lines[i]!.replace(/\r$/, '');
    while (/\\$/.test(logical) && i + 1 < lines.length) logical = logical.slice(0, -1) + lines[++i]!.replace(/\r$/, '');
    if (/^\s*$/.test(logical) || /^\s*#/.test(logical)) continue;
    const m = /^\s*(\S+)\s+(\S+)\s+(\S+)(?:\s(.*))?$/.exec(logical);
    if (!m) {
      problems.push({ line, message: `not a setting: "${logical.trim().slice(0, 60)}" (expected: owner question type value, such as d-i time/zone string Etc/UTC)` });
      continue;
    }
    const [, , question, type] = m as unknown as [string, string, string, string];
    if (!question.includes('/')) problems.push({ line, message: `"${question}" is not a debconf question name (they look like netcfg/get_hostname)` });
    if (!TYPES.has(type)) problems.push({ line, message: `unknown type "${type}" for ${question} (types: ${[...TYPES].join(', ')})` });
  }
  return problems;
}

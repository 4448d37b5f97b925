/**
 * Ubuntu autoinstall: subiquity (Ubuntu Server 22.04 and later), configured
 * through cloud-init's NoCloud data source.
 *
 * Boot: the media's casper kernel and initrd with
 *   autoinstall ds=nocloud-net;s=<callback>/ url=<media>/<iso> ip=dhcp cloud-config-url=/dev/null
 * casper downloads the whole ISO (`url=`, hence MediaRecord.iso) and runs
 * from it; cloud-init reads `<callback>/user-data` and `meta-data` (served
 * beside the answer file); `cloud-config-url=/dev/null` keeps cloud-init
 * from taking `url=` for a cloud-config of its own. The `;` in `ds=` is part
 * of one iPXE word and reaches the kernel as is (installer-ipxe.ts).
 *
 * Callbacks: early-commands report `installing` (the live installer has
 * curl) and resolve the disk; late-commands report `post`, download post.sh
 * into /target and run it with `curtin in-target`; error-commands report
 * `failed` when subiquity fails.
 */
import { parseDocument } from 'yaml';
import { BerthError } from '../../../errors.ts';
import type { AnswerProblem, InstallFamilyModule } from '../../install-family.ts';
import { jsonLiteral } from '../../template/index.ts';
import { installerBootPlan } from '../installer-boot.ts';
import { bootif, mediaUrl } from '../installer-ipxe.ts';
import { templateFile } from '../template-file.ts';

export const autoinstall: InstallFamilyModule = {
  family: 'autoinstall',
  answerFileName: 'user-data',
  contentType: 'text/plain; charset=utf-8',

  defaultTemplate() {
    return templateFile(import.meta.dirname, 'user-data.tmpl');
  },

  bootScript(boot) {
    const { media, urls, vars } = boot;
    if (!media.iso) {
      throw new BerthError('BERTH_CONFIG', `media ${media.name} has no copy of its ISO, which Ubuntu's installer downloads whole (url=): re-import it from the ISO with berth media import`);
    }
    return installerBootPlan(boot, {
      args: ['autoinstall', `ds=nocloud-net;s=${urls.callback}/`, `url=${mediaUrl(urls, media.iso)}`, 'ip=dhcp', 'cloud-config-url=/dev/null', bootif(vars.interface.mac)],
    });
  },

  extraFiles({ vars }) {
    return {
      // NoCloud's meta-data: the instance identity cloud-init keys its once-per-instance work on.
      'meta-data': `instance-id: ${jsonLiteral(`berth-${vars.node}`)}\nlocal-hostname: ${jsonLiteral(vars.hostname)}\n`,
      // Asked for too; nothing to add.
      'vendor-data': '#cloud-config\n{}\n',
    };
  },

  check: checkUserData,
};

/** YAML that parses, starts with #cloud-config and has an autoinstall mapping with version 1. */
export function checkUserData(text: string): AnswerProblem[] {
  const problems: AnswerProblem[] = [];
  if (!text.startsWith('#cloud-config\n')) problems.push({ line: 1, message: 'the first line must be #cloud-config, or cloud-init ignores the file' });
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  for (const error of doc.errors) problems.push({ line: error.linePos?.[0]?.line ?? 1, message: `YAML: ${error.message.split('\n')[0]}` });
  if (doc.errors.length > 0) return problems;
  const data = doc.toJS() as unknown;
  const autoinstall = typeof data === 'object' && data !== null ? (data as Record<string, unknown>)['autoinstall'] : undefined;
  if (typeof autoinstall !== 'object' || autoinstall === null || Array.isArray(autoinstall)) {
    problems.push({ line: 1, message: 'no autoinstall: mapping at the top level, so subiquity would ask its questions' });
    return problems;
  }
  const section = autoinstall as Record<string, unknown>;
  if (section['version'] !== 1) problems.push({ line: lineOf(text, 'version:'), message: 'autoinstall: version must be 1' });
  for (const key of ['early-commands', 'late-commands', 'error-commands']) {
    const commands = section[key];
    if (commands !== undefined && (!Array.isArray(commands) || !commands.every((c) => typeof c === 'string' || (Array.isArray(c) && c.every((w) => typeof w === 'string'))))) {
      problems.push({ line: lineOf(text, `${key}:`), message: `autoinstall: ${key} must be a list of commands (strings or lists of strings)` });
    }
  }
  if (section['identity'] === undefined && section['user-data'] === undefined) {
    problems.push({ line: 1, message: 'autoinstall: needs identity or user-data, or subiquity asks for a user' });
  }
  return problems;
}

function lineOf(text: string, needle: string): number {
  const index = text.indexOf(needle);
  return index === -1 ? 1 : text.slice(0, index).split('\n').length;
}

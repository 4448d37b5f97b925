/**
 * AutoYaST: YaST's unattended mode (SLES 15, openSUSE Leap 15).
 *
 * Boot: the media's boot/<arch>/loader kernel and initrd with
 *   autoyast=<answer> install=<media> self_update=0 BOOTIF=01-<mac>
 * linuxrc brings up the network by DHCP, fetches the profile and installs
 * from the media tree; self_update=0 keeps the installer from looking for
 * its own updates on the internet (air-gapped sites would wait for it).
 *
 * Callbacks: a pre-script reports `installing` (the installation system has
 * curl); a chroot script (chrooted=true, in the installed system) reports
 * `post`, downloads post.sh and runs it, and reports `failed` with the
 * reason when that fails.
 *
 * SLES needs its modules named: the profile adds Basesystem and
 * Server-Applications from the media (the Full medium carries them) and
 * turns registration off; Leap has one repository and needs neither.
 */
import type { MediaRecord } from '../../../media/media.ts';
import type { AnswerProblem, InstallFamilyModule } from '../../install-family.ts';
import { installerBootPlan } from '../installer-boot.ts';
import { bootif } from '../installer-ipxe.ts';
import { templateFile } from '../template-file.ts';
import { parseXml } from './xml.ts';

const YAST_NS = 'http://www.suse.com/1.0/yast2ns';
const CONFIG_NS = 'http://www.suse.com/1.0/configns';

function slots(media: MediaRecord): Record<string, string> {
  if (media.distro !== 'sles') return { 'add-ons': '', products: '' };
  const modules = [
    ['sle-module-basesystem', '/Module-Basesystem'],
    ['sle-module-server-applications', '/Module-Server-Applications'],
  ];
  return {
    'add-ons': [
      '<suse_register>',
      '  <do_registration config:type="boolean">false</do_registration>',
      '</suse_register>',
      '<add-on>',
      '  <add_on_products config:type="list">',
      ...modules.flatMap(([product, dir]) => [
        '    <listentry>',
        '      <media_url>{{ urls.media | xml }}</media_url>',
        `      <product>${product}</product>`,
        `      <product_dir>${dir}</product_dir>`,
        '    </listentry>',
      ]),
      '  </add_on_products>',
      '</add-on>',
    ].join('\n'),
    products: ['<products config:type="list">', '  <product>SLES</product>', '</products>'].join('\n'),
  };
}

export const autoyast: InstallFamilyModule = {
  family: 'autoyast',
  answerFileName: 'autoinst.xml',
  contentType: 'application/xml; charset=utf-8',

  defaultTemplate(media) {
    return templateFile(import.meta.dirname, 'autoinst.xml.tmpl', slots(media));
  },

  bootScript(boot) {
    const { urls, vars } = boot;
    return installerBootPlan(boot, { args: [`autoyast=${urls.answer}`, `install=${urls.media}`, 'self_update=0', bootif(vars.interface.mac)] });
  },

  check: checkAutoyast,
};

/** Well-formed XML with a <profile> root in YaST's namespace; config:type="boolean" elements say true or false. */
export function checkAutoyast(text: string): AnswerProblem[] {
  const problems: AnswerProblem[] = [];
  let root: { name: string; attributes: Record<string, string>; line: number } | undefined;
  const syntax = parseXml(text, (element) => {
    root = element;
    const type = element.attributes['config:type'];
    if (type === 'boolean' && !['true', 'false'].includes(element.text.trim())) {
      problems.push({ line: element.line, message: `<${element.name} config:type="boolean"> must be true or false, not ${JSON.stringify(element.text.trim())}` });
    }
    if (type === 'integer' && !/^-?\d+$/.test(element.text.trim())) {
      problems.push({ line: element.line, message: `<${element.name} config:type="integer"> must be a whole number, not ${JSON.stringify(element.text.trim())}` });
    }
  });
  if (syntax.length > 0) return syntax;
  // The last element to end is the root.
  if (root?.name !== 'profile') problems.push({ line: root?.line ?? 1, message: `the root element must be <profile>, not <${root?.name}>` });
  else {
    if (root.attributes['xmlns'] !== YAST_NS) problems.push({ line: root.line, message: `<profile> needs xmlns="${YAST_NS}"` });
    if (root.attributes['xmlns:config'] !== CONFIG_NS) problems.push({ line: root.line, message: `<profile> needs xmlns:config="${CONFIG_NS}" (config:type attributes use it)` });
  }
  return problems.sort((a, b) => a.line - b.line);
}

/**
 * ESXi (7.0, 8.0): VMware's weasel installer, driven by an installation
 * script (ks.cfg) in ESXi's own Kickstart dialect.
 *
 * Boot: iPXE starts the media's loader with berth's boot.cfg for this node,
 *   UEFI: <media>/efi/boot/bootx64.efi (mboot.efi) -c <callback>/boot.cfg
 *   BIOS: <media>/mboot.c32 -c <callback>/boot.cfg, which needs an iPXE
 *         built with COMBOOT support (IMAGE_COMBOOT); iPXE's default BIOS
 *         build has none, so BIOS nodes usually cannot start it this way.
 * boot.cfg is the media's own, rewritten (`bootConfig`): prefix= the media
 * URL, so mboot fetches the kernel and modules from there, the leading `/`
 * taken off their paths (prefix applies only to relative ones), and
 * kernelopt= the media's options without cdromBoot, plus
 * ks=<answer> netdevice=<mac> bootproto=dhcp.
 *
 * Callbacks: %pre reports `installing` (busybox wget); %firstboot reports
 * `post`, fetches post.sh with wget and runs it with sh. ESXi skips
 * %firstboot when UEFI Secure Boot is on: such a host's timeline stops at
 * `installing`.
 */
import { BerthError } from '../../../errors.ts';
import type { MediaRecord } from '../../../media/media.ts';
import type { InstallFamilyModule, InstallUrls } from '../../install-family.ts';
import type { InstallVars } from '../../install-vars.ts';
import { installerBootPlan } from '../installer-boot.ts';
import { templateFile } from '../template-file.ts';
import { checkEsxiKickstart } from './check.ts';

/** The file name boot.cfg is served as, beside the answer file. */
export const BOOT_CONFIG = 'boot.cfg';

/** The media's boot.cfg and UEFI loader, from the record's kernel and initrds (whichever lists them), with the ISO's usual paths as the fallback. */
export function esxiBootFiles(media: MediaRecord): { bootConfig: string; uefiLoader: string; biosLoader: string } {
  const files = [media.kernel, ...media.initrds];
  return {
    bootConfig: files.find((f) => /(^|\/)boot\.cfg$/i.test(f)) ?? 'boot.cfg',
    uefiLoader: files.find((f) => /\.efi$/i.test(f)) ?? 'efi/boot/bootx64.efi',
    biosLoader: files.find((f) => /mboot\.c32$/i.test(f)) ?? 'mboot.c32',
  };
}

/**
 * The media's boot.cfg rewritten for a network install of one node:
 * prefix= the media URL, relative kernel= and modules= paths, and
 * kernelopt= with ks=<answer> (and the install NIC when known).
 */
export function bootConfig(original: string, urls: InstallUrls, vars?: Pick<InstallVars, 'interface' | 'node'>): string {
  const out: string[] = [];
  let kernelopt = false;
  const relative = (path: string) => path.trim().replace(/^\/+/, '');
  const extra = [`ks=${urls.answer}`, ...(vars?.interface.mac ? [`netdevice=${vars.interface.mac}`, 'bootproto=dhcp'] : [])];
  for (const raw of original.replace(/\r/g, '').split('\n')) {
    const line = raw.trimEnd();
    const m = /^([A-Za-z_]+)=(.*)$/.exec(line);
    if (!m) {
      out.push(line);
      continue;
    }
    const [, key, value] = m as unknown as [string, string, string];
    if (key === 'prefix') continue;
    if (key === 'title') out.push(`title=berth: ${vars?.node ?? 'node'}: ${value}`, `prefix=${urls.media}`);
    else if (key === 'kernel') out.push(`kernel=${relative(value)}`);
    else if (key === 'modules') out.push(`modules=${value.split('---').map(relative).join(' --- ')}`);
    else if (key === 'kernelopt') {
      kernelopt = true;
      const kept = value.split(/\s+/).filter((o) => o !== '' && !/^cdromBoot$/i.test(o) && !/^(ks|netdevice|bootproto)=/.test(o));
      out.push(`kernelopt=${[...kept, ...extra].join(' ')}`);
    } else out.push(line);
  }
  while (out.at(-1) === '') out.pop();
  if (!out.some((l) => l.startsWith('prefix='))) out.unshift(`prefix=${urls.media}`);
  if (!kernelopt) out.push(`kernelopt=runweasel ${extra.join(' ')}`);
  return `${out.join('\n')}\n`;
}

export const esxi: InstallFamilyModule = {
  family: 'esxi',
  answerFileName: 'ks.cfg',
  contentType: 'text/plain; charset=utf-8',

  defaultTemplate() {
    return templateFile(import.meta.dirname, 'ks.cfg.tmpl');
  },

  bootScript(boot) {
    const { media, urls, firmware } = boot;
    const files = esxiBootFiles(media);
    return installerBootPlan(boot, {
      loader: firmware === 'uefi' ? { name: 'mboot.efi', path: files.uefiLoader } : { name: 'mboot.c32', path: files.biosLoader },
      args: ['-c', `${urls.callback}/${BOOT_CONFIG}`],
      ...(firmware === 'bios' ? { notes: ['ESXi on BIOS needs an iPXE built with COMBOOT support to run mboot.c32; boot the node with UEFI otherwise'] } : {}),
    });
  },

  extraFiles({ media, urls, vars, mediaFile }): Record<string, string> {
    if (!mediaFile) return {};
    const path = esxiBootFiles(media).bootConfig;
    const original = mediaFile(path);
    if (original === undefined) throw new BerthError('BERTH_CONFIG', `media ${media.name} has no ${path}: it is not an ESXi installer tree (re-import it with berth media import)`);
    return { [BOOT_CONFIG]: bootConfig(original, urls, vars) };
  },

  check: checkEsxiKickstart,
};

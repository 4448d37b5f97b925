/**
 * Kickstart: anaconda (RHEL, Rocky, AlmaLinux, CentOS Stream, Fedora).
 *
 * Boot: the media's images/pxeboot kernel and initrd with
 *   inst.ks=<answer> inst.repo=<media> ip=dhcp BOOTIF=01-<mac>
 * (dracut brings the network up on the BOOTIF NIC, anaconda fetches the
 * Kickstart, then stage 2 and the packages from the media tree).
 *
 * Callbacks: %pre reports `installing` and picks the disk; %post (chroot,
 * curl) reports `post`, downloads berth's post.sh and runs it, and reports
 * `failed` with the reason when that fails. Both sections have
 * --erroronfail, so a failure stops anaconda on the console instead of
 * rebooting into a half-installed system.
 */
import type { MediaRecord } from '../../../media/media.ts';
import type { InstallFamilyModule } from '../../install-family.ts';
import { installerBootPlan } from '../installer-boot.ts';
import { bootif } from '../installer-ipxe.ts';
import { majorVersion, templateFile } from '../template-file.ts';
import { checkKickstart } from './check.ts';

const EL_DISTROS = ['rhel', 'rocky', 'almalinux', 'centos', 'centos-stream', 'oraclelinux', 'ol'];

/**
 * NTP moved from `timezone --ntpservers` to `timesource` in RHEL 9 and
 * Fedora 33 (pykickstart F33_Timesource); RHEL 10 no longer has --ntpservers.
 */
export function usesTimesource(media: MediaRecord): boolean {
  const major = majorVersion(media.version);
  if (Number.isNaN(major)) return true;
  if (media.distro === 'fedora') return major >= 33;
  if (EL_DISTROS.includes(media.distro)) return major >= 9;
  return true;
}

export const kickstart: InstallFamilyModule = {
  family: 'kickstart',
  answerFileName: 'ks.cfg',
  contentType: 'text/plain; charset=utf-8',

  defaultTemplate(media) {
    const timezone = usesTimesource(media)
      ? 'timezone {{ timezone }} --utc\n{{#each ntpServers}}\ntimesource --ntp-server={{ . }}\n{{/each}}'
      : 'timezone {{ timezone }} --utc{{#if ntpServers}} --ntpservers={{ ntpServers | join(",") }}{{/if}}';
    return templateFile(import.meta.dirname, 'ks.cfg.tmpl', { timezone });
  },

  bootScript(boot) {
    const { urls, vars } = boot;
    return installerBootPlan(boot, { args: [`inst.ks=${urls.answer}`, `inst.repo=${urls.media}`, 'ip=dhcp', bootif(vars.interface.mac)] });
  },

  check: checkKickstart,
};

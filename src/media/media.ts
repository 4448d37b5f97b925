/**
 * Imported OS installation media: what `berth media import` found on an ISO
 * or a directory and copied into `<state-dir>/media/<name>/`. The record is
 * `media.json` next to the copied files; installers fetch those files over
 * plain HTTP from `/media/<name>/...` (their loaders trust no CA).
 */

/** The record's file name inside each media folder. */
export const MEDIA_RECORD = 'media.json';

/** How a distribution's own installer is driven unattended. */
export const INSTALL_FAMILIES = ['kickstart', 'autoinstall', 'autoyast', 'agama', 'preseed', 'esxi'] as const;
export type InstallFamily = (typeof INSTALL_FAMILIES)[number];

export type MediaArch = 'x86_64' | 'aarch64';

export interface MediaRecord {
  /** Folder name under media/, e.g. rocky-9.4-x86_64; `--name` overrides. */
  name: string;
  /** rhel, rocky, almalinux, centos-stream, fedora, ubuntu, sles, opensuse-leap, debian, esxi. */
  distro: string;
  /** As the media states it: 9.4, 24.04.1, 15.6, 16.0, 12.5, 8.0.2 ... */
  version: string;
  arch: MediaArch;
  family: InstallFamily;
  /** One line for people, from the media's own label (.discinfo, .disk/info, products). */
  label: string;
  /** Installer kernel and initrds, as paths inside the media folder (ESXi: the boot.cfg and its loader instead). */
  kernel: string;
  initrds: string[];
  /**
   * A whole-ISO copy kept beside the tree, for installers that fetch the ISO
   * itself (Ubuntu's `url=`), as a path inside the media folder; absent otherwise.
   */
  iso?: string;
  /** Which marker files identified it and what they said, for `berth media show`. */
  evidence: { file: string; says: string }[];
  source: { path: string; bytes: number; sha256: string };
  imported: string;
}

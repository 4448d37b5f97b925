/**
 * One scripted-install family (Kickstart, Ubuntu autoinstall, AutoYaST,
 * Agama, Debian preseed, ESXi kickstart): how berth boots that installer from
 * imported media, what answer file it renders for a node, and how it checks
 * what it rendered. Families are pure: no server, no store, no sockets; the
 * server hands them URLs and the node's resolved values (InstallVars).
 */
import type { InstallFamily, MediaRecord } from '../media/media.ts';
import type { InstallVars } from './install-vars.ts';

export type Firmware = 'bios' | 'uefi';

export interface InstallUrls {
  /** Plain-HTTP base of the media tree, no trailing slash: http://10.99.0.1:8080/media/debian-12.5-amd64 */
  media: string;
  /** The node's answer file (token in the path, valid while the node is armed). */
  answer: string;
  /** Base for the installer's callbacks (token in the path): `${callback}/report?step=...`, `${callback}/post.sh`. */
  callback: string;
}

/** One thing wrong with a rendered answer file, at a 1-based line. */
export interface AnswerProblem {
  line: number;
  message: string;
}

export interface InstallBootPlan {
  /** A complete iPXE script for the firmware (BIOS via iPXE's pcbios, UEFI via snponly.efi). */
  ipxe: string;
}

export interface InstallFamilyModule {
  family: InstallFamily;
  /** File name the answer file is served as (ks.cfg, user-data, autoinst.xml, profile.json, preseed.cfg, ks.cfg). */
  answerFileName: string;
  /** MIME type it is served with. */
  contentType: string;
  /** The built-in template for this media; a profile's own `answer.tmpl` overrides it. */
  defaultTemplate(media: MediaRecord): string;
  /** iPXE script booting the installer for this node; `kernelArgs` are the profile's own, already evaluated. */
  bootScript(args: { media: MediaRecord; urls: InstallUrls; firmware: Firmware; node: string; kernelArgs: string; vars: InstallVars }): InstallBootPlan;
  /**
   * Other per-node files the installer fetches beside the answer file, by
   * name: Ubuntu's NoCloud `meta-data` (and `vendor-data`), ESXi's rewritten
   * `boot.cfg`. Served under the same token as the answer file.
   */
  extraFiles?(args: {
    media: MediaRecord;
    urls: InstallUrls;
    vars: InstallVars;
    /**
     * Reads a text file of the imported media tree by its path inside it
     * (undefined when there is none), for files made from the media's own:
     * ESXi's boot.cfg is the media's, rewritten. Without it such files are
     * left out.
     */
    mediaFile?: (path: string) => string | undefined;
  }): Record<string, string>;
  /** Syntax problems in a rendered answer file, empty when it is fine; each names a line. */
  check(rendered: string): AnswerProblem[];
}

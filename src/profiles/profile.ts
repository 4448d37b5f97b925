/**
 * A deployment profile: what a node boots when its `deployment.pending_profile`
 * names it. Profiles live in `<state-dir>/profiles/<name>/`, described by
 * `profile.yaml` (profile-file.ts), and come in three kinds that share the name
 * space and the folder:
 *
 * - image profiles (`image:`) boot a packed image version with a boot method;
 *   this is what `berth profile define` makes and `berth deploy` assigns;
 * - install profiles (`media:`) run a distribution's installer from imported
 *   media with a rendered answer file (scripted installs);
 * - kernel profiles (`kernel:`) boot a kernel and initrds kept in the profile
 *   folder itself: the lab's marker profile, or a rescue kernel an
 *   administrator drops in by hand.
 */
import type { ImageRef } from '../images/repository/image-ref.ts';

/**
 * How an image reaches the node (confluent's three diskless/diskful modes):
 * - tethered: the root image stays on berth and is read over the network for
 *   as long as the node runs; nothing is written to the node's disks;
 * - untethered: the root image is copied into RAM at boot, so the node no
 *   longer needs berth once it has booted;
 * - installtodisk: the image is written to the node's disk, later boots come
 *   from the disk.
 */
export const BOOT_METHODS = ['tethered', 'untethered', 'installtodisk'] as const;
export type BootMethod = (typeof BOOT_METHODS)[number];
export const DEFAULT_BOOT_METHOD: BootMethod = 'tethered';

export function isBootMethod(value: string): value is BootMethod {
  return (BOOT_METHODS as readonly string[]).includes(value);
}

/**
 * Script folders in the profile folder, run on the node by name order:
 * post.d once after the image is in place (before the first boot of an
 * installed system), firstboot.d once at the first boot, onboot.d at every boot.
 */
export const SCRIPT_FOLDERS = ['post.d', 'firstboot.d', 'onboot.d'] as const;
export type ScriptFolder = (typeof SCRIPT_FOLDERS)[number];

interface ProfileBase {
  name: string;
  /** Free text for people; '' when none. */
  description: string;
  /** Extra kernel arguments, raw: may hold attribute expressions, evaluated per node at boot. */
  kernelArgs: string;
}

export interface ImageProfile extends ProfileBase {
  kind: 'image';
  /** A fixed version, or `latest`, which is resolved every time a node asks for its boot script. */
  image: ImageRef;
  bootMethod: BootMethod;
}

export interface KernelProfile extends ProfileBase {
  kind: 'kernel';
  /** File names in the profile folder. */
  kernel: string;
  initrds: string[];
}

/**
 * A scripted install: the distribution's own installer from imported media
 * (src/media), driven by an answer file berth renders per node (src/installs).
 * The folder's `answer.tmpl`, when present, replaces the family's template.
 */
export interface InstallProfile extends ProfileBase {
  kind: 'install';
  /** Name of the imported media (berth media list). */
  media: string;
  /** Packages to install beyond the family's minimum. */
  packages: string[];
}

/** File in an install profile's folder that overrides the family's answer file template. */
export const ANSWER_TEMPLATE = 'answer.tmpl';

export type Profile = ImageProfile | KernelProfile | InstallProfile;

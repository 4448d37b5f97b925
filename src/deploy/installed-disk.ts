/**
 * Whether a node that network-boots should be sent to its local disk because
 * the disk already holds what is pending: an install-to-disk deployment that
 * completed. Without this, every reboot of an installed node (PXE first, as
 * on most servers) would install it again.
 *
 * The disk holds the pending profile when the node reported `installed` (the
 * installer does so before it reboots, the installed system at every boot)
 * and that report made the pending profile its current one. `berth deploy`
 * sets `deployment.state=pending`, so deploying again (the same profile or
 * another) network-boots the node once more. A `failed` state never boots
 * the disk: an install that stopped half way left nothing bootable.
 */
import type { BootMethod } from '../profiles/profile.ts';

export interface NodeDeployment {
  pendingProfile: string;
  /** deployment.profile: set from the pending one by the node's `installed` or `booted` report. */
  profile?: string | undefined;
  state?: string | undefined;
}

/** Why the node boots its disk (for the script and the timeline), or undefined: it boots its pending profile. */
export function installedDiskReason(node: NodeDeployment, bootMethod: BootMethod): string | undefined {
  if (bootMethod !== 'installtodisk') return undefined;
  if (node.state !== 'installed' || node.profile !== node.pendingProfile) return undefined;
  return `profile ${node.pendingProfile} is installed on its disk (berth deploy again to reinstall)`;
}

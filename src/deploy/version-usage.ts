/**
 * Which nodes use which version of an image: through the profile they boot
 * next (`deployment.pending_profile`) or the one they run
 * (`deployment.profile`). A profile bound to `latest` uses whatever version
 * is newest now. This is what stops `image remove` from pulling a version
 * out from under running nodes.
 */
import { compressNodes } from '../inventory/noderange/index.ts';
import type { Inventory } from '../inventory/inventory.ts';
import { profileUsage } from '../profiles/profile-usage.ts';
import type { ProfileRepository } from '../profiles/profile-repository.ts';
import type { ImageRepository } from '../images/repository/image-repository.ts';

export interface VersionUsers {
  /** Nodes running it now, and nodes that will boot it next. */
  deployed: string[];
  pending: string[];
  /** Profiles that bind to it (fixed or through `latest`). */
  profiles: string[];
  /** All of the nodes, compressed: `n[1-40]`. */
  noderange: string;
}

export async function versionUsage(inventory: Inventory, profiles: ProfileRepository, images: ImageRepository, image: string): Promise<Record<number, VersionUsers>> {
  const latest = (await images.versionNumbers(image)).at(-1);
  const out: Record<number, VersionUsers> = {};
  for (const [profileName, nodes] of profileUsage(inventory)) {
    const profile = await profiles.read(profileName).catch(() => undefined);
    if (!profile || profile.kind !== 'image' || profile.image.name !== image) continue;
    const version = profile.image.version === 'latest' ? latest : profile.image.version;
    if (version === undefined) continue;
    const users = (out[version] ??= { deployed: [], pending: [], profiles: [], noderange: '' });
    users.deployed.push(...nodes.deployed);
    users.pending.push(...nodes.pending);
    users.profiles.push(profileName);
  }
  for (const users of Object.values(out)) {
    users.deployed = [...new Set(users.deployed)];
    users.pending = [...new Set(users.pending)];
    users.noderange = compressNodes([...new Set([...users.deployed, ...users.pending])]);
  }
  return out;
}

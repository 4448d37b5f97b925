/**
 * The two deployment questions the boot path and the node API ask, answered
 * once: what does node X boot now (its pending profile, its disk, or an
 * installer), and which image versions may it have the keys of (its pending
 * and its current profile's). Boot HTTP asks the first at every boot, the
 * node API the second at every secret request; they used to decide it each
 * in their own way.
 *
 * Profiles are read at every call: an edited profile or a newly packed
 * `latest` applies to the next boot.
 */
import { BerthError } from '../errors.ts';
import type { ImageRepository } from '../images/repository/image-repository.ts';
import { compileExpression } from '../inventory/expressions/index.ts';
import type { Inventory } from '../inventory/inventory.ts';
import { profileBoot } from '../profiles/profile-boot.ts';
import type { ProfileBoot } from '../profiles/profile-boot.ts';
import type { ProfileRepository } from '../profiles/profile-repository.ts';
import { readDeployment } from './deployment.ts';
import type { InstallTokens } from './install-tokens.ts';
import { installedDiskReason } from './installed-disk.ts';

export interface BootChoiceDeps {
  inventory: Inventory;
  profiles: ProfileRepository;
  images: ImageRepository;
  installTokens: InstallTokens;
}

export type BootChoice =
  /** Boot this profile's kernel, initrds and arguments. */
  | { boot: ProfileBoot; kernelArgs: string }
  /** Boot the local disk, and why; `profileError` when the pending profile cannot be booted. */
  | { local: string; profileError?: { profile: string; reason: string } }
  /** Chain to the installer of a deployed scripted install. */
  | { install: { profile: string; token: string } };

export async function bootChoice(deps: BootChoiceDeps, node: string): Promise<BootChoice> {
  const { inventory, profiles, images, installTokens } = deps;
  const resolver = inventory.resolver();
  const deployment = readDeployment(inventory, node, resolver);
  if (!deployment) return { local: 'no longer in the inventory' };
  const pending = deployment.pending;
  if (!pending) return { local: 'no deployment is pending' };
  try {
    const profile = await profiles.read(pending);
    if (profile.kind === 'image' || profile.kind === 'install') {
      const method = profile.kind === 'image' ? profile.bootMethod : 'installtodisk';
      const onDisk = installedDiskReason({ pendingProfile: pending, profile: deployment.current, state: deployment.state }, method);
      if (onDisk) return { local: onDisk };
    }
    if (profile.kind === 'install') {
      const token = await installTokens.token(node, pending);
      if (!token) return { local: `profile ${pending} is a scripted install that was not deployed to it (berth deploy ${node} ${pending})` };
      return { install: { profile: pending, token } };
    }
    const boot = await profileBoot(profile, profiles.folder(pending), images);
    const record = inventory.requireNode(node);
    const own = compileExpression(profile.kernelArgs).evaluate({ node, attribute: (a) => resolver.value(record, a) });
    return { boot, kernelArgs: [boot.berthArgs, own].filter((a) => a !== '').join(' ') };
  } catch (e) {
    if (!(e instanceof BerthError)) throw e;
    return { local: `profile ${pending} cannot be booted: ${e.message}`, profileError: { profile: pending, reason: e.message } };
  }
}

export interface EntitledVersion {
  profile: string;
  role: 'pending' | 'current';
  image: string;
  version: number;
  method: string;
  berthArgs: string;
}

/**
 * The image versions `node` is entitled to: its pending profile's (what it
 * boots next) and its current profile's (what it runs, so a running node can
 * still reopen its root). A profile that cannot be read or booted entitles
 * it to nothing.
 */
export async function entitledVersions(deps: Omit<BootChoiceDeps, 'installTokens'>, node: string): Promise<EntitledVersion[]> {
  const { inventory, profiles, images } = deps;
  const deployment = readDeployment(inventory, node);
  if (!deployment) return [];
  const out: EntitledVersion[] = [];
  for (const [name, role] of [[deployment.pending, 'pending'], [deployment.current, 'current']] as const) {
    if (!name) continue;
    const profile = await profiles.read(name).catch(() => undefined);
    if (!profile || profile.kind !== 'image') continue;
    const boot = await profileBoot(profile, profiles.folder(name), images).catch(() => undefined);
    if (boot?.files.from !== 'image') continue;
    out.push({ profile: name, role, image: boot.files.image, version: boot.files.version, method: profile.bootMethod, berthArgs: boot.berthArgs });
  }
  return out;
}

/**
 * `berth deploy <noderange> <profile>`: the nodes' next network boot brings
 * up that profile. It sets what the boot services and the node API read,
 * in one inventory change: `deployment.pending_profile`, `deployment.armed`
 * (so the node can get its key) and `deployment.state=pending`.
 *
 * Checked first, so nothing is armed for a deployment that cannot boot: the
 * profile exists and resolves to a packed version now, and no node is
 * `deployment.lock=locked`. A scripted install also renders every node's
 * answer file first (a node missing its disk or address is named), then
 * starts a new install deployment, whose token the installer's URLs carry.
 */
import { BerthError } from '../errors.ts';
import { compressNodes } from '../inventory/noderange/index.ts';
import type { Inventory } from '../inventory/inventory.ts';
import type { ImageRepository } from '../images/repository/image-repository.ts';
import { profileBoot } from '../profiles/profile-boot.ts';
import type { ProfileRepository } from '../profiles/profile-repository.ts';
import type { InstallService } from '../installs/install-service.ts';
import { DEPLOYMENT, deploymentOf } from './deployment.ts';
import type { InstallTokens } from './install-tokens.ts';
import { armingState } from './arming.ts';

export interface DeploymentStarted {
  nodes: string[];
  noderange: string;
  profile: string;
  /** What the profile boots now, e.g. compute@4 (a `latest` profile may boot a newer one later). */
  boots: string;
  arm: string;
}

/** What a deployment reads and writes; the composition root's Services is one. */
export interface DeploymentDeps {
  inventory: Inventory;
  profiles: ProfileRepository;
  images: ImageRepository;
  installs: InstallService;
  installTokens: InstallTokens;
}

export async function startDeployment(
  deps: DeploymentDeps,
  request: { range: string; profile: string; arm: string },
): Promise<DeploymentStarted> {
  const { inventory, profiles, images, installs, installTokens } = deps;
  const { range, profile: profileName, arm } = request;
  const nodes = inventory.expand(range);
  if (nodes.length === 0) throw new BerthError('BERTH_NOT_FOUND', `'${range}' selects no nodes`);
  const arming = armingState(arm);
  if (!arming.armed) throw new BerthError('BERTH_BAD_INPUT', `--arm ${arm}: ${arming.why}; use once, continuous or until=<ISO time in the future>`);
  const profile = await profiles.read(profileName);
  const boot = await profileBoot(profile, profiles.folder(profileName), images);
  const resolver = inventory.resolver();
  const locked = nodes.filter((n) => deploymentOf(inventory, n, resolver).lock === 'locked');
  if (locked.length > 0) {
    throw new BerthError('BERTH_CONFLICT', `deployment.lock is locked on ${compressNodes(locked)}; unlock them first (berth node set ${compressNodes(locked)} deployment.lock=unlocked)`);
  }
  if (profile.kind === 'install') {
    // Every node's answer file renders and passes its family's checker, or nothing is armed.
    await installs.preflight(profileName, nodes);
    await installTokens.begin(nodes, profileName);
  }
  await inventory.changeNodes(nodes, { set: { [DEPLOYMENT.pending]: profileName, [DEPLOYMENT.armed]: arm, [DEPLOYMENT.state]: 'pending' } });
  const boots =
    boot.files.from === 'image' ? `${boot.files.image}@${boot.files.version}` : boot.files.from === 'media' ? `the installer of ${boot.files.media}` : `kernel profile ${profileName}`;
  return { nodes, noderange: compressNodes(nodes), profile: profileName, boots, arm };
}

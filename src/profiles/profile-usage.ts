/**
 * Which nodes name which profile: in `deployment.pending_profile` (what they
 * boot next) or `deployment.profile` (what they run now). One pass resolves
 * both attributes for every node, so `profile list` costs the same for one
 * profile or a hundred (the resolver does 100k nodes in well under a second).
 */
import { BerthError } from '../errors.ts';
import type { Inventory } from '../inventory/inventory.ts';

export interface ProfileUsage {
  /** Node names, in inventory (natural) order. */
  pending: string[];
  deployed: string[];
}

export function profileUsage(inventory: Inventory): Map<string, ProfileUsage> {
  const usage = new Map<string, ProfileUsage>();
  const entry = (profile: string): ProfileUsage => {
    let found = usage.get(profile);
    if (!found) usage.set(profile, (found = { pending: [], deployed: [] }));
    return found;
  };
  const resolver = inventory.resolver();
  for (const name of inventory.nodeNames()) {
    const node = inventory.node(name)!;
    const pending = valueOf(() => resolver.value(node, 'deployment.pending_profile'));
    const deployed = valueOf(() => resolver.value(node, 'deployment.profile'));
    if (pending) entry(pending).pending.push(name);
    if (deployed) entry(deployed).deployed.push(name);
  }
  return usage;
}

export function usageOf(inventory: Inventory, profile: string): ProfileUsage {
  return profileUsage(inventory).get(profile) ?? { pending: [], deployed: [] };
}

/** A value that cannot be evaluated for a node names no profile (its boot script says why). */
function valueOf(read: () => string | undefined): string | undefined {
  try {
    return read();
  } catch (e) {
    if (e instanceof BerthError) return undefined;
    throw e;
  }
}

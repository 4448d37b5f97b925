/** How the profile commands print an image reference and what it resolves to now. */
import type { ProfileView } from '../../profiles/profile-service.ts';

/**
 * What a profile boots: `compute@latest (now compute@4)`, `compute@3`,
 * `kernel vmlinuz`, `installs from media deb12 (+curl)`; and why it cannot
 * boot now, if it cannot.
 */
export function describeResolution(profile: ProfileView): string {
  const ref = profile.image ?? (profile.kind === 'install' ? installsFrom(profile) : `kernel ${profile.kernel}`);
  if (profile.resolvesTo && profile.resolvesTo.ref !== ref) return `${ref} (now ${profile.resolvesTo.ref})`;
  if (profile.problem !== undefined) return `${ref} (cannot boot now: ${profile.problem})`;
  return ref;
}

function installsFrom(profile: ProfileView): string {
  const packages = profile.packages ?? [];
  return `installs from media ${profile.media}${packages.length > 0 ? ` (+${packages.join(',')})` : ''}`;
}

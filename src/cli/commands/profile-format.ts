/** How the profile commands print an image reference and what it resolves to now. */
import type { ProfileView } from '../../profiles/profile-service.ts';

/** `compute@latest (now compute@4)`, `compute@3`, or the reference and why it cannot boot now. */
export function describeResolution(profile: ProfileView): string {
  const ref = profile.image ?? `kernel ${profile.kernel}`;
  if (profile.resolvesTo && profile.resolvesTo.ref !== ref) return `${ref} (now ${profile.resolvesTo.ref})`;
  if (profile.problem !== undefined) return `${ref} (cannot boot now: ${profile.problem})`;
  return ref;
}

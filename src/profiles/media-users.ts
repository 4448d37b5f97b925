/**
 * Which profiles install from which imported media: what `media list/show`
 * print and what `media remove` refuses to pull from under.
 */
import type { ProfileRepository } from './profile-repository.ts';

/** Profiles (valid ones) that install from `media`. */
export async function profilesUsing(profiles: ProfileRepository, media: string): Promise<string[]> {
  const users: string[] = [];
  for (const name of await profiles.names()) {
    const profile = await profiles.read(name).catch(() => undefined);
    if (profile?.kind === 'install' && profile.media === media) users.push(name);
  }
  return users;
}

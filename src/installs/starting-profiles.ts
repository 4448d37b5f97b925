/**
 * The profile `berth media import` leaves behind for new media:
 * `<media>-default`, installing with the family's built-in answer file,
 * a copy of which is put in the folder as answer.tmpl so a site sees what it
 * may change. An existing profile of that name is never touched: an
 * administrator's edits outlive a re-import.
 */
import type { MediaRecord } from '../media/media.ts';
import { ANSWER_TEMPLATE } from '../profiles/profile.ts';
import type { InstallProfile } from '../profiles/profile.ts';
import type { ProfileRepository } from '../profiles/profile-repository.ts';
import { familyModule } from './families/index.ts';

export async function startingProfiles(media: MediaRecord, profiles: ProfileRepository): Promise<{ created: string[]; kept: string[] }> {
  const name = `${media.name}-default`;
  if (await profiles.exists(name)) return { created: [], kept: [name] };
  const profile: InstallProfile = {
    kind: 'install',
    name,
    description: `${media.label}: unattended install with the ${media.family} answer file`,
    kernelArgs: '',
    media: media.name,
    packages: [],
  };
  const module = familyModule(media.family);
  await profiles.create(profile, { [ANSWER_TEMPLATE]: module.defaultTemplate(media) });
  return { created: [name], kept: [] };
}

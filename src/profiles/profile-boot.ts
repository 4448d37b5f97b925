/**
 * What a profile boots at this moment: the kernel and initrds, where they
 * are served from, and the arguments berth puts before the profile's own.
 * An image profile's reference is resolved here, each time a node asks for
 * its boot script, so `compute@latest` boots the version packed a minute ago
 * and the node is told the fixed version it got (`berth.image=compute@4`).
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthError } from '../errors.ts';
import { VERSION_FILES } from '../images/repository/image-layout.ts';
import type { ImageRepository } from '../images/repository/image-repository.ts';
import type { VersionMetadata } from '../images/repository/version-metadata.ts';
import { MEDIA_RECORD } from '../media/media.ts';
import { PROFILE_FILE } from './profile-file.ts';
import { berthKernelArgs } from './kernel-args.ts';
import type { Profile } from './profile.ts';

export interface ProfileBoot {
  profile: Profile;
  /** The profile's own folder (kernel profiles), or an image version's folder. */
  /** Install profiles boot their media's installer, chosen per node and firmware by src/installs: kernel and initrds stay empty here. */
  files: { from: 'profile' } | { from: 'image'; image: string; version: number; metadata: VersionMetadata } | { from: 'media'; media: string };
  kernel: string;
  initrds: string[];
  /** Arguments for the node side, put before the profile's own; '' for kernel profiles. */
  berthArgs: string;
}

/**
 * Throws BERTH_NOT_FOUND when the image or version is gone, BERTH_CORRUPT
 * when it is damaged, BERTH_CONFIG when a kernel profile's file is missing.
 */
export async function profileBoot(profile: Profile, profileDir: string, images: ImageRepository): Promise<ProfileBoot> {
  if (profile.kind === 'image') {
    const metadata = await images.resolve(profile.image);
    const version = { name: metadata.name, version: metadata.version };
    return {
      profile,
      files: { from: 'image', image: metadata.name, version: metadata.version, metadata },
      kernel: VERSION_FILES.kernel,
      initrds: [VERSION_FILES.initramfs],
      berthArgs: berthKernelArgs(profile.name, version, profile.bootMethod),
    };
  }
  if (profile.kind === 'install') {
    const found = await stat(join(images.state.media, profile.media, MEDIA_RECORD)).catch(() => undefined);
    if (!found?.isFile()) throw new BerthError('BERTH_NOT_FOUND', `profile '${profile.name}' installs from media '${profile.media}', which is not imported (berth media list)`);
    return { profile, files: { from: 'media', media: profile.media }, kernel: '', initrds: [], berthArgs: '' };
  }
  for (const part of [profile.kernel, ...profile.initrds]) {
    const found = await stat(join(profileDir, part)).catch(() => undefined);
    if (!found?.isFile()) {
      const file = join(profileDir, PROFILE_FILE);
      throw new BerthError('BERTH_CONFIG', `${file}: ${part} is missing from ${profileDir}`, { file });
    }
  }
  return { profile, files: { from: 'profile' }, kernel: profile.kernel, initrds: profile.initrds, berthArgs: '' };
}

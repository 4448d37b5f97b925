/**
 * A family's boot plan from what differs per family: every family boots the
 * media's kernel and initrds from the media tree (ESXi: a loader that fetches
 * its own modules), names the node and the media in the script, asks berth
 * again on failure, and puts the profile's own kernel arguments last. Only
 * the installer's own arguments (and ESXi's loader and note) are the
 * family's; the script itself is `installerScript`'s.
 */
import type { InstallBootPlan, InstallFamilyModule } from '../install-family.ts';
import { argumentWords, baseName, installerScript, mediaUrl, retryUrl } from './installer-ipxe.ts';

/** What `bootScript` is given: the media, the node's URLs, its firmware and name, the profile's kernel arguments. */
export type BootScriptArgs = Parameters<InstallFamilyModule['bootScript']>[0];

export interface FamilyBoot {
  /** The installer's own kernel arguments, in order, before the profile's (an empty string is left out). */
  args: string[];
  /** A loader (path in the media tree, `--name` it gets) booted instead of the media's kernel and initrds: ESXi's mboot fetches its modules itself. */
  loader?: { name: string; path: string };
  /** Lines printed before booting (explanations, not commands). */
  notes?: string[];
}

export function installerBootPlan({ media, urls, firmware, node, kernelArgs }: BootScriptArgs, family: FamilyBoot): InstallBootPlan {
  const { loader } = family;
  return {
    ipxe: installerScript({
      node,
      what: media.name,
      firmware,
      kernel: loader ? { name: loader.name, url: mediaUrl(urls, loader.path) } : { name: baseName(media.kernel), url: mediaUrl(urls, media.kernel) },
      initrds: loader ? [] : media.initrds.map((path) => ({ name: baseName(path), url: mediaUrl(urls, path) })),
      args: [...family.args, ...argumentWords(kernelArgs)],
      retry: retryUrl(urls, firmware),
      ...(family.notes ? { notes: family.notes } : {}),
    }),
  };
}

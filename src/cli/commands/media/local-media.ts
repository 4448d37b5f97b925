/**
 * `media import` and `media remove` work on the media files of the server
 * on this host (its state dir), like the image commands that write: an import
 * copies gigabytes that have no business crossing the API. `media list` and
 * `media show` only read, and ask the server (api/routes/media.ts), so they
 * work with --server too.
 */
import { stat } from 'node:fs/promises';
import { BerthError } from '../../../errors.ts';
import { MediaRepository } from '../../../media/media-repository.ts';
import { ProfileRepository } from '../../../profiles/profile-repository.ts';
import { prepareStateDir } from '../../../state/state-dir.ts';
import type { CommandContext } from '../../command.ts';

export async function localMedia(context: CommandContext, opts: { write?: boolean } = {}): Promise<{ media: MediaRepository; profiles: ProfileRepository }> {
  if (context.values['server'] !== undefined || (process.env['BERTH_SERVER'] ?? '') !== '') {
    throw new BerthError('BERTH_BAD_INPUT', 'media commands work on the berth server host itself (they read and write its media files); run them there, without --server');
  }
  if (opts.write && process.getuid?.() !== 0) throw new BerthError('BERTH_FORBIDDEN', 'this media command needs root: it writes the server state dir');
  if (!opts.write && !(await stat(context.stateDir).catch(() => undefined))) {
    throw new BerthError('BERTH_NOT_FOUND', `no berth state dir at ${context.stateDir} (pass --state-dir, or set BERTH_STATE_DIR)`);
  }
  const { layout } = await prepareStateDir(context.stateDir);
  return { media: new MediaRepository(layout), profiles: new ProfileRepository(layout.profiles) };
}

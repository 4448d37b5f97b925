/**
 * Image commands that write work on the image files of the server on this
 * host (its state dir), because building, packing and unpacking move
 * gigabytes that have no business crossing the API. They need root, like the
 * tools they run. The read-only ones (list, show, versions, diff) ask the
 * server (api/routes/images.ts), so they work with --server too.
 */
import { stat } from 'node:fs/promises';
import { BerthError } from '../../../errors.ts';
import { ImageRepository } from '../../../images/repository/image-repository.ts';
import { prepareStateDir } from '../../../state/state-dir.ts';
import type { CommandContext } from '../../command.ts';

export async function localImages(context: CommandContext, opts: { write?: boolean } = {}): Promise<ImageRepository> {
  if (context.values['server'] !== undefined || (process.env['BERTH_SERVER'] ?? '') !== '') {
    throw new BerthError('BERTH_BAD_INPUT', 'image commands work on the berth server host itself (they read and write its image files); run them there, without --server');
  }
  if (opts.write && process.getuid?.() !== 0) {
    throw new BerthError('BERTH_FORBIDDEN', 'this image command needs root: it creates files owned by many users, mounts and runs namespaces');
  }
  if (!opts.write && !(await stat(context.stateDir).catch(() => undefined))) {
    throw new BerthError('BERTH_NOT_FOUND', `no berth state dir at ${context.stateDir} (pass --state-dir, or set BERTH_STATE_DIR)`);
  }
  const { layout } = await prepareStateDir(context.stateDir);
  return new ImageRepository(layout);
}

/** Progress lines on stderr, so stdout stays the result (and --json stays parseable). */
export function progress(): (text: string) => void {
  return (text) => process.stderr.write(`berth: ${text}\n`);
}

export function commandLine(): string {
  return ['berth', ...process.argv.slice(2)].map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');
}

import { BerthError } from '../../../errors.ts';
import { packImage } from '../../../images/pack/pack-image.ts';
import type { CommandContext } from '../../command.ts';
import { printJson } from '../../output.ts';
import { commandLine, localImages, progress } from './local-images.ts';

export const options = { level: { type: 'string' as const, value: '1-22', description: 'zstd compression level of the squashfs (higher: smaller, slower to pack)' } };

export async function run(context: CommandContext): Promise<void> {
  const [name, extra] = context.positionals;
  if (name === undefined || extra !== undefined) throw new BerthError('BERTH_BAD_INPUT', 'usage: berth image pack <name> [--level 1-22]');
  const levelText = context.values['level'] as string | undefined;
  if (levelText !== undefined && !/^[0-9]{1,2}$/.test(levelText)) throw new BerthError('BERTH_BAD_INPUT', `--level ${levelText}: give a zstd level from 1 to 22`);
  const epochText = process.env['SOURCE_DATE_EPOCH'];
  if (epochText !== undefined && epochText !== '' && !/^[0-9]{1,12}$/.test(epochText)) throw new BerthError('BERTH_BAD_INPUT', `SOURCE_DATE_EPOCH='${epochText}' is not a number of seconds`);
  const repo = await localImages(context, { write: true });
  const say = progress();
  const metadata = await packImage(repo, name, {
    ...(levelText !== undefined ? { level: Number(levelText) } : {}),
    ...(epochText ? { sourceDateEpoch: Number(epochText) } : {}),
    command: commandLine(),
    progress: (step, seconds) => say(`${step}: ${seconds.toFixed(1)} s`),
  });
  if (context.json) return printJson(metadata);
  const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
  process.stdout.write(
    `packed ${name}@${metadata.version} in ${metadata.squashfs.packSeconds.toFixed(1)} s: ${mib(metadata.artifact.bytes)} ` +
      `(squashfs zstd-${metadata.squashfs.level} ${mib(metadata.squashfs.bytes)}, ${metadata.manifest.packages} packages, kernel ${metadata.boot.kernelVersion})\n` +
      `verity root hash ${metadata.verity.rootHash}\n`,
  );
}

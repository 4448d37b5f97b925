import { BerthError } from '../../../errors.ts';
import { buildImage } from '../../../images/build/build-image.ts';
import type { CommandContext } from '../../command.ts';
import { printJson } from '../../output.ts';
import { localImages, progress } from './local-images.ts';

export const options = {
  distro: { type: 'string' as const, value: 'ID', description: 'the distribution to build, such as debian-12' },
  arch: { type: 'string' as const, value: 'ARCH', description: "CPU architecture (default: this machine's)" },
  packages: { type: 'string' as const, multiple: true, value: 'a,b', description: 'packages to add to the base system' },
  mirror: { type: 'string' as const, value: 'URL', description: 'package repository to build from' },
  'package-cache': { type: 'string' as const, value: 'DIR', description: 'keep downloaded packages here for the next build' },
};

export async function run(context: CommandContext): Promise<void> {
  const [name, extra] = context.positionals;
  const distro = context.values['distro'] as string | undefined;
  if (name === undefined || extra !== undefined || distro === undefined) {
    throw new BerthError('BERTH_BAD_INPUT', 'usage: berth image build <name> --distro ID [--packages a,b]... [--arch ARCH] [--mirror URL]');
  }
  const packages = ((context.values['packages'] as string[] | undefined) ?? []).flatMap((p) => p.split(/[,\s]+/)).filter((p) => p !== '');
  const repo = await localImages(context, { write: true });
  const say = progress();
  const started = Date.now();
  const tree = await buildImage(repo, name, {
    distro,
    packages,
    ...(context.values['arch'] ? { arch: context.values['arch'] as string } : {}),
    ...(context.values['mirror'] ? { mirror: context.values['mirror'] as string } : {}),
    ...(context.values['package-cache'] ? { packageCache: context.values['package-cache'] as string } : {}),
    progress: say,
  });
  if (context.json) return printJson({ ...tree, root: repo.layout(name).treeRoot, seconds: (Date.now() - started) / 1000 });
  process.stdout.write(`built image ${name} (${tree.distro}, ${tree.arch}) in ${((Date.now() - started) / 1000).toFixed(0)} s: ${repo.layout(name).treeRoot}\nnext: berth image pack ${name}\n`);
}

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthError } from '../../../errors.ts';
import { parseImageRef } from '../../../images/repository/image-ref.ts';
import type { CommandContext } from '../../command.ts';
import { printJson } from '../../output.ts';
import { localImages } from './local-images.ts';

export const options = { packages: { type: 'boolean' as const } };

export async function run(context: CommandContext): Promise<void> {
  const [ref, extra] = context.positionals;
  if (ref === undefined || extra !== undefined) throw new BerthError('BERTH_BAD_INPUT', 'usage: berth image show <name>[@n|@latest] [--packages]');
  const repo = await localImages(context);
  const parsed = parseImageRef(ref);
  if (!ref.includes('@')) {
    const tree = await repo.tree(parsed.name);
    const numbers = await repo.versionNumbers(parsed.name);
    if (!tree && numbers.length === 0) throw new BerthError('BERTH_NOT_FOUND', `image '${parsed.name}' does not exist`);
    if (numbers.length === 0) {
      if (context.json) return printJson({ name: parsed.name, tree, versions: [] });
      process.stdout.write(`image ${parsed.name}: tree only (${tree!.origin}${tree!.distro ? `, ${tree!.distro}` : ''}), no version packed yet\n`);
      return;
    }
  }
  const m = await repo.resolve(parsed);
  const dir = repo.layout(m.name).versionDir(m.version);
  const packages = context.values['packages'] ? JSON.parse(await readFile(join(dir, m.manifest.file), 'utf8')).packages : undefined;
  if (context.json) return printJson({ ...m, ...(packages ? { packages } : {}) });
  const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
  const lines = [
    `image      ${m.name}@${m.version}`,
    `created    ${m.created} by ${m.builtBy.user}@${m.builtBy.host} (berth ${m.builtBy.berth}): ${m.builtBy.command}`,
    `source     ${m.source.origin}${m.source.distro ? ` ${m.source.distro}` : ''}${m.source.arch ? ` ${m.source.arch}` : ''}${m.source.packages?.length ? ` +${m.source.packages.join(',')}` : ''}${m.source.capturedFrom ? ` from node ${m.source.capturedFrom.node}` : ''}`,
    `parent     ${m.parent ? `${m.parent.name}@${m.parent.version}` : '-'}`,
    `kernel     ${m.boot.kernelVersion}`,
    `packages   ${m.manifest.packages} (${m.manifest.format})`,
    `files      ${m.files.count}, ${mib(m.files.bytes)}`,
    `squashfs   zstd level ${m.squashfs.level}, ${mib(m.squashfs.bytes)}, sha256 ${m.squashfs.sha256}`,
    `encryption ${m.crypt.cipher}, ${m.crypt.keyBytes * 8}-bit key, sector ${m.crypt.sectorSize}${m.crypt.ivLargeSectors ? ' --iv-large-sectors' : ''}`,
    `verity     root ${m.verity.rootHash}, ${m.verity.dataBlocks} blocks, hash at ${m.verity.hashOffset}`,
    `artifact   ${join(dir, m.artifact.file)} ${mib(m.artifact.bytes)}`,
  ];
  if (packages) lines.push('', ...packages.map((p: { name: string; version: string; arch: string; source: string; sourceVersion: string }) => `${p.name} ${p.version} ${p.arch} (source ${p.source} ${p.sourceVersion})`));
  process.stdout.write(lines.join('\n') + '\n');
}

import { BerthError } from '../../../errors.ts';
import { parseImageRef } from '../../../images/repository/image-ref.ts';
import type { VersionMetadata } from '../../../images/repository/version-metadata.ts';
import type { CommandContext } from '../../command.ts';
import { printJson } from '../../output.ts';

export const options = { packages: { type: 'boolean' as const, description: 'also list every package with its version and source' } };

/** Through the API (the local socket, or --server): the server owns its image files. */
export async function run(context: CommandContext): Promise<void> {
  const [ref, extra] = context.positionals;
  if (ref === undefined || extra !== undefined) throw new BerthError('BERTH_BAD_INPUT', 'usage: berth image show <name>[@n|@latest] [--packages]');
  const parsed = parseImageRef(ref);
  const client = context.client();
  const image = `/api/v1/images/${encodeURIComponent(parsed.name)}`;
  if (!ref.includes('@')) {
    const { tree, versions } = await client.get(image);
    if (versions.length === 0) {
      if (context.json) return printJson({ name: parsed.name, tree, versions: [] });
      process.stdout.write(`image ${parsed.name}: tree only (${tree!.origin}${tree!.distro ? `, ${tree!.distro}` : ''}), no version packed yet\n`);
      return;
    }
  }
  const shown = (await client.get(`${image}/versions/${parsed.version}`, { packages: context.values['packages'] === true || undefined })) as VersionMetadata & {
    artifactPath: string;
    packages?: { name: string; version: string; arch: string; source: string; sourceVersion: string }[];
  };
  const { artifactPath, packages, ...m } = shown;
  if (context.json) return printJson(shown);
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
    `artifact   ${artifactPath} ${mib(m.artifact.bytes)}`,
  ];
  if (packages) lines.push('', ...packages.map((p) => `${p.name} ${p.version} ${p.arch} (source ${p.source} ${p.sourceVersion})`));
  process.stdout.write(lines.join('\n') + '\n');
}

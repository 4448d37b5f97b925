import type { CommandContext } from '../../command.ts';
import { printJson, printTable } from '../../output.ts';
import { localImages } from './local-images.ts';

export async function run(context: CommandContext): Promise<void> {
  const repo = await localImages(context);
  const rows = [];
  for (const name of await repo.names()) {
    const tree = await repo.tree(name).catch(() => undefined);
    const versions = await repo.versions(name);
    const latest = versions.filter((v) => 'metadata' in v).at(-1);
    rows.push({
      name,
      tree: tree ? { origin: tree.origin, distro: tree.distro ?? null, modified: tree.modified } : null,
      versions: versions.length,
      damaged: versions.filter((v) => 'damaged' in v).map((v) => v.version),
      latest: latest && 'metadata' in latest ? { version: latest.version, created: latest.metadata.created, bytes: latest.metadata.artifact.bytes } : null,
    });
  }
  if (context.json) return printJson(rows);
  printTable(
    ['IMAGE', 'LATEST', 'VERSIONS', 'SIZE', 'TREE', 'DISTRO'],
    rows.map((r) => [
      r.name,
      r.latest ? `@${r.latest.version}` : '-',
      String(r.versions) + (r.damaged.length > 0 ? ` (${r.damaged.length} damaged)` : ''),
      r.latest ? `${(r.latest.bytes / 1048576).toFixed(0)} MiB` : '-',
      r.tree ? r.tree.origin : '-',
      r.tree?.distro ?? '-',
    ]),
  );
}

import type { CommandContext } from '../../command.ts';
import { printJson, printTable } from '../../output.ts';

interface ImageRow {
  name: string;
  tree: { origin: string; distro: string | null; modified: string } | null;
  versions: number;
  damaged: number[];
  latest: { version: number; created: string; bytes: number } | null;
}

/** Through the API (the local socket, or --server): the server owns its image files. */
export async function run(context: CommandContext): Promise<void> {
  const rows = (await context.client().get('/api/v1/images')) as ImageRow[];
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

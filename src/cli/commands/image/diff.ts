import { BerthError } from '../../../errors.ts';
import type { ImageDiff } from '../../../images/diff/image-diff.ts';
import { parseImageRef } from '../../../images/repository/image-ref.ts';
import type { CommandContext } from '../../command.ts';
import { printJson } from '../../output.ts';

export const options = { limit: { type: 'string' as const, value: 'N', description: 'list at most N changed files (default 30; --json lists them all)' } };

export async function run(context: CommandContext): Promise<void> {
  const [a, b, extra] = context.positionals;
  if (a === undefined || b === undefined || extra !== undefined) throw new BerthError('BERTH_BAD_INPUT', 'usage: berth image diff <name>@<n> <name>@<m> [--limit N]');
  const limit = context.values['limit'] === undefined ? 30 : Number(context.values['limit']);
  if (!Number.isInteger(limit) || limit < 0) throw new BerthError('BERTH_BAD_INPUT', `--limit ${context.values['limit']}: give a whole number`);
  const from = parseImageRef(a);
  // Through the API (the local socket, or --server): the server owns its image files.
  const diff = (await context.client().get(`/api/v1/images/${encodeURIComponent(from.name)}/versions/${from.version}/diff`, { to: b, limit: String(limit) })) as ImageDiff;
  if (context.json) return printJson(diff);
  const p = diff.packages;
  const lines = [`${diff.from} → ${diff.to}`, '', `packages: ${p.added.length} added, ${p.removed.length} removed, ${p.upgraded.length} upgraded, ${p.downgraded.length} downgraded, ${p.unchanged} unchanged`];
  for (const x of p.added) lines.push(`  + ${x.name} ${x.version}`);
  for (const x of p.removed) lines.push(`  - ${x.name} ${x.version}`);
  for (const x of p.upgraded) lines.push(`  ↑ ${x.name} ${x.from} → ${x.to}`);
  for (const x of p.downgraded) lines.push(`  ↓ ${x.name} ${x.from} → ${x.to}`);
  const f = diff.files;
  lines.push('', `files: ${f.added} added, ${f.removed} removed, ${f.changed} changed; ${(f.bytesBefore / 1048576).toFixed(1)} → ${(f.bytesAfter / 1048576).toFixed(1)} MiB`);
  for (const [folder, c] of Object.entries(f.byFolder).sort()) lines.push(`  ${folder.padEnd(8)} +${c.added} -${c.removed} ~${c.changed}`);
  if (f.sample.length > 0) {
    lines.push('');
    for (const s of f.sample) lines.push(`  ${s.change === 'added' ? '+' : s.change === 'removed' ? '-' : '~'} ${s.path}${s.detail ? ` (${s.detail})` : ''}`);
    const total = f.added + f.removed + f.changed;
    if (total > f.sample.length) lines.push(`  ... ${total - f.sample.length} more (--limit, or --json)`);
  }
  process.stdout.write(lines.join('\n') + '\n');
}

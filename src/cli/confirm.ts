/**
 * `--dry-run` and the confirmation of destructive changes, for node set,
 * unset, rename and remove. Both show the server's own preview of the
 * change (the route's `dryRun` flag, inventory/change-preview.ts), so what
 * is shown is what the change does.
 *
 * The rule (docs/inventory.md): a change is destructive when it alters more
 * than one node, or removes a node that is armed or in the middle of a
 * deployment. A destructive change asks on a terminal, listing what will
 * change; without a terminal (a script, a pipe) it needs `--yes`, and
 * without it fails with a non-zero exit and nothing changed. `--yes` skips
 * the preview altogether (one request, as before).
 */
import { createInterface } from 'node:readline/promises';
import { BerthError } from '../errors.ts';
import { compressNodes } from '../inventory/noderange/compress.ts';
import type { NodePreview } from '../inventory/change-preview.ts';
import type { CommandContext } from './command.ts';

export const CHANGE_OPTIONS = {
  yes: { type: 'boolean' as const, short: 'y', description: 'go ahead without asking (needed when stdin is not a terminal)' },
  'dry-run': { type: 'boolean' as const, description: 'show what would change, and change nothing' },
};

/** A node preview as the route sends it; removals carry the deployment facts that make them destructive. */
export type PreviewNode = NodePreview & { armed?: string; deploymentState?: string };

/** At most this many preview lines go above a prompt; --dry-run prints them all. */
const PROMPT_LINES = 40;

/**
 * Runs a change the way the flags say: `--dry-run` prints the preview and
 * changes nothing; otherwise a destructive change is confirmed first.
 * `request(dryRun)` sends the route's request with or without its flag.
 */
export async function runChange(
  context: CommandContext,
  verb: 'change' | 'rename' | 'remove',
  request: (dryRun: boolean) => Promise<any>,
): Promise<any | undefined> {
  const dryRun = context.values['dry-run'] === true;
  if (!dryRun && context.values['yes'] === true) return request(false);
  const preview = await request(true);
  const nodes = (preview.nodes ?? []) as PreviewNode[];
  const lines = previewLines(nodes);
  const summary = summaryOf(verb, nodes);
  if (dryRun) {
    if (context.json) process.stdout.write(JSON.stringify(preview, null, 2) + '\n');
    else process.stdout.write([`dry run: would ${summary}`, ...lines].join('\n') + '\n');
    return undefined;
  }
  const risky = nodes.filter((n) => n.armed !== undefined || n.deploymentState !== undefined);
  if (nodes.length > 1 || risky.length > 0) await confirm(`${summary}${riskOf(risky)}`, lines, context.json);
  return request(false);
}

function summaryOf(verb: 'change' | 'rename' | 'remove', nodes: PreviewNode[]): string {
  if (nodes.length === 0) return `${verb} no node (nothing differs)`;
  return `${verb} ${nodes.length} node(s): ${compressNodes(nodes.map((n) => (verb === 'rename' ? n.renamedFrom ?? n.node : n.node)))}`;
}

function riskOf(risky: PreviewNode[]): string {
  const armed = risky.filter((n) => n.armed !== undefined).map((n) => n.node);
  const deploying = risky.filter((n) => n.deploymentState !== undefined).map((n) => n.node);
  const parts = [...(armed.length > 0 ? [`armed: ${compressNodes(armed)}`] : []), ...(deploying.length > 0 ? [`mid-deployment: ${compressNodes(deploying)}`] : [])];
  return parts.length > 0 ? ` (${parts.join('; ')})` : '';
}

const BOUND: Record<string, string> = { 'node-key': 'node key', 'install-deployment': 'install deployment' };

/** `n1: location.rack: 6 → 7`, `n1 → m7`, `n2: armed (once)`: one line per fact, greppable like `node show`. */
export function previewLines(nodes: PreviewNode[]): string[] {
  const lines: string[] = [];
  for (const n of nodes) {
    if (n.renamedFrom !== undefined) lines.push(`${n.renamedFrom} → ${n.node}`);
    if (n.armed !== undefined) lines.push(`${n.node}: armed (${n.armed})`);
    if (n.deploymentState !== undefined) lines.push(`${n.node}: in the middle of a deployment (deployment.state=${n.deploymentState})`);
    if (n.groups) lines.push(`${n.node}: groups: ${n.groups.from.join(',') || '(none)'} → ${n.groups.to.join(',') || '(none)'}`);
    for (const c of n.changes ?? []) {
      lines.push(c.secret ? `${n.node}: ${c.attribute}: (secret) changes` : `${n.node}: ${c.attribute}: ${c.from ?? '(unset)'} → ${c.to ?? '(unset)'}`);
    }
    if (n.ends) lines.push(`${n.node}: ${n.removed ? 'goes with it' : 'ends'}: ${n.ends.map((k) => BOUND[k] ?? k).join(', ')}`);
  }
  return lines;
}

async function confirm(summary: string, lines: string[], json: boolean): Promise<void> {
  if (!process.stdin.isTTY) {
    throw new BerthError(
      'BERTH_BAD_INPUT',
      `this would ${summary}; nothing changed: confirm with --yes (stdin is not a terminal to ask on), or look first with --dry-run`,
    );
  }
  const shown = lines.slice(0, PROMPT_LINES);
  if (lines.length > shown.length) shown.push(`… and ${lines.length - shown.length} more line(s) (all of them: --dry-run)`);
  if (!json) process.stderr.write(shown.map((l) => `  ${l}\n`).join(''));
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await prompt.question(`${summary}? [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) throw new BerthError('BERTH_BAD_INPUT', 'not confirmed: nothing changed');
  } finally {
    prompt.close();
  }
}

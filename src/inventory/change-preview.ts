/**
 * What a change to nodes would do, for `--dry-run` and for the confirmation
 * a destructive change asks for. It is computed from the validated draft the
 * change would commit (inventory.ts hands it over in place of committing),
 * by the same resolver, so a preview cannot disagree with the change: a
 * dry run that passes is the change that then happens, and one that fails
 * fails with the change's own errors.
 */
import type { Draft } from './draft.ts';
import type { NodeBoundKind } from './incarnation.ts';
import type { InventoryReader, NodeRecord } from './model.ts';
import { naturalSort } from './noderange/natural-sort.ts';
import { Resolver } from './resolver.ts';
import { isSecretAttribute } from './schema/index.ts';

/** One attribute whose resolved value changes; `from`/`to` absent: unset. Secret values are never shown. */
export interface ValueChange {
  attribute: string;
  from?: string;
  to?: string;
  secret?: true;
}

export interface NodePreview {
  /** The node's name after the change (a removed node's last name). */
  node: string;
  renamedFrom?: string;
  removed?: true;
  groups?: { from: string[]; to: string[] };
  changes?: ValueChange[];
  /** Node-bound documents (incarnation.ts) the change deletes with the node's incarnation. */
  ends?: NodeBoundKind[];
}

/** Receives the preview of a change in place of its commit: pass one to a change method of Inventory. */
export class DryRun {
  nodes: NodePreview[] = [];
}

/**
 * Per node the draft touches, what changes: resolved values before (in
 * `before`, the committed inventory) and after (in the draft), and the
 * node-bound documents that end. `ending(name)` lists the documents of a
 * node whose incarnation ends. Nodes with nothing to show are left out.
 */
export function previewDraft(before: InventoryReader, draft: Draft, ending: (name: string) => NodeBoundKind[]): NodePreview[] {
  const old = new Resolver(before);
  const now = new Resolver(draft);
  const renamed = new Set(draft.renamedFrom.values());
  const out: NodePreview[] = [];
  for (const name of naturalSort([...draft.nodes.keys()])) {
    const record = draft.nodes.get(name);
    if (record === null) {
      // The old name of a renamed node is not a removal: its record and documents move.
      if (!renamed.has(name)) out.push({ node: name, removed: true, ...endsOf(ending(name)) });
      continue;
    }
    const from = draft.renamedFrom.get(name);
    const previous = before.node(from ?? name);
    const preview: NodePreview = { node: name };
    if (from !== undefined) preview.renamedFrom = from;
    if (previous && previous.groups.join(',') !== record!.groups.join(',')) preview.groups = { from: previous.groups, to: record!.groups };
    const changes = previous ? valueChanges(old, previous, now, record!) : [];
    if (changes.length > 0) preview.changes = changes;
    const ends = from === undefined ? ending(name) : [];
    Object.assign(preview, endsOf(ends));
    if (from !== undefined || preview.groups || preview.changes || preview.ends) out.push(preview);
  }
  return out;
}

function endsOf(kinds: NodeBoundKind[]): { ends?: NodeBoundKind[] } {
  return kinds.length > 0 ? { ends: kinds } : {};
}

function valueChanges(old: Resolver, before: NodeRecord, now: Resolver, after: NodeRecord): ValueChange[] {
  const names = new Set([...old.attributeNames(before), ...now.attributeNames(after)]);
  const out: ValueChange[] = [];
  for (const attribute of [...names].sort()) {
    const from = valueOf(old, before, attribute);
    const to = valueOf(now, after, attribute);
    if (from === to) continue;
    const change: ValueChange = { attribute };
    if (isSecretAttribute(attribute)) change.secret = true;
    else {
      if (from !== undefined) change.from = from;
      if (to !== undefined) change.to = to;
    }
    out.push(change);
  }
  return out;
}

/** An expression that cannot be evaluated shows as its error: the value it would have is none. */
function valueOf(resolver: Resolver, node: NodeRecord, attribute: string): string | undefined {
  const resolved = resolver.resolve(node, attribute);
  if (!resolved) return undefined;
  return resolved.error !== undefined ? `(error: ${resolved.error})` : resolved.value;
}

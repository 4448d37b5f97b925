/**
 * The inventory service: nodes and groups held in memory for fast resolution
 * and noderange evaluation, written through to the store one transaction per
 * change. Every change is validated completely against a draft before anything
 * is written, so a change to 10,000 nodes that is wrong for one of them writes
 * nothing.
 */
import { BerthError } from '../errors.ts';
import type { ErrorLocation } from '../errors.ts';
import type { JsonValue, Store } from '../store/store.ts';
import { previewDraft } from './change-preview.ts';
import type { DryRun, NodePreview } from './change-preview.ts';
import { Draft } from './draft.ts';
import { throwIfAny } from './problems.ts';
import { hardwareIdentityChanged, newIncarnation, NODE_BOUND_KINDS } from './incarnation.ts';
import { EVERYTHING, nameProblem } from './model.ts';
import type { GroupRecord, InventoryReader, NodeRecord, ResolvedAttribute } from './model.ts';
import { Resolver } from './resolver.ts';
import { checkAssignment, checkChangeSize, checkResolvedNodes } from './validate.ts';
import { expandNoderange } from './noderange/expand.ts';
import type { NoderangeContext } from './noderange/context.ts';
import { naturalSort } from './noderange/natural-sort.ts';
import { isSecretAttribute, requireAttribute, requireAttributePattern } from './schema/index.ts';

const NODE_KIND = 'node';
const GROUP_KIND = 'group';

interface StoredNode {
  groups: string[];
  attributes: Record<string, string>;
  /** incarnation.ts; absent only in stores written before incarnations existed (added at load). */
  incarnation?: string;
}
interface StoredGroup {
  description: string;
  attributes: Record<string, string>;
}

export interface AttributeChange {
  set?: Record<string, string>;
  unset?: string[];
  /** Replaces the node's group list (nodes only). */
  groups?: string[];
  /** Appended to each node's group list where not already in it (nodes only; not with `groups`). */
  addGroups?: string[];
  /** Taken out of each node's group list where present (nodes only; not with `groups`). */
  removeGroups?: string[];
}

export interface NodeDefinition {
  name: string;
  groups?: string[];
  attributes?: Record<string, string>;
}

export class Inventory implements InventoryReader {
  readonly #store: Store;
  readonly #nodes = new Map<string, NodeRecord>();
  readonly #groups = new Map<string, GroupRecord>();
  readonly #members = new Map<string, Set<string>>();
  readonly #incarnations = new Map<string, string>();
  #sortedNodes: string[] | undefined;
  #version = 0;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(store: Store) {
    this.#store = store;
  }

  static async load(store: Store): Promise<Inventory> {
    const inventory = new Inventory(store);
    const unborn: string[] = [];
    await store.read((reader) => {
      for (const doc of reader.list<StoredGroup>(GROUP_KIND)) {
        inventory.#groups.set(doc.key, { name: doc.key, ...doc.value });
      }
      for (const doc of reader.list<StoredNode>(NODE_KIND)) {
        const { incarnation, groups, attributes } = doc.value;
        inventory.#nodes.set(doc.key, { name: doc.key, groups, attributes });
        if (incarnation) inventory.#incarnations.set(doc.key, incarnation);
        else unborn.push(doc.key);
      }
    });
    await inventory.#adoptIncarnations(unborn);
    if (!inventory.#groups.has(EVERYTHING)) {
      const draft = new Draft(inventory);
      draft.putGroup({ name: EVERYTHING, description: 'Every node is a member, after its own groups', attributes: {} });
      await inventory.#commit(draft);
    }
    inventory.#rebuildMembers();
    return inventory;
  }

  // ---- reading -------------------------------------------------------------

  node(name: string): NodeRecord | undefined {
    return this.#nodes.get(name);
  }

  group(name: string): GroupRecord | undefined {
    return this.#groups.get(name);
  }

  /** Advances with every committed change: caches built from the inventory compare it. */
  get version(): number {
    return this.#version;
  }

  get nodeCount(): number {
    return this.#nodes.size;
  }

  nodeNames(): readonly string[] {
    this.#sortedNodes ??= naturalSort([...this.#nodes.keys()]);
    return this.#sortedNodes;
  }

  groupNames(): string[] {
    return naturalSort([...this.#groups.keys()]);
  }

  members(group: string): string[] {
    if (group === EVERYTHING) return [...this.nodeNames()];
    return naturalSort([...(this.#members.get(group) ?? [])]);
  }

  resolver(): Resolver {
    return new Resolver(this);
  }

  /** The noderange grammar's view: groups, members, resolved attribute values, and which attribute names exist. */
  noderangeContext(): NoderangeContext {
    const resolver = this.resolver();
    return {
      checkAttribute: requireAttributePattern,
      nodeNames: () => this.nodeNames(),
      hasNode: (name) => this.#nodes.has(name),
      groupMembers: (name) => (this.#groups.has(name) ? this.members(name) : undefined),
      attributes: (name) => {
        const out = new Map<string, string>();
        const node = this.#nodes.get(name);
        if (!node) return out;
        for (const attribute of resolver.attributeNames(node)) {
          if (isSecretAttribute(attribute)) continue;
          try {
            const value = resolver.value(node, attribute);
            if (value !== undefined) out.set(attribute, value);
          } catch {
            // An attribute that cannot be evaluated matches no filter.
          }
        }
        return out;
      },
    };
  }

  expand(noderange: string): string[] {
    return expandNoderange(noderange, this.noderangeContext());
  }

  /** The node's current incarnation (incarnation.ts); undefined when there is no such node. */
  incarnation(name: string): string | undefined {
    return this.#incarnations.get(name);
  }

  requireNode(name: string): NodeRecord {
    const node = this.#nodes.get(name);
    if (!node) throw new BerthError('BERTH_NOT_FOUND', `no node named '${name}'`, { node: name });
    return node;
  }

  requireGroup(name: string): GroupRecord {
    const group = this.#groups.get(name);
    if (!group) throw new BerthError('BERTH_NOT_FOUND', `no group named '${name}'`, { group: name });
    return group;
  }

  resolveNode(name: string, only?: (attribute: string) => boolean): Record<string, ResolvedAttribute> {
    return this.resolver().resolveAll(this.requireNode(name), only);
  }

  // ---- changing ------------------------------------------------------------

  defineNodes(definitions: NodeDefinition[], dryRun?: DryRun): Promise<string[]> {
    return this.#exclusive(async () => {
      checkChangeSize(definitions.length, 'defines');
      const draft = new Draft(this);
      const problems: BerthError[] = [];
      const seen = new Set<string>();
      // Every definition is checked and every problem reported, each naming its node (a CSV of 500 rows has more than one typo).
      const clean: string[] = [];
      // An unknown attribute name is one problem, not one per node that has the column.
      const unknown = new Set<string>();
      for (const definition of definitions) {
        const { name } = definition;
        const problem = nameProblem(name);
        if (problem) {
          problems.push(new BerthError('BERTH_BAD_INPUT', problem, { node: name }));
          continue;
        }
        if (seen.has(name) || this.#nodes.has(name)) {
          problems.push(new BerthError('BERTH_EXISTS', `node '${name}' already exists`, { node: name }));
          continue;
        }
        if (this.#groups.has(name)) {
          problems.push(new BerthError('BERTH_EXISTS', `'${name}' is already a group name; nodes and groups share one namespace`, { node: name }));
          continue;
        }
        seen.add(name);
        const before = problems.length;
        const record: NodeRecord = { name, groups: this.#checkGroupList(definition.groups ?? [], name, problems), attributes: {} };
        for (const [attribute, raw] of Object.entries(definition.attributes ?? {})) {
          if (unknown.has(attribute)) continue;
          const value = collect(problems, 'node', name, () => checkAssignment(attribute, raw, { node: name }));
          if (value !== undefined) record.attributes[attribute] = value;
          else if (problems.at(-1)!.code === 'BERTH_UNKNOWN_ATTRIBUTE') unknown.add(attribute);
        }
        draft.putNode(record);
        draft.incarnations.set(name, newIncarnation());
        if (problems.length === before) clean.push(name);
      }
      // Expressions and uniqueness over the nodes that passed: a dropped bad value would only echo as more errors.
      checkResolvedNodes(draft, clean, problems);
      throwIfAny(problems);
      await this.#commit(draft, dryRun);
      return naturalSort([...seen]);
    });
  }

  /** With `dryRun`, everything but the commit: the preview goes to `dryRun` (change-preview.ts). */
  changeNodes(names: readonly string[], change: AttributeChange, dryRun?: DryRun): Promise<number> {
    return this.#exclusive(async () => {
      checkChangeSize(names.length, 'changes');
      const set = checkSet(change.set ?? {}, names.length === 1 ? { node: names[0]! } : {});
      const unset = checkUnset(change.unset ?? [], set);
      const regroup = this.#groupEdit(change);
      const draft = new Draft(this);
      for (const name of names) {
        const node = this.requireNode(name);
        const attributes = { ...node.attributes, ...set };
        for (const attribute of unset) delete attributes[attribute];
        draft.putNode({ name, groups: regroup ? regroup(node.groups) : node.groups, attributes });
      }
      const problems: BerthError[] = [];
      checkResolvedNodes(draft, names, problems);
      throwIfAny(problems);
      await this.#commit(draft, dryRun);
      return names.length;
    });
  }

  removeNodes(names: readonly string[], dryRun?: DryRun): Promise<number> {
    return this.#exclusive(async () => {
      checkChangeSize(names.length, 'removes');
      const draft = new Draft(this);
      for (const name of names) {
        this.requireNode(name);
        draft.removeNode(name);
      }
      await this.#commit(draft, dryRun);
      return names.length;
    });
  }

  /** `mapping` old name → new name; all renames happen in one change. */
  renameNodes(mapping: ReadonlyMap<string, string>, dryRun?: DryRun): Promise<number> {
    return this.#exclusive(async () => {
      checkChangeSize(mapping.size, 'renames');
      const draft = new Draft(this);
      const targets = new Set<string>();
      for (const [from, to] of mapping) {
        this.requireNode(from);
        const problem = nameProblem(to);
        if (problem) throw new BerthError('BERTH_BAD_INPUT', problem, { node: from });
        if (targets.has(to)) throw new BerthError('BERTH_EXISTS', `two nodes would be renamed to '${to}'`, { node: from });
        const takenByOther = this.#nodes.has(to) && !mapping.has(to);
        if (takenByOther || this.#groups.has(to)) {
          throw new BerthError('BERTH_EXISTS', `cannot rename ${from} to '${to}': that name is taken`, { node: from });
        }
        targets.add(to);
        draft.removeNode(from);
      }
      for (const [from, to] of mapping) {
        const node = this.requireNode(from);
        draft.putNode({ ...node, name: to });
        // The machine keeps its identity, and with it its key, under the new name.
        draft.incarnations.set(to, this.#incarnations.get(from)!);
        draft.renamedFrom.set(to, from);
      }
      const problems: BerthError[] = [];
      checkResolvedNodes(draft, [...targets], problems);
      throwIfAny(problems);
      await this.#commit(draft, dryRun);
      return mapping.size;
    });
  }

  defineGroup(name: string, description: string, attributes: Record<string, string>): Promise<void> {
    return this.#exclusive(async () => {
      const problem = nameProblem(name);
      if (problem) throw new BerthError('BERTH_BAD_INPUT', problem, { group: name });
      if (this.#groups.has(name)) throw new BerthError('BERTH_EXISTS', `group '${name}' already exists`, { group: name });
      if (this.#nodes.has(name)) {
        throw new BerthError('BERTH_EXISTS', `'${name}' is already a node name; nodes and groups share one namespace`, { group: name });
      }
      const draft = new Draft(this);
      draft.putGroup({ name, description, attributes: checkSet(attributes, { group: name }) });
      await this.#commit(draft);
    });
  }

  changeGroup(name: string, change: AttributeChange & { description?: string }): Promise<void> {
    return this.#exclusive(async () => {
      const group = this.requireGroup(name);
      const set = checkSet(change.set ?? {}, { group: name });
      const unset = checkUnset(change.unset ?? [], set);
      const attributes = { ...group.attributes, ...set };
      for (const attribute of unset) delete attributes[attribute];
      const draft = new Draft(this);
      draft.putGroup({ name, description: change.description ?? group.description, attributes });
      const problems: BerthError[] = [];
      checkResolvedNodes(draft, this.members(name), problems);
      throwIfAny(problems);
      await this.#commit(draft);
    });
  }

  /** Without `force`, a group that still has members is kept and the members are named. */
  removeGroup(name: string, force = false): Promise<void> {
    return this.#exclusive(async () => {
      this.requireGroup(name);
      if (name === EVERYTHING) throw new BerthError('BERTH_CONFLICT', `group '${EVERYTHING}' always exists and cannot be removed`, { group: name });
      const members = this.members(name);
      if (members.length > 0 && !force) {
        throw new BerthError(
          'BERTH_CONFLICT',
          `group '${name}' still has ${members.length} member(s); take them out of the group first, or remove with --force to drop the membership`,
          { group: name },
        );
      }
      const draft = new Draft(this);
      for (const member of members) {
        const node = this.requireNode(member);
        draft.putNode({ ...node, groups: node.groups.filter((g) => g !== name) });
      }
      draft.removeGroup(name);
      const problems: BerthError[] = [];
      checkResolvedNodes(draft, members, problems);
      throwIfAny(problems);
      await this.#commit(draft);
    });
  }

  /** Replaces (or, with `merge`, overlays) the inventory with the given records in one change. */
  replaceAll(groups: GroupRecord[], nodes: NodeRecord[], merge: boolean): Promise<{ nodes: number; groups: number }> {
    return this.#exclusive(async () => {
      checkChangeSize(nodes.length, 'imports');
      const draft = new Draft(this);
      if (!merge) {
        for (const name of this.#nodes.keys()) draft.removeNode(name);
        for (const name of this.#groups.keys()) if (name !== EVERYTHING) draft.removeGroup(name);
      }
      // Every record is checked and every problem reported, each naming its group or node (the CLI adds the file's line).
      const problems: BerthError[] = [];
      for (const group of groups) {
        const problem = nameProblem(group.name);
        if (problem) {
          problems.push(new BerthError('BERTH_BAD_INPUT', problem, { group: group.name }));
          continue;
        }
        draft.putGroup({ ...group, attributes: checkEach(problems, 'group', group.name, group.attributes) });
      }
      for (const node of nodes) {
        const problem = nameProblem(node.name);
        if (problem) {
          problems.push(new BerthError('BERTH_BAD_INPUT', problem, { node: node.name }));
          continue;
        }
        if (draft.group(node.name)) {
          problems.push(new BerthError('BERTH_EXISTS', `'${node.name}' is both a node and a group`, { node: node.name }));
          continue;
        }
        for (const group of node.groups) {
          if (!draft.group(group)) problems.push(new BerthError('BERTH_NOT_FOUND', `node ${node.name} is in unknown group '${group}'`, { node: node.name, group }));
        }
        draft.putNode({ ...node, groups: node.groups.filter((g) => g !== EVERYTHING && draft.group(g)), attributes: checkEach(problems, 'node', node.name, node.attributes) });
      }
      const affected = nodes.map((n) => n.name);
      // A merged group's existing members resolve differently now too.
      if (merge) for (const group of groups) affected.push(...this.members(group.name));
      // Expressions are evaluated once every record is well-formed: over a broken one they would only echo its problems.
      if (problems.length === 0) checkResolvedNodes(draft, [...new Set(affected)].filter((n) => draft.node(n)), problems);
      throwIfAny(problems);
      await this.#commit(draft);
      return { nodes: nodes.length, groups: groups.length };
    });
  }

  // ---- internals -----------------------------------------------------------

  /** With `problems`, an unknown group is collected there (and left out) instead of thrown. */
  #checkGroupList(groups: readonly string[], node?: string, problems?: BerthError[]): string[] {
    const out: string[] = [];
    for (const group of groups) {
      if (group === EVERYTHING) continue;
      if (!this.#groups.has(group)) {
        const owner = node ? `node ${node}: ` : '';
        const error = new BerthError('BERTH_NOT_FOUND', `${owner}unknown group '${group}' (define it first with: berth group define ${group})`, { group, ...(node ? { node } : {}) });
        if (!problems) throw error;
        problems.push(error);
        continue;
      }
      if (!out.includes(group)) out.push(group);
    }
    return out;
  }

  /**
   * What a change does to each node's group list: replace it (`groups=`), or
   * add groups at the end and take groups out (`groups+=`, `groups-=`, as
   * xCAT's `groups,=`) leaving the rest of each node's list as it is.
   */
  #groupEdit(change: AttributeChange): ((current: readonly string[]) => string[]) | undefined {
    const { groups, addGroups, removeGroups } = change;
    if (groups !== undefined) {
      if (addGroups !== undefined || removeGroups !== undefined) {
        throw new BerthError('BERTH_BAD_INPUT', 'groups replaces the whole group list; give either groups or addGroups/removeGroups, not both');
      }
      const list = this.#checkGroupList(groups);
      return () => list;
    }
    if (addGroups === undefined && removeGroups === undefined) return undefined;
    if (removeGroups?.includes(EVERYTHING)) {
      throw new BerthError('BERTH_BAD_INPUT', `every node is in group '${EVERYTHING}'; it cannot be taken out`, { group: EVERYTHING });
    }
    const add = this.#checkGroupList(addGroups ?? []);
    const remove = this.#checkGroupList(removeGroups ?? []);
    const both = add.find((group) => remove.includes(group));
    if (both !== undefined) throw new BerthError('BERTH_BAD_INPUT', `group '${both}' is both added and taken out in one change`, { group: both });
    return (current) => [...current.filter((group) => !remove.includes(group)), ...add.filter((group) => !current.includes(group))];
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(fn, fn);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async #commit(draft: Draft, dryRun?: DryRun): Promise<void> {
    if (draft.empty) return;
    const incarnations = this.#nextIncarnations(draft);
    if (dryRun) {
      dryRun.nodes = await this.#preview(draft, incarnations);
      return;
    }
    await this.#store.write((tx) => {
      // Node-bound documents (incarnation.ts) die with their incarnation and follow renames, in this same transaction.
      const moving: { kind: string; to: string; value: JsonValue }[] = [];
      for (const [to, from] of draft.renamedFrom) {
        for (const kind of NODE_BOUND_KINDS) {
          const doc = tx.get(kind, from);
          if (doc) moving.push({ kind, to, value: doc.value });
        }
      }
      for (const [name, node] of draft.nodes) {
        const incarnation = incarnations.get(name);
        const ending = this.#incarnations.get(name);
        if (ending !== undefined && incarnation !== ending) for (const kind of NODE_BOUND_KINDS) tx.delete(kind, name);
        if (node === null) tx.delete(NODE_KIND, name);
        else tx.put(NODE_KIND, name, { groups: node.groups, attributes: node.attributes, incarnation: incarnation! });
      }
      for (const doc of moving) tx.put(doc.kind, doc.to, doc.value);
      for (const [name, group] of draft.groups) {
        if (group === null) tx.delete(GROUP_KIND, name);
        else tx.put(GROUP_KIND, name, { description: group.description, attributes: group.attributes });
      }
    });
    // Only after the store committed does memory change, so both always agree.
    for (const [name, incarnation] of incarnations) {
      if (incarnation === undefined) this.#incarnations.delete(name);
      else this.#incarnations.set(name, incarnation);
    }
    for (const [name, node] of draft.nodes) {
      const old = this.#nodes.get(name);
      if (old) for (const g of old.groups) this.#members.get(g)?.delete(name);
      if (node === null) this.#nodes.delete(name);
      else {
        this.#nodes.set(name, node);
        for (const g of node.groups) {
          let set = this.#members.get(g);
          if (!set) this.#members.set(g, (set = new Set()));
          set.add(name);
        }
      }
    }
    for (const [name, group] of draft.groups) {
      if (group === null) {
        this.#groups.delete(name);
        this.#members.delete(name);
      } else this.#groups.set(name, group);
    }
    if (draft.nodes.size > 0) this.#sortedNodes = undefined;
    this.#version++;
  }

  /** What committing `draft` would do (change-preview.ts), with the node-bound documents #commit would delete. */
  async #preview(draft: Draft, incarnations: ReadonlyMap<string, string | undefined>): Promise<NodePreview[]> {
    const ending = [...incarnations].filter(([name, next]) => {
      const current = this.#incarnations.get(name);
      return current !== undefined && next !== current;
    });
    const bound = await this.#store.read((reader) =>
      new Map(ending.map(([name]) => [name, NODE_BOUND_KINDS.filter((kind) => reader.get(kind, name) !== undefined)])),
    );
    return previewDraft(this, draft, (name) => bound.get(name) ?? []);
  }

  /** Each node the draft touches → its incarnation after the change (undefined: removed). */
  #nextIncarnations(draft: Draft): Map<string, string | undefined> {
    const out = new Map<string, string | undefined>();
    for (const [name, node] of draft.nodes) {
      if (node === null) {
        out.set(name, undefined);
        continue;
      }
      const decided = draft.incarnations.get(name);
      const current = this.#incarnations.get(name);
      const before = this.#nodes.get(name);
      if (decided !== undefined) out.set(name, decided);
      else if (current === undefined || !before || hardwareIdentityChanged(before.attributes, node.attributes)) out.set(name, newIncarnation());
      else out.set(name, current);
    }
    return out;
  }

  /**
   * A store from before incarnations: each node gets one, and the credentials
   * it already holds are bound to it (they were granted to this very node),
   * in one transaction; credentials whose node is gone are deleted.
   */
  async #adoptIncarnations(names: readonly string[]): Promise<void> {
    const assigned = new Map(names.map((name) => [name, newIncarnation()]));
    // Credentials of nodes removed before removal took them along.
    const orphans = await this.#store.read((reader) => NODE_BOUND_KINDS.flatMap((kind) => reader.list(kind).filter((doc) => !this.#nodes.has(doc.key)).map((doc) => ({ kind, key: doc.key }))));
    if (assigned.size === 0 && orphans.length === 0) return;
    await this.#store.write((tx) => {
      for (const orphan of orphans) tx.delete(orphan.kind, orphan.key);
      for (const [name, incarnation] of assigned) {
        const node = this.#nodes.get(name)!;
        tx.put(NODE_KIND, name, { groups: node.groups, attributes: node.attributes, incarnation });
        for (const kind of NODE_BOUND_KINDS) {
          const doc = tx.get<Record<string, JsonValue>>(kind, name);
          if (doc && typeof doc.value === 'object' && doc.value !== null && !('incarnation' in doc.value)) tx.put(kind, name, { ...doc.value, incarnation });
        }
      }
    });
    for (const [name, incarnation] of assigned) this.#incarnations.set(name, incarnation);
  }

  #rebuildMembers(): void {
    this.#members.clear();
    for (const node of this.#nodes.values()) {
      for (const g of node.groups) {
        let set = this.#members.get(g);
        if (!set) this.#members.set(g, (set = new Set()));
        set.add(node.name);
      }
    }
  }
}

function checkSet(set: Record<string, string>, where: ErrorLocation): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [attribute, raw] of Object.entries(set)) {
    if (where.group !== undefined && requireAttribute(attribute).nodeOnly) {
      throw new BerthError(
        'BERTH_BAD_INPUT',
        `${attribute} is set per node, not on a group; set it on the group's nodes instead: berth node set ${where.group} ${attribute}=${raw}`,
        { group: where.group, attribute },
      );
    }
    out[attribute] = checkAssignment(attribute, raw, where);
  }
  return out;
}

function checkUnset(unset: readonly string[], set: Record<string, string>): string[] {
  for (const attribute of unset) {
    requireAttribute(attribute);
    if (attribute in set) throw new BerthError('BERTH_BAD_INPUT', `${attribute} is both set and unset in one change`, { attribute });
  }
  return [...unset];
}

/** Runs one check of a node's or group's record; its problem is collected, naming the owner, instead of thrown. */
function collect<T>(problems: BerthError[], kind: 'node' | 'group', name: string, check: () => T): T | undefined {
  try {
    return check();
  } catch (e) {
    if (!(e instanceof BerthError)) throw e;
    const named = e.message.startsWith(`${name}:`) || new RegExp(`\\b${kind} ${name.replaceAll('.', '\\.')}\\b`).test(e.message);
    problems.push(named ? e : new BerthError(e.code, `${kind} ${name}: ${e.message}`, e.where, e.more));
    return undefined;
  }
}

/** checkSet attribute by attribute, collecting each problem: the valid assignments. */
function checkEach(problems: BerthError[], kind: 'node' | 'group', name: string, set: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [attribute, raw] of Object.entries(set)) {
    const checked = collect(problems, kind, name, () => checkSet({ [attribute]: raw }, kind === 'node' ? { node: name } : { group: name }));
    if (checked) Object.assign(out, checked);
  }
  return out;
}

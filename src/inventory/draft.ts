/**
 * A change being prepared: reads fall through to the committed state unless the
 * change touched the record. Validation runs against the draft, so nothing is
 * committed (to the store or to memory) until the whole change is known good.
 */
import type { GroupRecord, InventoryReader, NodeRecord } from './model.ts';

export class Draft implements InventoryReader {
  readonly #base: InventoryReader;
  /** `null` marks a removal. */
  readonly nodes = new Map<string, NodeRecord | null>();
  readonly groups = new Map<string, GroupRecord | null>();
  /**
   * Incarnations decided by the change itself (incarnation.ts): a fresh one
   * for a new definition, the old name's for a rename target. Other nodes
   * the change puts keep theirs, unless their hardware identity changed.
   */
  readonly incarnations = new Map<string, string>();
  /** Rename target → old name: the old name's node-bound documents move with the record. */
  readonly renamedFrom = new Map<string, string>();

  constructor(base: InventoryReader) {
    this.#base = base;
  }

  /** The state the change starts from, to compare with (uniqueness.ts). */
  get base(): InventoryReader {
    return this.#base;
  }

  node(name: string): NodeRecord | undefined {
    const changed = this.nodes.get(name);
    if (changed !== undefined) return changed ?? undefined;
    return this.#base.node(name);
  }

  group(name: string): GroupRecord | undefined {
    const changed = this.groups.get(name);
    if (changed !== undefined) return changed ?? undefined;
    return this.#base.group(name);
  }

  nodeNames(): readonly string[] {
    return this.#base.nodeNames();
  }

  putNode(record: NodeRecord): void {
    this.nodes.set(record.name, record);
  }

  removeNode(name: string): void {
    this.nodes.set(name, null);
  }

  putGroup(record: GroupRecord): void {
    this.groups.set(record.name, record);
  }

  removeGroup(name: string): void {
    this.groups.set(name, null);
  }

  get empty(): boolean {
    return this.nodes.size === 0 && this.groups.size === 0;
  }
}

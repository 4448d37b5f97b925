/**
 * The inventory's stored shapes. Values are kept raw: a value containing
 * braces is an expression and is evaluated per node at resolve time, so a
 * group can say `net.mgmt.ipv4_address=10.0.{n1 >> 8}.{n1 & 255}/16` once.
 */

/** Every node is a member of this group, after its own groups. */
export const EVERYTHING = 'everything';

export interface NodeRecord {
  name: string;
  /** Ordered: earlier groups take precedence. Never contains `everything`. */
  groups: string[];
  attributes: Record<string, string>;
}

export interface GroupRecord {
  name: string;
  description: string;
  attributes: Record<string, string>;
}

/** What the resolver reads: committed state, or a draft of a change on top of it. */
export interface InventoryReader {
  node(name: string): NodeRecord | undefined;
  group(name: string): GroupRecord | undefined;
  /** Committed node names; a draft's additions and removals are seen through `node()`. */
  nodeNames(): readonly string[];
}

export interface ResolvedAttribute {
  /** Evaluated value; absent when the expression failed (see `error`). */
  value?: string;
  /** The raw expression, when the value came from one. */
  expression?: string;
  /** Group the value was inherited from; absent when set on the node itself. */
  inheritedFrom?: string;
  error?: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$/;

/**
 * Node and group names share one namespace and must stay unambiguous inside a
 * noderange, so the grammar's operator characters are excluded.
 */
export function nameProblem(name: string): string | undefined {
  if (name.length === 0) return 'a name cannot be empty';
  if (!NAME.test(name)) {
    return `'${name}' is not a valid name: use letters, digits, '-', '_' and '.', starting with a letter or digit (at most 253 characters)`;
  }
  return undefined;
}

/**
 * What a noderange needs to know about the inventory, and nothing more, so the
 * grammar can be tested with a small in-memory fake and the store can answer it
 * however is fastest.
 */
export interface NoderangeContext {
  /** Every node. */
  nodeNames(): readonly string[];
  hasNode(name: string): boolean;
  /** Members of a group; undefined when there is no such group. */
  groupMembers(name: string): readonly string[] | undefined;
  /** Resolved values of the attributes set on `node` (inherited from groups included). */
  attributes(node: string): ReadonlyMap<string, string>;
  /**
   * Throws a BerthError for an attribute name (or wildcard) of a filter that
   * no attribute can have, so a typo is an error instead of selecting
   * nothing. The grammar adds the column. Absent: every name is accepted.
   */
  checkAttribute?(name: string): void;
}

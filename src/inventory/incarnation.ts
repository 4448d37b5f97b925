/**
 * A node's incarnation: a random identity given to each definition of a node
 * name and never reused. A name is not a machine: `node remove c` and a
 * later `node define c` (another machine) make a new incarnation, and so
 * does replacing a node's hardware address or SMBIOS UUID. Credentials
 * granted to a node (its API key, its install deployment) are stored under
 * the node's name together with the incarnation they were granted to, and
 * are valid only while the node still has that incarnation.
 *
 * The inventory also keeps them tidy in the same transaction as the change
 * that ends them: documents of the kinds below are deleted when their
 * node's incarnation ends, and follow a rename (the machine keeps its key
 * under its new name; a swap rename swaps them with the records).
 */
import { randomUUID } from 'node:crypto';
import { findAttribute } from './schema/index.ts';

/** Store kinds keyed by node name whose documents belong to one incarnation of that node. */
export const NODE_BOUND_KINDS = ['node-key', 'install-deployment'] as const;
export type NodeBoundKind = (typeof NODE_BOUND_KINDS)[number];

/**
 * 122 random bits: never the same twice, so no old credential can match a new
 * definition. randomUUID draws from a cached pool: 100,000 of them cost 35 ms
 * where randomBytes(16) each cost 550 ms.
 */
export function newIncarnation(): string {
  return randomUUID();
}

/** Answers per attribute name: asked for every attribute of every node a change touches. */
const identityByName = new Map<string, boolean>();

/**
 * Attributes naming the machine itself (the schema's `hardwareIdentity`: MAC
 * addresses, the SMBIOS UUID): a new value means another machine under the same name.
 */
export function isHardwareIdentity(attribute: string): boolean {
  let identity = identityByName.get(attribute);
  if (identity === undefined) {
    identity = findAttribute(attribute)?.hardwareIdentity === true;
    if (identityByName.size > 10_000) identityByName.clear();
    identityByName.set(attribute, identity);
  }
  return identity;
}

/** Whether `after` replaces a machine identity `before` had (a first value, where there was none, does not). */
export function hardwareIdentityChanged(before: Record<string, string>, after: Record<string, string>): boolean {
  for (const [attribute, value] of Object.entries(before)) {
    if (value === '' || !isHardwareIdentity(attribute)) continue;
    if (after[attribute] !== value) return true;
  }
  return false;
}

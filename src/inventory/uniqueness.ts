/**
 * Values no two nodes may share, checked over the resolved values (group
 * expressions included) of every node before a change is written:
 *
 * - the machine's own identity (`hardwareIdentity` in the schema: MAC
 *   addresses, the SMBIOS UUID). DHCP and PXE answer one node per MAC, so two
 *   nodes with one MAC would boot each other's configuration. Never exempt.
 * - IPv4 addresses (without the prefix length: 10.0.0.5/24 and 10.0.0.5/16 are
 *   one address) and host names, whatever the interface: berth's DHCP maps an
 *   address to one node (boot/inventory-backend.ts), and a name resolves to one
 *   host. A deliberate duplicate (a failover pair, identical isolated networks)
 *   is allowed between nodes that all set `net.<if>.allow_duplicates=true` on
 *   the interface concerned: one node alone cannot take another's address.
 *
 * Values the change leaves as they were (on nodes it does not touch, and on
 * those it touches without changing that value, such as a member whose own
 * address wins over a group expression being set) are indexed first, so the
 * node whose value is new is the one named as the problem and the other as
 * the holder. Only new values are checked: duplicates already stored (a store
 * from before this check) do not stop an unrelated change, and a change that
 * brings no new value costs no scan of the fleet.
 */
import { BerthError } from '../errors.ts';
import { isHardwareIdentity } from './incarnation.ts';
import { Draft } from './draft.ts';
import type { InventoryReader, NodeRecord } from './model.ts';
import { Resolver } from './resolver.ts';
import { findAttribute, validateAttributeValue } from './schema/index.ts';

/** One value a node holds that no other node may hold. */
interface Claim {
  /** What is compared: kind and normalized value (`net.<if>.hwaddr=52:54:00:00:00:01`). */
  key: string;
  attribute: string;
  /** As quoted in the message. */
  value: string;
  /** The `allow_duplicates` attribute that exempts it and whether it is true; absent for hardware identity. */
  exemptBy?: { attribute: string; allowed: boolean };
}

interface Holder extends Claim {
  node: string;
  changed: boolean;
}

const ADDRESS = /^net\.([^.]+)\.ipv4_address$/;
const HOSTNAME = /^net\.([^.]+)\.hostname$/;

/** Whether an attribute takes part in the check (cheap: asked for every attribute of every node). */
export function isUniqueAttribute(attribute: string): boolean {
  return isHardwareIdentity(attribute) || ADDRESS.test(attribute) || HOSTNAME.test(attribute);
}

/**
 * Pushes a BERTH_CONFLICT per value a node in `changed` shares with another
 * node; at most `limit` problems in all.
 */
export function checkUnique(draft: InventoryReader, resolver: Resolver, changed: readonly string[], problems: BerthError[], limit = 100): void {
  const changedSet = new Set(changed);
  const holders = new Map<string, Holder>();
  const hold = (name: string, claim: Claim, isNew: boolean): void => {
    if (!holders.has(claim.key)) holders.set(claim.key, { ...claim, node: name, changed: isNew });
  };
  // Per changed node, its claims split into kept (as before the change) and new.
  const fresh: { name: string; claims: Claim[] }[] = [];
  const before = draft instanceof Draft ? { reader: draft.base, resolver: new Resolver(draft.base), renamedFrom: draft.renamedFrom } : undefined;
  for (const name of changed) {
    const node = draft.node(name);
    if (!node) continue;
    const previous = before?.reader.node(before.renamedFrom.get(name) ?? name);
    const kept = new Set(previous ? claims(before!.resolver, previous).map(identityOf) : []);
    const added = claims(resolver, node).filter((claim) => {
      if (!kept.has(identityOf(claim))) return true;
      hold(name, claim, false);
      return false;
    });
    if (added.length > 0) fresh.push({ name, claims: added });
  }
  if (fresh.length === 0) return;
  // Only the kinds of value that are new need the fleet's values: a new address resolves no host names.
  const kinds = new Set(fresh.flatMap(({ claims: added }) => added.map((claim) => kindOf(claim.attribute))));
  for (const name of draft.nodeNames()) {
    if (changedSet.has(name)) continue;
    const node = draft.node(name);
    if (node) for (const claim of claims(resolver, node, kinds)) hold(name, claim, false);
  }
  for (const { name, claims: added } of fresh) {
    for (const claim of added) {
      const holder = holders.get(claim.key);
      if (holder === undefined) {
        holders.set(claim.key, { ...claim, node: name, changed: true });
        continue;
      }
      if (holder.node === name) continue;
      if (claim.exemptBy?.allowed === true && holder.exemptBy?.allowed === true) continue;
      problems.push(new BerthError('BERTH_CONFLICT', message(name, claim, holder), { node: name, attribute: claim.attribute }));
      if (problems.length >= limit) return;
    }
  }
}

/** A claim as compared with the same node's before the change: the value, where it is, and whether it may be shared. */
function identityOf(claim: Claim): string {
  return `${claim.key} ${claim.attribute} ${claim.exemptBy?.allowed ?? ''}`;
}

function message(name: string, claim: Claim, holder: Holder): string {
  const where = holder.attribute === claim.attribute ? '' : ` (${holder.attribute})`;
  const used = holder.changed ? `is also given to node ${holder.node}${where} by this change` : `is already used by node ${holder.node}${where}`;
  let text = `${name}: ${claim.attribute} ${claim.value} ${used}`;
  if (claim.exemptBy === undefined || holder.exemptBy === undefined) return text;
  if (holder.exemptBy.allowed) text += `; ${holder.node} allows duplicates there: to share it deliberately, set ${claim.exemptBy.attribute}=true on ${name} as well`;
  else if (claim.exemptBy.allowed) text += `; to share it deliberately, set ${holder.exemptBy.attribute}=true on ${holder.node} as well`;
  else if (claim.exemptBy.attribute === holder.exemptBy.attribute) text += ` (to share it deliberately, set ${claim.exemptBy.attribute}=true on both nodes)`;
  else text += ` (to share it deliberately, set ${claim.exemptBy.attribute}=true on ${name} and ${holder.exemptBy.attribute}=true on ${holder.node})`;
  return text;
}

/** What a unique attribute's values are compared with: MACs with MACs on any interface (`net.<if>.hwaddr`), and so on. */
function kindOf(attribute: string): string {
  if (isHardwareIdentity(attribute)) return findAttribute(attribute)!.name;
  return ADDRESS.test(attribute) ? 'ipv4' : 'hostname';
}

/** The node's values that must be unique (of `kinds` only, when given), resolved and normalized; values that do not resolve are reported elsewhere. */
function claims(resolver: Resolver, node: NodeRecord, kinds?: ReadonlySet<string>): Claim[] {
  const out: Claim[] = [];
  for (const attribute of resolver.attributeNames(node)) {
    if (!isUniqueAttribute(attribute) || (kinds !== undefined && !kinds.has(kindOf(attribute)))) continue;
    const value = normalizedValue(resolver, node, attribute);
    if (value === undefined) continue;
    if (isHardwareIdentity(attribute)) {
      out.push({ key: `${kindOf(attribute)}=${value}`, attribute, value });
      continue;
    }
    const interfaceName = (ADDRESS.exec(attribute) ?? HOSTNAME.exec(attribute))![1]!;
    const exemptAttribute = `net.${interfaceName}.allow_duplicates`;
    const exemptBy = { attribute: exemptAttribute, allowed: normalizedValue(resolver, node, exemptAttribute) === 'true' };
    if (ADDRESS.test(attribute)) {
      const address = value.split('/')[0]!;
      out.push({ key: `ipv4=${address}`, attribute, value: address, exemptBy });
    } else {
      for (const hostname of value.split(',')) out.push({ key: `hostname=${hostname}`, attribute, value: hostname, exemptBy });
    }
  }
  return out;
}

/** The value as stored: literals are normalized when set, an expression's result here. */
function normalizedValue(resolver: Resolver, node: NodeRecord, attribute: string): string | undefined {
  const resolved = resolver.resolve(node, attribute);
  if (resolved?.value === undefined) return undefined;
  if (resolved.expression === undefined) return resolved.value;
  try {
    return validateAttributeValue(attribute, resolved.value);
  } catch {
    return undefined;
  }
}

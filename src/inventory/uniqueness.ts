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
 * Nodes the change leaves alone are indexed first, so the node being changed
 * is the one named as the problem and the other as the holder. Duplicates
 * among nodes the change does not touch (a store from before this check) are
 * not reported: they do not stop an unrelated change.
 */
import { BerthError } from '../errors.ts';
import { isHardwareIdentity } from './incarnation.ts';
import type { InventoryReader, NodeRecord } from './model.ts';
import type { Resolver } from './resolver.ts';
import { validateAttributeValue } from './schema/index.ts';

/** One value a node holds that no other node may hold. */
interface Claim {
  /** What is compared: kind and normalized value (`hwaddr=52:54:00:00:00:01`). */
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
  for (const name of draft.nodeNames()) {
    if (changedSet.has(name)) continue;
    const node = draft.node(name);
    if (!node) continue;
    for (const claim of claims(resolver, node)) if (!holders.has(claim.key)) holders.set(claim.key, { ...claim, node: name, changed: false });
  }
  for (const name of changed) {
    const node = draft.node(name);
    if (!node) continue;
    for (const claim of claims(resolver, node)) {
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

function message(name: string, claim: Claim, holder: Holder): string {
  const where = holder.attribute === claim.attribute ? '' : ` (${holder.attribute})`;
  const used = holder.changed ? `is also given to node ${holder.node}${where} by this change` : `is already used by node ${holder.node}${where}`;
  let text = `${name}: ${claim.attribute} ${claim.value} ${used}`;
  if (claim.exemptBy === undefined || holder.exemptBy === undefined) return text;
  if (holder.exemptBy.allowed) text += `; ${holder.node} allows duplicates there: to share it deliberately, set ${claim.exemptBy.attribute}=true on ${name} as well`;
  else if (claim.exemptBy.allowed) text += `; to share it deliberately, set ${holder.exemptBy.attribute}=true on ${holder.node} as well`;
  else text += ` (to share it deliberately, set net.<if>.allow_duplicates=true on both nodes)`;
  return text;
}

/** The node's values that must be unique, resolved and normalized; values that do not resolve are reported elsewhere. */
function claims(resolver: Resolver, node: NodeRecord): Claim[] {
  const out: Claim[] = [];
  for (const attribute of resolver.attributeNames(node)) {
    if (!isUniqueAttribute(attribute)) continue;
    const value = normalizedValue(resolver, node, attribute);
    if (value === undefined) continue;
    if (isHardwareIdentity(attribute)) {
      out.push({ key: `${attribute === 'id.uuid' ? 'uuid' : 'hwaddr'}=${value}`, attribute, value });
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

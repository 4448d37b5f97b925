/** A small in-memory NoderangeContext for tests. */
import type { NoderangeContext } from '../../../src/inventory/noderange/context.ts';

export interface FakeInventory {
  /** node name -> attributes set on it */
  nodes: Record<string, Record<string, string>>;
  groups?: Record<string, string[]>;
}

export function fakeContext(inventory: FakeInventory): NoderangeContext {
  const names = Object.keys(inventory.nodes);
  const known = new Set(names);
  const groups = new Map(Object.entries(inventory.groups ?? {}));
  return {
    nodeNames: () => names,
    hasNode: (name) => known.has(name),
    groupMembers: (name) => groups.get(name),
    attributes: (node) => new Map(known.has(node) ? Object.entries(inventory.nodes[node]!) : []),
  };
}

/** `prefix` + numbers from..to, zero-padded to `width`. */
export function numbered(prefix: string, from: number, to: number, width = 1, suffix = ''): string[] {
  const names: string[] = [];
  for (let n = from; n <= to; n++) names.push(prefix + String(n).padStart(width, '0') + suffix);
  return names;
}

/**
 * The inventory the expand tests use, shaped like the noderange(5) examples:
 * ten racks r1..r10 of ten nodes r<rack>u01..r<rack>u10 (groups rack1..rack10
 * and compute), twenty nodes n1..n20, and a BMC named with a dash, r1-bmc.
 */
export function sampleInventory(): FakeInventory {
  const nodes: Record<string, Record<string, string>> = {};
  const groups: Record<string, string[]> = { compute: [], empty: [] };
  for (let rack = 1; rack <= 10; rack++) {
    const members = numbered(`r${rack}u`, 1, 10, 2);
    groups[`rack${rack}`] = members;
    groups.compute!.push(...members);
    members.forEach((name, i) => {
      nodes[name] = {
        'location.rack': String(rack),
        'location.row': rack <= 2 ? '12' : '13',
        'net.mgmt.switch': rack === 1 ? 'sw1' : 'sw2',
        ...(rack === 3 ? { 'net.data.switch': 'switch1' } : {}),
        'console.logging': rack === 1 && i < 5 ? 'full' : 'none',
        'crypted.password': '$6$salt$hash',
      };
    });
  }
  for (const name of numbered('n', 1, 20)) nodes[name] = { 'id.model': Number(name.slice(1)) % 2 ? '7X21' : '7Z60' };
  nodes['r1-bmc'] = { 'hardwaremanagement.method': 'redfish' };
  return { nodes, groups };
}

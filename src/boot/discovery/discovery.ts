/**
 * Machines that network-boot without being in the inventory. Each is recorded
 * once with what the firmware told us (arch, SMBIOS UUID, vendor class, relay
 * and switch port); an administrator assigns it to a node, or a policy does:
 *
 * - `manual` (default): nothing is assigned without `berth discover assign`;
 * - `uuid`: a machine whose SMBIOS UUID is a node's `id.uuid` becomes that node;
 * - `sequential`: machines are given, in the order they first boot, to the
 *   nodes of a noderange that have no MAC on the boot interface yet. Power-on
 *   order decides, so it is only used when chosen.
 *
 * Assigning sets `net.<if>.hwaddr` on the node; from then on DHCP knows it.
 * `<if>` is `boot` unless the policy or `berth discover assign --interface`
 * names another: the interface a machine network-boots through, and the
 * name the lab (`npm run demo`), the README, the profile examples
 * (`ip={net.boot.ipv4_address}`) and the install errors use, so a node
 * assigned by discovery finds its address where those put it.
 *
 * Only DHCP records machines here: the iPXE script an unknown machine gets
 * (boot/ipxe/scripts.ts) records nothing, and says so.
 *
 * Records are bounded, because anyone on the wire can forge DHCP from new
 * MACs (40,000 of them once left 34,566 records kept forever): at most
 * `maxRecords` (default 4,096), and a machine not seen for `maxAgeMs`
 * (default 24 h) is forgotten. At the cap the machine seen longest ago is
 * evicted (counted as `discovery.evicted-at-cap`) rather than the newcomer
 * refused: a forged MAC is seen once, while a real machine waiting for
 * assignment keeps asking (PXE retries, the discovery script every 10 s),
 * so it stays near the fresh end, and an evicted one is recorded again on
 * its next packet. Refusing would let one flood lock out every new machine
 * for a day. DHCP also limits how fast new MACs are let in
 * (dhcp/new-client-limit.ts).
 */
import { BerthError } from '../../errors.ts';
import type { EventSink } from '../../events/boot-event.ts';
import type { Inventory } from '../../inventory/inventory.ts';
import type { Store } from '../../store/store.ts';
import type { DiscoveredClient } from '../boot-target.ts';

const KIND = 'discovered';
const SETTINGS_KIND = 'setting';
const POLICY_KEY = 'discovery-policy';
/** lastSeen is written at most this often per machine: a looping discovery script must not flood the store. */
const LAST_SEEN_WRITE_MS = 60_000;
const FLUSH_MS = 200;
const DEFAULT_MAX_RECORDS = 4096;
const DEFAULT_MAX_AGE_MS = 24 * 3600_000;
/** The inventory interface whose hwaddr assignment sets, unless told otherwise (see the module comment). */
export const DEFAULT_DISCOVERY_INTERFACE = 'boot';

export interface DiscoveryLimits {
  /** Default 4,096. */
  maxRecords?: number;
  /** A machine not seen for this long is forgotten. Default 24 h. */
  maxAgeMs?: number;
  /** Default Date.now. */
  now?: () => number;
}

export type DiscoveryPolicyMode = 'manual' | 'uuid' | 'sequential';

export interface DiscoveryPolicy {
  mode: DiscoveryPolicyMode;
  /** For `sequential`: the nodes to fill, in natural order. */
  noderange?: string;
  /** Inventory interface whose hwaddr is set on assignment; default DEFAULT_DISCOVERY_INTERFACE (`boot`). */
  interfaceName: string;
}

export interface DiscoveredRecord extends DiscoveredClient {
  firstSeen: string;
  lastSeen: string;
  /** DHCP packets seen from it. */
  seen: number;
}

export class DiscoveryService {
  readonly #store: Store;
  readonly #inventory: Inventory;
  readonly #events: EventSink;
  readonly #maxRecords: number;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  /** Least recently seen first: observe() moves a machine to the end. */
  readonly #records = new Map<string, DiscoveredRecord>();
  readonly #lastWritten = new Map<string, number>();
  readonly #unwritten = new Set<string>();
  #flushTimer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  /** Assignments decided but not yet written: the same machine or node is never handed out twice meanwhile. */
  readonly #reserved = new Map<string, { node: string; interfaceName: string }>();
  #policy: DiscoveryPolicy = { mode: 'manual', interfaceName: DEFAULT_DISCOVERY_INTERFACE };

  private constructor(store: Store, inventory: Inventory, events: EventSink, limits: DiscoveryLimits) {
    this.#store = store;
    this.#inventory = inventory;
    this.#events = events;
    this.#maxRecords = limits.maxRecords ?? DEFAULT_MAX_RECORDS;
    this.#maxAgeMs = limits.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
    this.#now = limits.now ?? Date.now;
  }

  static async load(store: Store, inventory: Inventory, events: EventSink, limits: DiscoveryLimits = {}): Promise<DiscoveryService> {
    const service = new DiscoveryService(store, inventory, events, limits);
    await store.read((reader) => {
      const records = reader.list<DiscoveredRecord>(KIND).map((doc) => doc.value);
      records.sort((a, b) => Date.parse(a.lastSeen) - Date.parse(b.lastSeen));
      for (const record of records) service.#records.set(record.mac, record);
      const policy = reader.get<DiscoveryPolicy>(SETTINGS_KIND, POLICY_KEY);
      if (policy) service.#policy = policy.value;
    });
    // Records over the limits (written by an older berth, or a smaller cap now) go at once.
    service.#prune(service.#now());
    return service;
  }

  list(): DiscoveredRecord[] {
    this.#prune(this.#now());
    return [...this.#records.values()].sort((a, b) => (a.firstSeen < b.firstSeen ? -1 : a.firstSeen > b.firstSeen ? 1 : 0));
  }

  get policy(): DiscoveryPolicy {
    return { ...this.#policy };
  }

  async setPolicy(policy: DiscoveryPolicy): Promise<void> {
    if (policy.mode === 'sequential') {
      if (!policy.noderange) throw new BerthError('BERTH_BAD_INPUT', 'the sequential policy needs a noderange of nodes to fill');
      this.#inventory.expand(policy.noderange);
    }
    if (!/^[a-z][a-z0-9_]{0,14}$/.test(policy.interfaceName)) {
      throw new BerthError('BERTH_BAD_INPUT', `interface '${policy.interfaceName}' is not a valid inventory interface name`);
    }
    await this.#store.write((tx) => tx.put(SETTINGS_KIND, POLICY_KEY, { ...policy }));
    this.#policy = { ...policy };
  }

  /**
   * Called by DHCP for a MAC no node has. Records it and, if the policy says
   * so, decides on the spot which node it becomes (DHCP cannot wait for the
   * store); the assignment is then written in the background.
   */
  observe(client: DiscoveredClient): { node: string; interfaceName: string } | undefined {
    const pending = this.#reserved.get(client.mac);
    if (pending) return pending;
    const at = this.#now();
    const now = new Date(at).toISOString();
    const old = this.#records.get(client.mac);
    const record: DiscoveredRecord = old
      ? { ...old, ...client, lastSeen: now, seen: old.seen + 1 }
      : { ...client, firstSeen: now, lastSeen: now, seen: 1 };
    this.#records.delete(client.mac);
    this.#records.set(client.mac, record);
    this.#prune(at);
    if (!old) this.#events.emit({ source: 'discovery', step: 'new', mac: client.mac, detail: summary(record) });
    const node = this.#choose(record);
    if (node) {
      const choice = { node, interfaceName: this.#policy.interfaceName };
      this.#reserved.set(client.mac, choice);
      this.assign(client.mac, node, choice.interfaceName)
        .catch((e: unknown) => this.#events.emit({ source: 'discovery', step: 'assign-failed', mac: client.mac, node, detail: { reason: (e as Error).message } }))
        .finally(() => this.#reserved.delete(client.mac));
      return choice;
    }
    const changed = !old || old.uuid !== record.uuid || old.kind !== record.kind || old.network !== record.network;
    const last = this.#lastWritten.get(client.mac) ?? 0;
    if (changed || at - last > LAST_SEEN_WRITE_MS) {
      this.#lastWritten.set(client.mac, at);
      this.#markUnwritten(client.mac);
    }
    return undefined;
  }

  /** Forgets machines not seen for maxAgeMs, then the least recently seen beyond maxRecords. */
  #prune(now: number): void {
    for (const [mac, record] of this.#records) {
      const overCap = this.#records.size > this.#maxRecords;
      if (!overCap && now - Date.parse(record.lastSeen) < this.#maxAgeMs) break;
      if (overCap) this.#events.countDropped('discovery', 'evicted-at-cap');
      this.#records.delete(mac);
      this.#lastWritten.delete(mac);
      this.#markUnwritten(mac); // flush() deletes what is no longer recorded
    }
  }

  #markUnwritten(mac: string): void {
    this.#unwritten.add(mac);
    this.#flushTimer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /**
   * Writes the records observed since the last flush in one transaction.
   * DHCP calls observe() for every packet of an unknown machine; one fsynced
   * commit each held up every other packet (measured: a DHCP storm of new
   * MACs ran at a third of the rate). A crash loses at most FLUSH_MS of them,
   * and the machines are recorded again on their next packet.
   */
  flush(): Promise<void> {
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    const macs = [...this.#unwritten];
    this.#unwritten.clear();
    if (macs.length === 0) return this.#flushing;
    this.#flushing = this.#flushing
      .then(() =>
        this.#store.write((tx) => {
          for (const mac of macs) {
            const record = this.#records.get(mac);
            if (record) tx.put(KIND, mac, record as never);
            else tx.delete(KIND, mac);
          }
        }),
      )
      .catch(() => undefined);
    return this.#flushing;
  }

  /** Assigns a discovered machine (by MAC or SMBIOS UUID) to a node. */
  async assign(macOrUuid: string, node: string, interfaceName = this.#policy.interfaceName): Promise<{ mac: string; node: string; attribute: string }> {
    const key = macOrUuid.toLowerCase().replace(/-/g, macOrUuid.length === 17 ? ':' : '-');
    const record = this.#records.get(key) ?? [...this.#records.values()].find((r) => r.uuid === macOrUuid.toLowerCase());
    if (!record) throw new BerthError('BERTH_NOT_FOUND', `no discovered machine with MAC or UUID '${macOrUuid}' (see: berth discover list)`);
    this.#inventory.requireNode(node);
    const attribute = `net.${interfaceName}.hwaddr`;
    await this.#inventory.changeNodes([node], { set: { [attribute]: record.mac } });
    this.#records.delete(record.mac);
    this.#lastWritten.delete(record.mac);
    this.#unwritten.delete(record.mac);
    await this.#flushing;
    await this.#store.write((tx) => tx.delete(KIND, record.mac));
    this.#events.emit({ source: 'discovery', step: 'assigned', node, mac: record.mac, detail: { attribute, ...(record.uuid ? { uuid: record.uuid } : {}) } });
    return { mac: record.mac, node, attribute };
  }

  /** Forgets a discovered machine (it will be recorded again if it boots again). */
  async forget(mac: string): Promise<void> {
    if (!this.#records.delete(mac)) throw new BerthError('BERTH_NOT_FOUND', `no discovered machine with MAC '${mac}'`);
    this.#unwritten.delete(mac);
    await this.#flushing;
    await this.#store.write((tx) => tx.delete(KIND, mac));
  }

  #choose(record: DiscoveredRecord): string | undefined {
    const { mode, interfaceName } = this.#policy;
    const taken = new Set([...this.#reserved.values()].map((r) => r.node));
    const resolver = this.#inventory.resolver();
    if (mode === 'uuid' && record.uuid) {
      return this.#inventory.nodeNames().find((n) => !taken.has(n) && resolver.value(this.#inventory.node(n)!, 'id.uuid') === record.uuid);
    }
    if (mode === 'sequential' && this.#policy.noderange) {
      const attribute = `net.${interfaceName}.hwaddr`;
      try {
        return this.#inventory.expand(this.#policy.noderange).find((n) => !taken.has(n) && resolver.value(this.#inventory.node(n)!, attribute) === undefined);
      } catch {
        return undefined; // the noderange no longer resolves; manual assignment still works
      }
    }
    return undefined;
  }
}

function summary(record: DiscoveredRecord): Record<string, string | number> {
  const out: Record<string, string | number> = { network: record.network };
  if (record.kind) out['kind'] = record.kind;
  if (record.arch !== undefined) out['arch'] = record.arch;
  if (record.uuid) out['uuid'] = record.uuid;
  if (record.vendorClass) out['vendorClass'] = record.vendorClass;
  if (record.relay) out['giaddr'] = record.relay.giaddr;
  return out;
}

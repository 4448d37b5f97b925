/**
 * Where boot events go: a node's timeline in the store, live subscribers
 * (`berth events --follow`, the SSE endpoint), and counters of what the boot
 * services refused. Events are written in batches: a mass reboot of 10,000
 * nodes produces tens of thousands of events a minute, and each one must not
 * cost a store transaction. The boot services never wait for the timeline.
 *
 * Three records, each with its own bound, so that what anyone on the
 * provisioning network can cause never pushes out what an administrator
 * needs:
 * - a node's timeline (store kind 'timeline'): its last 500 boot steps;
 * - its audit record (store kind 'audit', boot-event.ts AUDIT_STEPS): who got
 *   its secrets and who was refused them, the last 100 of each step, so a
 *   flood of refusals does not push out the last `key-granted`;
 * - machines berth does not know, under their MAC: 50 steps each, and only
 *   the 1,000 machines heard from most recently (random MACs cost nothing).
 */
import type { Store, StoreReader, StoreTransaction } from '../store/store.ts';
import type { Logger } from '../util/logger.ts';
import { isAuditEvent } from './boot-event.ts';
import type { BootEvent, BootEventSource, EventSink } from './boot-event.ts';

const KIND = 'timeline';
const AUDIT_KIND = 'audit';
/**
 * Short on purpose: a flush is a synchronous store transaction on the event
 * loop, and the longer the batch, the longer DHCP packets wait behind it (at
 * 200 ms, a DHCP storm lost 3 % of exchanges at 2,000/s; at 50 ms, 0.2 %).
 */
const FLUSH_MS = 50;
/** Per node: enough for many boots; older events make room. */
const KEEP_PER_SUBJECT = 500;
/** Per node and audit step (key-granted, key-refused, ...). */
const KEEP_PER_AUDIT_STEP = 100;
/** Per machine not in the inventory: its discovery boots. */
const KEEP_PER_UNKNOWN = 50;
/** Machines not in the inventory with a timeline; the one heard from longest ago makes room. */
const MAX_UNKNOWN_SUBJECTS = 1000;
/** Trimming is a range read, so it runs only once a record is this far (at most a fifth of its limit) over its limit. */
const TRIM_SLACK = 100;
const UNKNOWN_PREFIX = 'mac-';

export type EventListener = (event: BootEvent) => void;

/** The timeline of a machine berth does not know yet is kept under its MAC. */
export function timelineSubject(event: Pick<BootEvent, 'node' | 'mac'>): string | undefined {
  if (event.node) return event.node;
  if (event.mac) return `${UNKNOWN_PREFIX}${event.mac.replace(/:/g, '-')}`;
  return undefined;
}

/** One bounded run of stored events: its store kind, key prefix and limit. */
interface BoundedRecord {
  kind: string;
  prefix: string;
  keep: number;
}

function recordOf(event: BootEvent, subject: string): BoundedRecord {
  if (isAuditEvent(event)) return { kind: AUDIT_KIND, prefix: `${subject}/${event.step}/`, keep: KEEP_PER_AUDIT_STEP };
  return { kind: KIND, prefix: `${subject}/`, keep: event.node === undefined ? KEEP_PER_UNKNOWN : KEEP_PER_SUBJECT };
}

/** The unknown machines' subjects in the store, the one heard from longest ago first. */
function storedUnknownSubjects(reader: StoreReader): Map<string, true> {
  const last = new Map<string, string>();
  for (const doc of reader.list(KIND, UNKNOWN_PREFIX)) {
    const slash = doc.key.indexOf('/');
    const subject = doc.key.slice(0, slash);
    const stamp = doc.key.slice(slash + 1);
    if ((last.get(subject) ?? '') < stamp) last.set(subject, stamp);
  }
  return new Map([...last].sort(([, a], [, b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([subject]) => [subject, true]));
}

export class EventLog implements EventSink {
  readonly #store: Store;
  readonly #log: Logger;
  readonly #listeners = new Set<EventListener>();
  readonly #dropped = new Map<string, number>();
  #pending: BootEvent[] = [];
  #timer: NodeJS.Timeout | undefined;
  #sequence = 0;
  /** Stored events per record (`kind:prefix`), as far as this process knows; others are counted on first touch. */
  readonly #counts = new Map<string, number>();
  /** Subjects of machines not in the inventory, least recently heard from first; read from the store on the first write. */
  #unknown: Map<string, true> | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(store: Store, log: Logger) {
    this.#store = store;
    this.#log = log;
  }

  emit(input: Omit<BootEvent, 'time'> & { time?: string }): void {
    const { time, ...rest } = input;
    const event: BootEvent = { time: time ?? new Date().toISOString(), ...rest };
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (e) {
        this.#log.warn('event listener failed', { error: e as Error });
      }
    }
    this.#pending.push(event);
    this.#timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  countDropped(source: BootEventSource, reason: string): void {
    const key = `${source}.${reason}`;
    this.#dropped.set(key, (this.#dropped.get(key) ?? 0) + 1);
  }

  /** Counters of refused packets and requests, e.g. `{ "dhcp.malformed": 3 }`. */
  dropped(): Record<string, number> {
    return Object.fromEntries([...this.#dropped].sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  subscribe(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Events of one node (or `mac-aa-bb-...` subject), oldest first, including
   * those not yet written: its last `limit` boot steps and its whole audit
   * record (security events are never cut by the limit).
   */
  async timeline(subject: string, limit = KEEP_PER_SUBJECT): Promise<BootEvent[]> {
    const [steps, audit] = await this.#store.read((reader) => [reader.list<BootEvent>(KIND, `${subject}/`).map((d) => d.value), reader.list<BootEvent>(AUDIT_KIND, `${subject}/`).map((d) => d.value)]);
    const pending = this.#pending.filter((e) => timelineSubject(e) === subject);
    const recent = [...steps!, ...pending.filter((e) => !isAuditEvent(e))].slice(-limit);
    const security = [...audit!, ...pending.filter((e) => isAuditEvent(e))];
    // Stable: events of one time keep the order they were written in.
    return [...recent, ...security].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  }

  /** Moves a machine's events from its MAC subject to its node once it is assigned. */
  async rename(from: string, to: string): Promise<void> {
    await this.flush();
    this.#counts.delete(`${KIND}:${from}/`);
    this.#counts.delete(`${KIND}:${to}/`);
    this.#unknown?.delete(from);
    await this.#store.write((tx) => {
      for (const doc of tx.list<BootEvent>(KIND, `${from}/`)) {
        tx.delete(KIND, doc.key);
        tx.put(KIND, `${to}/${doc.key.slice(from.length + 1)}`, { ...doc.value, node: to } as never);
      }
    });
  }

  flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return this.#flushing;
    this.#flushing = this.#flushing.then(() => this.#write(batch)).catch((e: unknown) => {
      this.#log.error('could not write boot events to the store', { error: e as Error, events: batch.length });
    });
    return this.#flushing;
  }

  async #write(batch: BootEvent[]): Promise<void> {
    const touched = new Map<string, { record: BoundedRecord; added: number }>();
    await this.#store.write((tx) => {
      this.#unknown ??= storedUnknownSubjects(tx);
      for (const event of batch) {
        const subject = timelineSubject(event);
        if (subject === undefined) continue;
        if (event.node === undefined) this.#heardFrom(tx, subject);
        const record = recordOf(event, subject);
        const id = `${record.kind}:${record.prefix}`;
        touched.set(id, { record, added: (touched.get(id)?.added ?? 0) + 1 });
        const sequence = (this.#sequence = (this.#sequence + 1) % 1_000_000);
        tx.put(record.kind, `${record.prefix}${event.time}-${String(sequence).padStart(6, '0')}`, event as never);
      }
      for (const [id, { record, added }] of touched) {
        const known = this.#counts.get(id);
        // The first time a record is seen, count what the store holds (this batch included).
        let count = known === undefined ? tx.list(record.kind, record.prefix).length : known + added;
        if (count > record.keep + Math.min(TRIM_SLACK, record.keep / 5)) {
          const docs = tx.list(record.kind, record.prefix);
          for (const doc of docs.slice(0, Math.max(0, docs.length - record.keep))) tx.delete(record.kind, doc.key);
          count = Math.min(docs.length, record.keep);
        }
        this.#counts.set(id, count);
      }
    });
  }

  /** A machine not in the inventory was heard from: it becomes the most recent, and the longest silent one beyond the limit loses its timeline. */
  #heardFrom(tx: StoreTransaction, subject: string): void {
    const unknown = this.#unknown!;
    unknown.delete(subject);
    unknown.set(subject, true);
    while (unknown.size > MAX_UNKNOWN_SUBJECTS) {
      const oldest = unknown.keys().next().value!;
      unknown.delete(oldest);
      this.#counts.delete(`${KIND}:${oldest}/`);
      for (const doc of tx.list(KIND, `${oldest}/`)) tx.delete(KIND, doc.key);
    }
  }

  async close(): Promise<void> {
    await this.flush();
    this.#listeners.clear();
  }
}

/**
 * Where boot events go: a node's timeline in the store, live subscribers
 * (`berth events --follow`, the SSE endpoint), and counters of what the boot
 * services refused. Events are written in batches: a mass reboot of 10,000
 * nodes produces tens of thousands of events a minute, and each one must not
 * cost a store transaction. The boot services never wait for the timeline.
 */
import type { Store } from '../store/store.ts';
import type { Logger } from '../util/logger.ts';
import type { BootEvent, BootEventSource, EventSink } from './boot-event.ts';

const KIND = 'timeline';
/**
 * Short on purpose: a flush is a synchronous store transaction on the event
 * loop, and the longer the batch, the longer DHCP packets wait behind it (at
 * 200 ms, a DHCP storm lost 3 % of exchanges at 2,000/s; at 50 ms, 0.2 %).
 */
const FLUSH_MS = 50;
/** Per node: enough for many boots; older events make room. */
const KEEP_PER_SUBJECT = 500;
/** Trimming is a range read, so it runs only once a subject is this far over its limit. */
const TRIM_SLACK = 100;

export type EventListener = (event: BootEvent) => void;

/** The timeline of a machine berth does not know yet is kept under its MAC. */
export function timelineSubject(event: Pick<BootEvent, 'node' | 'mac'>): string | undefined {
  if (event.node) return event.node;
  if (event.mac) return `mac-${event.mac.replace(/:/g, '-')}`;
  return undefined;
}

export class EventLog implements EventSink {
  readonly #store: Store;
  readonly #log: Logger;
  readonly #listeners = new Set<EventListener>();
  readonly #dropped = new Map<string, number>();
  #pending: BootEvent[] = [];
  #timer: NodeJS.Timeout | undefined;
  #sequence = 0;
  /** Stored events per subject, as far as this process knows; unknown subjects are counted on first touch. */
  readonly #counts = new Map<string, number>();
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

  /** Events of one node (or `mac-aa-bb-...` subject), oldest first, including those not yet written. */
  async timeline(subject: string, limit = KEEP_PER_SUBJECT): Promise<BootEvent[]> {
    const stored = await this.#store.read((reader) => reader.list<BootEvent>(KIND, `${subject}/`).map((d) => d.value));
    const pending = this.#pending.filter((e) => timelineSubject(e) === subject);
    return [...stored, ...pending].slice(-limit);
  }

  /** Moves a machine's events from its MAC subject to its node once it is assigned. */
  async rename(from: string, to: string): Promise<void> {
    await this.flush();
    this.#counts.delete(from);
    this.#counts.delete(to);
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
    const touched = new Map<string, number>();
    await this.#store.write((tx) => {
      for (const event of batch) {
        const subject = timelineSubject(event);
        if (subject === undefined) continue;
        touched.set(subject, (touched.get(subject) ?? 0) + 1);
        const sequence = (this.#sequence = (this.#sequence + 1) % 1_000_000);
        tx.put(KIND, `${subject}/${event.time}-${String(sequence).padStart(6, '0')}`, event as never);
      }
      for (const [subject, added] of touched) {
        const known = this.#counts.get(subject);
        // The first time a subject is seen, count what the store holds (this batch included).
        let count = known === undefined ? tx.list(KIND, `${subject}/`).length : known + added;
        if (count > KEEP_PER_SUBJECT + TRIM_SLACK) {
          const docs = tx.list(KIND, `${subject}/`);
          for (const doc of docs.slice(0, docs.length - KEEP_PER_SUBJECT)) tx.delete(KIND, doc.key);
          count = KEEP_PER_SUBJECT;
        }
        this.#counts.set(subject, count);
      }
    });
  }

  async close(): Promise<void> {
    await this.flush();
    this.#listeners.clear();
  }
}

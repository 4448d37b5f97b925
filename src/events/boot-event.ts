/**
 * A step in a node's boot, as the boot services see it. Events go to the
 * node's timeline (kept in the store) and to live subscribers (`berth events
 * --follow`). Protocol code only ever sees the EventSink interface.
 */
export type BootEventSource = 'dhcp' | 'tftp' | 'http' | 'nbd' | 'discovery' | 'api' | 'node';

export interface BootEvent {
  /** ISO 8601 with milliseconds. */
  time: string;
  source: BootEventSource;
  /** e.g. dhcp: discover|offer|request|ack|nak|decline|release|inform|ignored; tftp: start|done|error; http: script|kernel|initrd|loader|file */
  step: string;
  /** Node name when the client is known. */
  node?: string;
  /** Client MAC (lowercase, colon form), when the protocol carries one. */
  mac?: string;
  /** Client IP address, when known. */
  ip?: string;
  /** Step details: lease address, file name, bytes, duration, retransmits, client arch, reason... */
  detail?: Record<string, string | number | boolean>;
}

/**
 * Security events: who got a node's secrets and who was refused them. They
 * are kept in the node's audit record (event-log.ts), apart from the boot
 * steps, so that no amount of boot traffic (which anyone on the network can
 * cause) pushes them out; `berth node timeline` shows both.
 */
export const AUDIT_STEPS: ReadonlySet<string> = new Set(['key-granted', 'key-refused', 'install-refused', 'image-key', 'ssh-certificates']);

export function isAuditEvent(event: Pick<BootEvent, 'step' | 'node'>): boolean {
  return event.node !== undefined && AUDIT_STEPS.has(event.step);
}

export interface EventSink {
  emit(event: Omit<BootEvent, 'time'> & { time?: string }): void;
  /** Counts packets or requests refused before they became events: malformed, not for us, rate limited. */
  countDropped(source: BootEventSource, reason: string): void;
}

/** For unit tests of protocol code: records everything. */
export class RecordingSink implements EventSink {
  readonly events: BootEvent[] = [];
  readonly dropped = new Map<string, number>();

  emit(event: Omit<BootEvent, 'time'> & { time?: string }): void {
    this.events.push({ time: event.time ?? new Date().toISOString(), ...event });
  }

  countDropped(source: BootEventSource, reason: string): void {
    const key = `${source}:${reason}`;
    this.dropped.set(key, (this.dropped.get(key) ?? 0) + 1);
  }
}

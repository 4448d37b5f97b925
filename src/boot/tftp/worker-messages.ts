/**
 * What the TransferPool (main thread) and a transfer worker thread say to
 * each other over the worker's message port. Types only.
 *
 * Per transfer, the worker reports, in this order: its events, `finished`
 * (the outcome is decided: the server may take another request from that
 * client), then `released` (the socket is closed and no read of the file is
 * in flight: the main thread may close the descriptor). Nothing is posted per
 * packet except drop counts.
 */
import type { BootEvent, BootEventSource } from '../../events/boot-event.ts';
import type { LogFields, LogLevel } from '../../util/logger.ts';
import type { NegotiatedOptions } from './options.ts';
import type { Client } from './request-handler.ts';

/** Given to every worker when it starts (workerData). */
export interface WorkerSetup {
  /** Where transfer sockets bind; undefined = all addresses. */
  address: string | undefined;
  socketType: 'udp4' | 'udp6';
  /** Log records below this level are not posted at all. */
  logLevel: LogLevel | 'silent';
}

/** A transfer handed to a worker: the request is accepted and the file open. */
export interface TransferOrder {
  id: number;
  client: Client;
  node?: string;
  /** The name as requested, for events. */
  file: string;
  /** Open descriptor of the file, owned by the main thread (same process, so the number is valid in the worker). */
  fd: number;
  size: number;
  negotiated: NegotiatedOptions;
  timeoutMs: number;
  maxRetries: number;
  firstAckTimeoutMs: number;
  readAheadBytes: number;
}

export type ToWorker = { kind: 'start'; order: TransferOrder } | { kind: 'abort'; id: number; reason: string };

export type FromWorker =
  | { kind: 'ready' }
  | { kind: 'event'; event: Omit<BootEvent, 'time'> }
  | { kind: 'dropped'; source: BootEventSource; reason: string }
  | { kind: 'log'; level: LogLevel; message: string; fields?: LogFields }
  | { kind: 'socket-failed'; id: number; message: string }
  | { kind: 'finished'; id: number }
  | { kind: 'released'; id: number };

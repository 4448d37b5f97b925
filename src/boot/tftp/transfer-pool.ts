/**
 * A few worker threads that run accepted transfers (transfer-worker.ts), so
 * sending uses every core rather than the main thread's one. Workers start
 * once, with the server, and live until stop(); each transfer goes to the
 * worker with the fewest running.
 *
 * The main thread keeps what must outlive a worker: the open file (closed
 * here once the worker reports `released`, or once the worker is gone) and
 * the EventSink and logger, to which the workers' events, drop counts and log
 * records are forwarded. If a worker dies (an uncaught exception, or killed),
 * its transfers end with an `error` event, their files are closed and a
 * replacement is started: a crash costs those transfers, not the server.
 */
import { Worker } from 'node:worker_threads';
import { BerthError } from '../../errors.ts';
import type { EventSink } from '../../events/boot-event.ts';
import type { Logger } from '../../util/logger.ts';
import type { NegotiatedOptions } from './options.ts';
import type { Client } from './request-handler.ts';
import type { OpenedFile } from './root-files.ts';
import type { FromWorker, ToWorker, WorkerSetup } from './worker-messages.ts';

export interface TransferPoolOptions {
  /** Worker threads. */
  size: number;
  /** Where transfer sockets bind; undefined = all addresses. */
  address: string | undefined;
  socketType: 'udp4' | 'udp6';
  events: EventSink;
  log: Logger;
  /** The worker's entry point; tests substitute their own. Default transfer-worker.ts. */
  workerUrl?: URL;
}

export interface TransferJob {
  client: Client;
  node?: string;
  /** The name as requested, for events. */
  file: string;
  /** Closed by the pool when the transfer is over. */
  opened: OpenedFile;
  negotiated: NegotiatedOptions;
  timeoutMs: number;
  maxRetries: number;
  /** Give the transfer up if the client has not acknowledged the first reply after this long. */
  firstAckTimeoutMs: number;
  readAheadBytes: number;
  /** Called once, when the transfer's outcome is decided (its `done` or `error` event is out). */
  onFinished: () => void;
}

interface Running {
  job: TransferJob;
  slot: Slot;
  finished: boolean;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  /** Transfers on this worker not yet released. */
  running: Set<number>;
}

/** A replacement worker that dies before it is ready is retried after this long, not in a tight loop. */
const respawnDelayMs = 1000;

export class TransferPool {
  private readonly o: TransferPoolOptions;
  private readonly setup: WorkerSetup;
  private readonly slots: (Slot | undefined)[];
  private readonly transfers = new Map<number, Running>();
  private readonly drained = new Set<() => void>();
  private nextId = 1;
  private stopping = false;

  constructor(options: TransferPoolOptions) {
    this.o = options;
    this.setup = { address: options.address, socketType: options.socketType, logLevel: options.log.level };
    this.slots = Array.from({ length: Math.max(1, options.size) }, () => undefined);
  }

  /** Starts the workers and waits until each is ready. Rejects with BERTH_INTERNAL if one cannot start. */
  async start(): Promise<void> {
    const ready = this.slots.map((_, i) => this.spawn(i));
    try {
      await Promise.all(ready);
    } catch (e) {
      await this.stop();
      throw new BerthError('BERTH_INTERNAL', `TFTP transfer worker did not start: ${(e as Error).message}`);
    }
  }

  /** Transfers handed to workers and not yet released. */
  get size(): number {
    return this.transfers.size;
  }

  /** The worker threads, in slot order (for tests and diagnostics). */
  get workers(): Worker[] {
    return this.slots.flatMap((slot) => (slot ? [slot.worker] : []));
  }

  /** Hands a transfer to the least busy worker; false when there is none (stopping, or all restarting). */
  run(job: TransferJob): boolean {
    if (this.stopping) return false;
    let best: Slot | undefined;
    for (const slot of this.slots) if (slot && (!best || slot.running.size < best.running.size)) best = slot;
    if (!best) return false;
    const id = this.nextId++;
    this.transfers.set(id, { job, slot: best, finished: false });
    best.running.add(id);
    const { client, node, file, opened, negotiated, timeoutMs, maxRetries, firstAckTimeoutMs, readAheadBytes } = job;
    this.send(best, {
      kind: 'start',
      order: { id, client, ...(node !== undefined ? { node } : {}), file, fd: opened.fd, size: opened.size, negotiated, timeoutMs, maxRetries, firstAckTimeoutMs, readAheadBytes },
    });
    return true;
  }

  /** Ends every running transfer (telling its client), waits until all are released, then stops the workers. */
  async stop(reason = 'server stopping'): Promise<void> {
    this.stopping = true;
    if (this.transfers.size > 0) {
      const drained = new Promise<void>((resolve) => this.drained.add(resolve));
      for (const [id, running] of this.transfers) this.send(running.slot, { kind: 'abort', id, reason });
      await drained;
    }
    await Promise.all(this.workers.map((worker) => worker.terminate()));
    this.slots.fill(undefined);
  }

  private spawn(index: number): Promise<void> {
    const worker = new Worker(this.o.workerUrl ?? new URL('./transfer-worker.ts', import.meta.url), { workerData: this.setup });
    const slot: Slot = { worker, ready: false, running: new Set() };
    this.slots[index] = slot;
    return new Promise<void>((resolve, reject) => {
      worker.on('message', (message: FromWorker) => {
        if (message.kind === 'ready') {
          slot.ready = true;
          resolve();
        } else {
          this.onMessage(message);
        }
      });
      worker.on('error', (e) => {
        this.o.log.error('tftp transfer worker failed', { error: e, transfers: slot.running.size });
        reject(e);
      });
      worker.on('exit', (code) => {
        reject(new Error(`exited with code ${code}`));
        this.onExit(index, slot, code);
      });
    });
  }

  private onMessage(message: FromWorker): void {
    switch (message.kind) {
      case 'event':
        this.o.events.emit(message.event);
        return;
      case 'dropped':
        this.o.events.countDropped(message.source, message.reason);
        return;
      case 'log':
        this.o.log[message.level](message.message, message.fields);
        return;
      case 'socket-failed':
        this.o.events.countDropped('tftp', 'socket-failed');
        this.o.log.error('tftp cannot open a transfer socket', { error: message.message });
        return;
      case 'finished':
        this.finish(message.id);
        return;
      case 'released':
        this.release(message.id);
        return;
      case 'ready':
        return;
    }
  }

  private onExit(index: number, slot: Slot, code: number): void {
    if (this.slots[index] === slot) this.slots[index] = undefined;
    if (slot.running.size > 0 || !this.stopping) {
      this.o.log.error('tftp transfer worker stopped', { code, transfers: slot.running.size });
    }
    for (const id of slot.running) {
      const running = this.transfers.get(id);
      if (running && !running.finished) {
        const { client, node, file } = running.job;
        this.o.events.emit({
          source: 'tftp',
          step: 'error',
          ip: client.address,
          ...(node !== undefined ? { node } : {}),
          detail: { file, reason: `transfer worker stopped unexpectedly (exit code ${code})` },
        });
      }
      this.finish(id);
      this.release(id);
    }
    if (this.stopping) return;
    const respawn = () => {
      if (this.stopping || this.slots[index]) return;
      this.spawn(index).catch(() => {});
    };
    if (slot.ready) respawn();
    else setTimeout(respawn, respawnDelayMs).unref();
  }

  private finish(id: number): void {
    const running = this.transfers.get(id);
    if (!running || running.finished) return;
    running.finished = true;
    running.job.onFinished();
  }

  private release(id: number): void {
    const running = this.transfers.get(id);
    if (!running) return;
    this.finish(id);
    this.transfers.delete(id);
    running.slot.running.delete(id);
    running.job.opened.close().catch(() => {});
    if (this.transfers.size === 0) {
      for (const resolve of this.drained) resolve();
      this.drained.clear();
    }
  }

  private send(slot: Slot, message: ToWorker): void {
    slot.worker.postMessage(message);
  }
}

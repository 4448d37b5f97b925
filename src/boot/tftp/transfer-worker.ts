/**
 * Entry point of a transfer worker thread (started by transfer-pool.ts).
 *
 * Sending is where a TFTP server spends its time: one sendmsg() per DATA
 * packet, most of it in the kernel's loopback or NIC path. tftpd-hpa forks a
 * process per transfer and so uses every core; berth accepts requests on the
 * main thread and runs the transfers here, on a few threads, each with its
 * own event loop. A transfer's socket, state machine, timer and read-ahead
 * buffer all live in one worker. The file was opened (and confined to the
 * root) by the main thread, which passes the descriptor number and keeps
 * ownership of it: this thread only reads through it, and reports `released`
 * once no read is in flight, so the main thread can close it.
 */
import { readv } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { EventSink } from '../../events/boot-event.ts';
import type { LogFields, LogLevel } from '../../util/logger.ts';
import { TransferSession } from './transfer-session.ts';
import { openTransferSockets, type TransferSockets } from './transfer-sockets.ts';
import type { FromWorker, ToWorker, TransferOrder, WorkerSetup } from './worker-messages.ts';

if (!parentPort) throw new Error('transfer-worker.ts runs as a worker thread of the TFTP server, not on its own');
const port = parentPort;
const setup = workerData as WorkerSetup;
const post = (message: FromWorker) => port.postMessage(message);

const severity: Record<LogLevel | 'silent', number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
const logAt = (level: LogLevel) =>
  severity[level] < severity[setup.logLevel] ? () => {} : (message: string, fields?: LogFields) => post({ kind: 'log', level, message, ...(fields ? { fields } : {}) });
const log = { debug: logAt('debug'), info: logAt('info') };

const events: EventSink = {
  emit: (event) => post({ kind: 'event', event }),
  countDropped: (source, reason) => post({ kind: 'dropped', source, reason }),
};

/** Running transfers, and those still binding their socket (an abort then just cancels them). */
const transfers = new Map<number, TransferSession | 'binding'>();
const cancelled = new Set<number>();

port.on('message', (message: ToWorker) => {
  if (message.kind === 'start') {
    void begin(message.order);
    return;
  }
  const transfer = transfers.get(message.id);
  if (transfer === 'binding') cancelled.add(message.id);
  else transfer?.abort(message.reason);
});
post({ kind: 'ready' });

async function begin(order: TransferOrder): Promise<void> {
  const { id } = order;
  transfers.set(id, 'binding');
  let sockets: TransferSockets;
  try {
    sockets = await openTransferSockets(setup.socketType, setup.address, order.client);
  } catch (e) {
    transfers.delete(id);
    post({ kind: 'socket-failed', id, message: (e as Error).message });
    post({ kind: 'released', id });
    return;
  }
  const { socket, connected } = sockets;
  if (cancelled.delete(id)) {
    socket.close();
    connected?.close();
    transfers.delete(id);
    post({ kind: 'released', id });
    return;
  }
  const session = new TransferSession({
    client: order.client,
    ...(order.node !== undefined ? { node: order.node } : {}),
    file: order.file,
    opened: descriptorReader(order.fd, order.size),
    negotiated: order.negotiated,
    socket,
    ...(connected ? { connected } : {}),
    timeoutMs: order.timeoutMs,
    maxRetries: order.maxRetries,
    firstAckTimeoutMs: order.firstAckTimeoutMs,
    readAheadBytes: order.readAheadBytes,
    events,
    log,
    onFinished: () => post({ kind: 'finished', id }),
    onReleased: () => {
      transfers.delete(id);
      post({ kind: 'released', id });
    },
  });
  transfers.set(id, session);
  session.start();
}

/** Reads through a descriptor the main thread owns; close() only waits for reads in flight. */
function descriptorReader(fd: number, size: number) {
  let inFlight = 0;
  let settled: (() => void) | undefined;
  return {
    size,
    readv(buffers: Uint8Array[], position: number): Promise<number> {
      inFlight++;
      return new Promise<number>((resolve, reject) => {
        readv(fd, buffers, position, (error, bytesRead) => {
          inFlight--;
          if (inFlight === 0) settled?.();
          if (error) reject(error);
          else resolve(bytesRead);
        });
      });
    },
    close(): Promise<void> {
      return inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => (settled = resolve));
    },
  };
}

/**
 * Tears labs down when the berth process ends, however it ends: normally,
 * by an uncaught exception, or by SIGINT/SIGTERM. A `kill -9` cannot be
 * caught; that case is what the state file and `berth lab down` are for.
 *
 * Node runs only synchronous code in its 'exit' event, so each cleanup has two
 * forms: a graceful asynchronous one for signals, and a synchronous last
 * resort for 'exit'.
 */
export interface ExitCleanup {
  graceful(): Promise<void>;
  immediate(): void;
}

const cleanups = new Set<ExitCleanup>();
let installed = false;

/** Registers a cleanup; the returned function unregisters it (after a normal teardown). */
export function onProcessExit(cleanup: ExitCleanup): () => void {
  install();
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', () => {
    for (const c of [...cleanups]) {
      cleanups.delete(c);
      try {
        c.immediate();
      } catch {
        // keep going: the next lab must still be removed
      }
    }
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const handler = async () => {
      const pending = [...cleanups];
      cleanups.clear();
      await Promise.allSettled(pending.map((c) => c.graceful()));
      // If nobody else handles the signal, end the way the signal would have,
      // so the exit status still says "interrupted".
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, handler);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, handler);
  }
}

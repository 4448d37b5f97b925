/**
 * Undo steps of a benchmark (kill the processes it started, delete the
 * network namespaces it made, remove its temp dirs), run exactly once: when
 * the benchmark ends, fails, or is interrupted with SIGINT or SIGTERM. Steps
 * are synchronous so they can run from a signal handler, and run newest
 * first, like unwinding a stack (processes before the namespaces they live in).
 */
export class Teardown {
  readonly #steps: { what: string; step: () => void }[] = [];
  #done = false;

  constructor() {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        console.error(`\n${signal}: cleaning up`);
        this.run();
        process.exit(signal === 'SIGINT' ? 130 : 143);
      });
    }
  }

  /** Adds a step; the returned function takes it back out (it was undone the normal way). */
  add(what: string, step: () => void): () => void {
    const entry = { what, step };
    this.#steps.push(entry);
    return () => {
      const i = this.#steps.indexOf(entry);
      if (i >= 0) this.#steps.splice(i, 1);
    };
  }

  run(): void {
    if (this.#done) return;
    this.#done = true;
    for (const { what, step } of this.#steps.reverse()) {
      try {
        step();
      } catch (e) {
        // Keep going: one failed step must not leave the others' resources behind.
        console.error(`cleanup: ${what} failed: ${(e as Error).message}`);
      }
    }
    this.#steps.length = 0;
  }
}

/** SIGKILLs a process we started, by its PID; gone already is fine. */
export function killPid(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

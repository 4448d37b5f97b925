/**
 * Serialises `write` calls inside one process. Transactions are synchronous,
 * so two can only overlap when one is started from inside another (a write
 * callback or an onChange listener calling `store.write`). Those are queued
 * and run, in call order, as soon as the running one has finished; a write
 * called while nothing runs starts immediately, so
 * `store.write(a); store.read(b)` lets b see a.
 */
export class WriteQueue {
  readonly #waiting: (() => void)[] = [];
  #running = false;

  run<T>(job: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#waiting.push(() => {
        try {
          resolve(job());
        } catch (e) {
          reject(e);
        }
      });
      if (!this.#running) this.#drain();
    });
  }

  #drain(): void {
    this.#running = true;
    try {
      for (let next = this.#waiting.shift(); next; next = this.#waiting.shift()) next();
    } finally {
      this.#running = false;
    }
  }
}

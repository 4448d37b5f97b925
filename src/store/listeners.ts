/**
 * onChange subscribers, shared by every Store implementation.
 *
 * A listener that throws must not undo or fail a transaction that already
 * committed, nor starve the listeners after it; but a bug must not vanish
 * either, so its error is rethrown on a later tick where it surfaces as an
 * uncaught exception.
 */
import type { StoreChange } from './store.ts';

type Listener = (changes: StoreChange[]) => void;

export class ChangeListeners {
  readonly #listeners: Listener[] = [];

  get size(): number {
    return this.#listeners.length;
  }

  add(listener: Listener): () => void {
    // Wrapped so that subscribing the same function twice gives two
    // independent subscriptions.
    const entry: Listener = (changes) => listener(changes);
    this.#listeners.push(entry);
    return () => {
      const i = this.#listeners.indexOf(entry);
      if (i >= 0) this.#listeners.splice(i, 1);
    };
  }

  emit(changes: StoreChange[]): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(changes);
      } catch (e) {
        process.nextTick(() => {
          throw e;
        });
      }
    }
  }
}

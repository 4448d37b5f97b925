import { BerthError } from '../../errors.ts';

/** A SQLite error as berth reports it: which file, what we were doing, why. */
export function storeFailure(path: string, what: string, cause: unknown): BerthError {
  if (cause instanceof BerthError) return cause;
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new BerthError('BERTH_STORE', `${path}: ${what} failed: ${reason}`, { file: path });
}

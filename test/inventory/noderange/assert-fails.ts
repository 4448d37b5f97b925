import assert from 'node:assert/strict';
import { isBerthError } from '../../../src/errors.ts';
import type { ErrorCode } from '../../../src/errors.ts';

/** Asserts that `fn` throws a BerthError with this code, column and message fragment. */
export function assertFails(fn: () => unknown, code: ErrorCode, column: number, message: string | RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(isBerthError(error), `expected a BerthError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.equal(error.where.column, column, `column of: ${error.message}`);
    assert.equal(typeof error.where.input, 'string');
    if (typeof message === 'string') assert.ok(error.message.includes(message), `"${error.message}" mentions "${message}"`);
    else assert.match(error.message, message);
    return true;
  });
}

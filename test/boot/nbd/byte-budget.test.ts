/**
 * ByteBudget on its own: what fits is taken, what does not waits in line,
 * and bytes given back serve the line oldest first, before anyone new.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ByteBudget } from '../../../src/boot/nbd/byte-budget.ts';

test('takes what fits; a newcomer does not overtake the line', () => {
  const b = new ByteBudget(100);
  assert.equal(b.tryTake(60), true);
  assert.equal(b.tryTake(50), false);
  const order: string[] = [];
  b.wait(50, () => order.push('first'));
  assert.equal(b.tryTake(10), false, 'there is room for 10, but someone is waiting');
  b.wait(10, () => order.push('second'));
  assert.deepEqual(order, [], 'wait() never grants from inside the call');
  b.give(60);
  assert.deepEqual(order, ['first', 'second']);
  assert.equal(b.held, 60);
  assert.equal(b.peak, 60);
  assert.equal(b.waiting, 0);
});

test('the head of the line is served first even when a later waiter would fit', () => {
  const b = new ByteBudget(100);
  b.tryTake(90);
  const order: string[] = [];
  b.wait(80, () => order.push('big'));
  b.wait(5, () => order.push('small'));
  b.give(40); // 50 held: 80 does not fit yet, and 5 must not jump it
  assert.deepEqual(order, []);
  b.give(50);
  assert.deepEqual(order, ['big', 'small']);
  assert.equal(b.held, 85);
});

test('a waiter that leaves lets the next one in', () => {
  const b = new ByteBudget(100);
  b.tryTake(50);
  const order: string[] = [];
  const leave = b.wait(80, () => order.push('gone'));
  b.wait(40, () => order.push('next'));
  leave();
  assert.deepEqual(order, ['next']);
  leave(); // twice is harmless
  assert.equal(b.held, 90);
});

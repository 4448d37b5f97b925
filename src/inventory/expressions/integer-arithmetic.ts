/**
 * Python's integer operators on JavaScript numbers. confluent evaluates
 * expressions with Python ints, so `/` floors (-7/2 is -4) and `%` takes the
 * sign of the divisor (-7%2 is 1). Python ints are unbounded; here results
 * must stay within 2^53, far beyond any address or rack number, and going
 * past it is an error rather than a silently wrong address.
 */

/** Thrown with a reason; the evaluator adds the node and expression. */
export class ArithmeticProblem extends Error {}

function checked(result: number): number {
  if (!Number.isSafeInteger(result)) throw new ArithmeticProblem('the result is larger than 2^53, the limit of berth expressions');
  // -0 would print as "0" anyway, but keeps comparisons and formatting simple.
  return result === 0 ? 0 : result;
}

export function add(a: number, b: number): number {
  return checked(a + b);
}

export function subtract(a: number, b: number): number {
  return checked(a - b);
}

export function multiply(a: number, b: number): number {
  return checked(a * b);
}

export function floorDivide(a: number, b: number): number {
  if (b === 0) throw new ArithmeticProblem('division by zero');
  let quotient = Math.floor(a / b);
  // a / b is rounded to a double, which can be off by one near 2^53; fix it
  // with the exact remainder.
  let remainder = a - quotient * b;
  if (b > 0 ? remainder < 0 : remainder > 0) {
    quotient -= 1;
    remainder += b;
  } else if (b > 0 ? remainder >= b : remainder <= b) {
    quotient += 1;
  }
  return checked(quotient);
}

export function modulo(a: number, b: number): number {
  if (b === 0) throw new ArithmeticProblem('modulo by zero');
  const remainder = a % b;
  return checked(remainder !== 0 && remainder < 0 !== b < 0 ? remainder + b : remainder);
}

export function shiftLeft(a: number, b: number): number {
  if (b < 0) throw new ArithmeticProblem('negative shift count');
  if (a === 0) return 0;
  if (b > 53) throw new ArithmeticProblem('the result is larger than 2^53, the limit of berth expressions');
  return checked(a * 2 ** b);
}

export function shiftRight(a: number, b: number): number {
  if (b < 0) throw new ArithmeticProblem('negative shift count');
  // Python shifts arithmetically: the sign is kept, -1 >> n is -1.
  if (b > 53) return a < 0 ? -1 : 0;
  return checked(Math.floor(a / 2 ** b));
}

const int32 = (n: number): boolean => n >= -0x80000000 && n <= 0x7fffffff;

// JavaScript's & | ^ work on 32-bit two's complement, which agrees with
// Python for values in that range; wider values go through BigInt.
export function bitAnd(a: number, b: number): number {
  return int32(a) && int32(b) ? a & b : checked(Number(BigInt(a) & BigInt(b)));
}

export function bitOr(a: number, b: number): number {
  return int32(a) && int32(b) ? a | b : checked(Number(BigInt(a) | BigInt(b)));
}

export function bitXor(a: number, b: number): number {
  return int32(a) && int32(b) ? a ^ b : checked(Number(BigInt(a) ^ BigInt(b)));
}

export function negate(a: number): number {
  return checked(-a);
}

export function invert(a: number): number {
  return checked(-a - 1);
}

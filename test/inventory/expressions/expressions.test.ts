import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BerthError } from '../../../src/errors.ts';
import { compileExpression, isExpression } from '../../../src/inventory/expressions/index.ts';
import type { ExpressionScope } from '../../../src/inventory/expressions/index.ts';

function scope(node: string, attributes: Record<string, string> = {}): ExpressionScope {
  return { node, attribute: (name) => attributes[name] };
}

function evaluate(source: string, node: string, attributes: Record<string, string> = {}): string {
  return compileExpression(source).evaluate(scope(node, attributes));
}

function syntaxError(source: string): BerthError {
  try {
    compileExpression(source);
  } catch (e) {
    if (!(e instanceof BerthError)) throw e;
    return e;
  }
  assert.fail(`${source} compiled`);
}

function evaluationError(source: string, node: string, attributes: Record<string, string> = {}): BerthError {
  const compiled = compileExpression(source);
  try {
    compiled.evaluate(scope(node, attributes));
  } catch (e) {
    if (!(e instanceof BerthError)) throw e;
    assert.equal(e.code, 'BERTH_EXPRESSION_EVAL');
    assert.equal(e.where.node, node);
    assert.ok(e.message.includes(node) && e.message.includes(source), e.message);
    return e;
  }
  assert.fail(`${source} evaluated for ${node}`);
}

describe('isExpression', () => {
  it('is true for any brace, false otherwise', () => {
    assert.equal(isExpression('{node}-bmc'), true);
    assert.equal(isExpression('{{literal}}'), true);
    assert.equal(isExpression('oops}'), true);
    assert.equal(isExpression('10.0.0.5/24'), false);
  });
});

describe('node name and its numbers', () => {
  it('substitutes the node name', () => {
    assert.equal(evaluate('{node}-bmc', 'r3u12'), 'r3u12-bmc');
    assert.equal(evaluate('{nodename}.cluster', 'r3u12'), 'r3u12.cluster');
  });

  it('numbers the digits runs of the name from the left, n0 being the last', () => {
    assert.equal(evaluate('{n1} {n2} {n0}', 'r3u12'), '3 12 12');
    assert.equal(evaluate('{n1}', 'node007'), '7');
    assert.equal(evaluate('{n0}', 'c1-gpu17'), '17');
  });

  it('does arithmetic for per-node addresses', () => {
    assert.equal(evaluate('10.1.{n1}.{n2+100}', 'r3u12'), '10.1.3.112');
    assert.equal(evaluate('10.0.{n1 >> 8}.{n1 & 255}', 'n40000'), '10.0.156.64');
    assert.equal(evaluate('172.16.{(n1-1)/16}.{(n1-1)%16*16+n2}', 'r35u4'), '172.16.2.36');
  });

  it('formats with Python format specs', () => {
    assert.equal(evaluate('r{n1}u{n2:02d}', 'r3u4'), 'r3u04');
    assert.equal(evaluate('{n1*2+1:03d}', 'c7'), '015');
    assert.equal(evaluate('{n1:x} {n1:X} {n1:o} {n1:b}', 'c255'), 'ff FF 377 11111111');
    assert.equal(evaluate('{n1:#x} {n1:#06x} {n1:_b}', 'c255'), '0xff 0x00ff 1111_1111');
    assert.equal(evaluate('[{n1:>5}] [{n1:<5}] [{n1:^5}] [{n1:*^7}]', 'c42'), '[   42] [42   ] [ 42  ] [**42***]');
    assert.equal(evaluate('{n1:+d} {n1: d} {-n1:05} {-n1:=6} {-n1:x^6}', 'c5'), '+5  5 -0005 -    5 xx-5xx');
    assert.equal(evaluate('{n1*1000:,} {n1*1000:08,} {n1:c}', 'c65'), '65,000 0,065,000 A');
    assert.equal(evaluate('[{node:<8}] [{node:>8}] [{node:.3}] [{node:05}]', 'r3u12'), '[r3u12   ] [   r3u12] [r3u] [r3u12]');
    assert.equal(evaluate('[{node:_^9}] [{node:08}]', 'ab'), '[___ab____] [ab000000]');
  });

  it('formats numeric attribute values as numbers when the spec asks for it', () => {
    assert.equal(evaluate('vlan{net.mgmt.vlan:04d}', 'x', { 'net.mgmt.vlan': '12' }), 'vlan0012');
  });
});

describe('integer arithmetic follows Python', () => {
  it('applies Python precedence', () => {
    assert.equal(evaluate('{1 + 2 * 3} {(1 + 2) * 3} {1 << 2 + 1} {6 & 3 | 8} {1 | 6 ^ 3 & 5} {-2 * 3} {~n1}', 'c5'), '7 9 8 10 7 -6 -6');
  });

  it('floors division and gives the remainder the sign of the divisor', () => {
    assert.equal(evaluate('{-7/2} {7/-2} {-7%2} {7%-2} {n1/2} {-n1//2}', 'c7'), '-4 -4 1 -1 3 -4');
  });

  it('shifts arithmetically and computes bitwise operators beyond 32 bits', () => {
    assert.equal(evaluate('{-1 >> 4} {-8 >> 1} {1 << 40} {(1 << 40) | 5} {(1 << 40) + 7 & 0xff}', 'x'), '-1 -4 1099511627776 1099511627781 7');
    assert.equal(evaluate('{-5 & 3} {-5 | 2} {-5 ^ 3}', 'x'), '3 -5 -8');
  });

  it('uses attributes in arithmetic when they are whole numbers', () => {
    assert.equal(evaluate('{location.u * 2 + 1}', 'x', { 'location.u': ' 7 ' }), '15');
  });
});

describe('references and literal braces', () => {
  it('reads other attributes and lists them as references', () => {
    const compiled = compileExpression('{id.serial}-x.{dns.domain}.{id.serial}');
    assert.deepEqual(compiled.references, ['id.serial', 'dns.domain']);
    assert.equal(compiled.evaluate(scope('r1', { 'id.serial': 'J300', 'dns.domain': 'c.org' })), 'J300-x.c.org.J300');
    assert.deepEqual(compileExpression('{node}-{n1}').references, []);
    assert.deepEqual(compileExpression('{net.mgmt.vlan + 1}').references, ['net.mgmt.vlan']);
  });

  it('treats {{ and }} as literal braces', () => {
    assert.equal(evaluate('{{literal}}', 'x'), '{literal}');
    assert.equal(evaluate('{{{node}}}', 'r1'), '{r1}');
    assert.equal(evaluate('}}', 'r1'), '}');
  });

  it('lets errors of the scope pass through unchanged (reference cycles)', () => {
    const cycle = new BerthError('BERTH_EXPRESSION_EVAL', 'r1: attribute references form a cycle', { node: 'r1' });
    const compiled = compileExpression('{id.serial}');
    assert.throws(
      () =>
        compiled.evaluate({
          node: 'r1',
          attribute: () => {
            throw cycle;
          },
        }),
      (e) => e === cycle,
    );
  });
});

describe('syntax errors point at the problem', () => {
  const cases: [string, number, RegExp][] = [
    ['{n1 +}', 6, /expected a number, a name or '\(', found '\}'/],
    ['{n1', 4, /missing '\}'/],
    ['x{node:>5', 10, /missing '\}'/],
    ['a}b', 2, /single '\}'/],
    ['{}', 2, /empty field/],
    ['{(n1 + 1}', 9, /expected '\)'/],
    ['{n1)}', 4, /'\)' without a matching '\('/],
    ['{n1 n2}', 5, /expected an operator/],
    ['{n1 ** 2}', 5, /power operator/],
    ['{node!r}', 6, /conversions/],
    ['{n1:{w}}', 5, /nested/],
    ['{n1:.2}', 5, /precision/],
    ['{n1:f}', 5, /whole numbers/],
    ['{n1:s}', 5, /text/],
    ['{node:+}', 7, /sign/],
    ['{node:=5}', 7, /'=' alignment/],
    ['{n1:5x5}', 5, /invalid format specifier/],
    ['{012}', 2, /leading zeros/],
    ['{nod}', 2, /unknown name 'nod': did you mean node\?/],
    ['ip {crypted.rootpassword}', 5, /secret/],
  ];
  for (const [source, column, message] of cases) {
    it(`${source} → column ${column}`, () => {
      const e = syntaxError(source);
      assert.equal(e.code, 'BERTH_EXPRESSION_SYNTAX');
      assert.equal(e.where.column, column);
      assert.equal(e.where.input, source);
      assert.match(e.message, message);
    });
  }

  it('reports unknown attributes with a suggestion', () => {
    const e = syntaxError('{id.serail}-x');
    assert.equal(e.code, 'BERTH_UNKNOWN_ATTRIBUTE');
    assert.equal(e.where.attribute, 'id.serail');
    assert.equal(e.where.column, 2);
    assert.match(e.message, /did you mean id\.serial\?/);
  });
});

describe('evaluation errors name the node and the expression', () => {
  it('reports a number the node name does not have', () => {
    const e = evaluationError('10.1.{n3}', 'r3u12');
    assert.match(e.message, /n3.*'r3u12' has only 2 \(3, 12\)/);
    assert.equal(e.where.column, 7);
    assert.match(evaluationError('{n0}', 'login').message, /has none/);
  });

  it('reports division by zero', () => {
    assert.match(evaluationError('{n1 / (n2 - 12)}', 'r3u12').message, /division by zero/);
    assert.match(evaluationError('{n1 % 0}', 'r3u12').message, /modulo by zero/);
  });

  it('reports unset references and non-numbers used in arithmetic', () => {
    assert.match(evaluationError('{id.serial}-x', 'r1').message, /id\.serial, which is not set/);
    assert.match(evaluationError('{id.serial + 1}', 'r1', { 'id.serial': 'J300' }).message, /id\.serial is 'J300', which is not a whole number/);
    assert.match(evaluationError('{id.serial:03d}', 'r1', { 'id.serial': 'J300' }).message, /J300/);
    assert.match(evaluationError('{node + 1}', 'r1').message, /'r1' is not one/);
  });

  it('reports results beyond 2^53 and negative shifts instead of wrong numbers', () => {
    assert.match(evaluationError('{n1 << 60}', 'c1').message, /2\^53/);
    assert.match(evaluationError('{n1 * 99999999999 * 99999999}', 'c1').message, /2\^53/);
    assert.match(evaluationError('{n1 << -1}', 'c1').message, /negative shift/);
  });
});

describe('speed', () => {
  it('evaluates 100,000 nodes × 4 expressions quickly once compiled', () => {
    const expressions = ['{node}-bmc', '10.0.{n1 >> 8}.{n1 & 255}/16', 'r{n1 / 40 + 1}u{n1 % 40:02d}', '{node}.{dns.domain}'].map(compileExpression);
    const attributes: Record<string, string> = { 'dns.domain': 'cluster.example.org' };
    const attribute = (name: string): string | undefined => attributes[name];
    const started = performance.now();
    let last = '';
    for (let i = 1; i <= 100_000; i++) {
      const node = `n${i}`;
      for (const expression of expressions) last = expression.evaluate({ node, attribute });
    }
    const elapsed = performance.now() - started;
    console.log(`# 100,000 nodes x 4 expressions: ${elapsed.toFixed(0)} ms (${((elapsed * 1e6) / 400_000).toFixed(0)} ns per evaluation)`);
    assert.equal(last, 'n100000.cluster.example.org');
  });
});

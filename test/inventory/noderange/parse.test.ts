import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { caretLine } from '../../../src/errors.ts';
import { expandNoderange } from '../../../src/inventory/noderange/expand.ts';
import { parseNoderange } from '../../../src/inventory/noderange/parse.ts';
import { assertFails } from './assert-fails.ts';
import { fakeContext, sampleInventory } from './fake-inventory.ts';

const context = fakeContext(sampleInventory());
const syntax = (text: string, column: number, message: string | RegExp) =>
  assertFails(() => parseNoderange(text), 'BERTH_NODERANGE_SYNTAX', column, message);

describe('parseNoderange', () => {
  it('builds left-to-right operations with columns', () => {
    const parsed = parseNoderange('rack1,-(console.logging=full@compute)>3<6');
    assert.equal(parsed.skip, 6);
    assert.equal(parsed.take, 3);
    const expression = parsed.expression!;
    assert.equal(expression.first.kind, 'name');
    assert.deepEqual(
      expression.rest.map((r) => [r.operator, r.column, r.operand.kind]),
      [['exclude', 6, 'parenthesized']],
    );
  });

  it('reads regex and filter values up to the next operator outside (), [] and {}', () => {
    assert.deepEqual(expandNoderange('~^r(1|2)u0[1,2]$,n1', context), ['n1', 'r1u01', 'r1u02', 'r2u01', 'r2u02']);
    assert.deepEqual(expandNoderange('~^n1{2}$,n2', context), ['n2', 'n11']);
    assert.deepEqual(expandNoderange('n[1-12]@id.model=~^7(X|Q)', context), ['n1', 'n3', 'n5', 'n7', 'n9', 'n11']);
    assert.deepEqual(expandNoderange('rack1,-(~u0[2-9])', context), ['r1u01', 'r1u10']);
    assert.deepEqual(expandNoderange('n1,~^n\\d\\d$\\,?>1', context), ['n1']);
  });

  it('keeps a bracket list and steps in the AST', () => {
    const atom = parseNoderange('r3u[4:6,9]').expression!.first;
    assert.equal(atom.kind, 'name');
    if (atom.kind !== 'name') return;
    assert.equal(atom.segments.length, 2);
    const bracket = atom.segments[1]!;
    assert.ok(typeof bracket !== 'string');
    assert.equal(bracket.count, 4);
    assert.equal(bracket.column, 4);
  });
});

describe('noderange syntax errors point at the offending character', () => {
  it('empty text', () => {
    syntax('', 1, 'empty noderange');
    syntax('   ', 1, 'empty noderange');
  });

  it('unbalanced parentheses', () => {
    syntax('(n1,n2', 1, "unbalanced '('");
    syntax('n1,((n2),n3', 4, "unbalanced '('");
    syntax('n1,n2)', 6, "unbalanced ')'");
    syntax('n1,()', 4, "empty element after '('");
  });

  it('empty elements around operators', () => {
    syntax('n1,,n2', 3, "empty element after ','");
    syntax('n1,', 3, "empty element after ','");
    syntax('n1,-', 3, "empty element after ',-'");
    syntax('n1@', 3, "empty element after '@'");
    syntax('n1,(n2,)', 7, "empty element after ','");
    syntax(',n1', 1, "empty element before ','");
    syntax('(@n1)', 2, "empty element before '@'");
  });

  it('missing operators and stray characters', () => {
    syntax('n1 n2', 4, "missing ',' or '@' before 'n2'");
    syntax('n1(n2)', 3, "missing ',' or '@' before '('");
    syntax('(n1)n2', 5, "missing ',' or '@' before 'n2'");
    syntax('n1;reboot', 3, "unexpected character ';'");
    syntax('n1,-n2,--n3', 9, "'-' excludes only after ','");
    syntax('-n1', 1, "'-' excludes only after ','");
    syntax('n1]', 3, "unexpected ']'");
  });

  it('ranges written backwards', () => {
    assertFails(() => expandNoderange('n20-n1'), 'BERTH_NODERANGE_SYNTAX', 1, 'range start n20 is greater than end n1');
    assertFails(() => expandNoderange('n1,n20:n1', context), 'BERTH_NODERANGE_SYNTAX', 4, 'range start n20 is greater than end n1');
    syntax('n[20-1]', 3, 'range start 20 is greater than end 1');
    syntax('n[1,5:3]', 5, 'range start 5 is greater than end 3');
  });

  it('incomplete and malformed brackets', () => {
    syntax('n[1-]', 5, 'bracket [1-] is incomplete');
    syntax('n[-5]', 3, 'bracket [-5] is incomplete');
    syntax('n[1:]x', 5, 'bracket [1:] is incomplete');
    syntax('n[1:20:]', 8, 'bracket [1:20:] is incomplete');
    syntax('n[1-3', 2, "unclosed '['");
    syntax('n[]', 2, 'empty brackets');
    syntax('n[1,,3]', 5, 'empty item');
    syntax('n[1:20:0]', 8, 'step');
    syntax('n[1:2:3:4]', 8, 'more than start, end and step');
    syntax('n[a-c]', 3, 'must be made of numbers');
    syntax('n[1 2]', 4, "unexpected character ' '");
    syntax('n[[1]]', 3, 'cannot nest');
    syntax('n[1-9999999999999999]', 5, 'too large');
  });

  it('pagination that is not last', () => {
    syntax('rack1>3,n1', 6, "'>'/'<' pagination must come last");
    syntax('rack1<6>3 n1', 6, "'>'/'<' pagination must come last");
    syntax('(rack1>3),n1', 7, "'>'/'<' pagination must come last");
    syntax('rack1>', 7, "'>' must be followed by a number");
    syntax('rack1>3>4', 8, "'>' pagination given twice");
  });

  it('invalid regular expressions and filters', () => {
    syntax('~r1u*+', 2, 'invalid regular expression');
    syntax('n1,~', 4, "empty regular expression after '~'");
    syntax('n1,~r1u(', 8, "unbalanced '('");
    syntax('n1,id.model=~*7X', 14, 'invalid regular expression');
    syntax('n1,=x', 4, "attribute name missing before '='");
    syntax('n1,a[1]=x', 5, "invalid attribute name 'a[1]'");
  });

  it('gives columns a caret can be drawn from', () => {
    try {
      parseNoderange('rack1,-(n1@n2');
      assert.fail('should not parse');
    } catch (error) {
      const where = (error as { where: { column: number; input: string } }).where;
      assert.equal(caretLine(where.input, where.column), '  rack1,-(n1@n2\n         ^');
    }
  });
});

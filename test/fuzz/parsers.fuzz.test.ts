/**
 * Everything that arrives over the admin API and is parsed — noderanges,
 * expressions, attribute values, CSV — is fed random and mutated input: it
 * must answer with a BerthError (or a result), never crash, hang or blow up.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BerthError } from '../../src/errors.ts';
import { compileExpression } from '../../src/inventory/expressions/index.ts';
import { parseNodeCsv } from '../../src/inventory/csv.ts';
import { expandNoderange } from '../../src/inventory/noderange/expand.ts';
import type { NoderangeContext } from '../../src/inventory/noderange/context.ts';
import { attributeSchema, validateAttributeValue } from '../../src/inventory/schema/index.ts';
import { prng, randomText } from './random-text.ts';

const SEED = Number(process.env['BERTH_FUZZ_SEED'] ?? 20261121);
const ROUNDS = Number(process.env['BERTH_FUZZ_ROUNDS'] ?? 4000);

const nodes = Array.from({ length: 200 }, (_, i) => `r${(i % 4) + 1}u${String(i + 1).padStart(2, '0')}`);
const context: NoderangeContext = {
  nodeNames: () => nodes,
  hasNode: (name) => nodes.includes(name),
  groupMembers: (name) => (name === 'rack1' ? nodes.slice(0, 50) : name === 'compute' ? nodes : undefined),
  attributes: (name) => new Map([['location.rack', name.slice(1, 2)], ['net.mgmt.switch', 'sw1']]),
};

function expectBerthErrorOrResult(fn: () => unknown, input: string): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof BerthError)) assert.fail(`input ${JSON.stringify(input)} threw ${(e as Error).stack}`);
    if (e.where.column !== undefined && e.where.input !== undefined) {
      assert.ok(e.where.column >= 1 && e.where.column <= e.where.input.length + 1, `column ${e.where.column} outside ${JSON.stringify(e.where.input)}`);
    }
  }
}

test('noderange parser on random input', () => {
  const random = prng(SEED);
  const seeds = ['n[1-20]', 'r[1-3]u[01-10]', 'rack1,-(location.rack=2@compute)', 'compute>3<6', '~r1u..', 'r1u01+3', 'n[1:20:2]'];
  for (let i = 0; i < ROUNDS; i++) {
    const input = random() < 0.5
      ? randomText(random, 'nru0123456789[]-:,@()~<>=!+.*^$ ', 40)
      : mutate(seeds[Math.floor(random() * seeds.length)]!, random);
    const started = Date.now();
    expectBerthErrorOrResult(() => expandNoderange(input, context), input);
    expectBerthErrorOrResult(() => expandNoderange(input), input);
    assert.ok(Date.now() - started < 2000, `noderange ${JSON.stringify(input)} took ${Date.now() - started} ms`);
  }
});

test('expression compiler and evaluator on random input', () => {
  const random = prng(SEED + 1);
  const seeds = ['{node}-bmc', '10.{n1 >> 8}.{n1 & 255}', '{n1:03d}', '{{x}}', '{(n1-1)*2+1:>5}', '{id.serial}'];
  for (let i = 0; i < ROUNDS; i++) {
    const input = random() < 0.5 ? randomText(random, '{}n0123456789+-*/%<>&|^():dxX ', 30) : mutate(seeds[Math.floor(random() * seeds.length)]!, random);
    expectBerthErrorOrResult(() => compileExpression(input).evaluate({ node: 'r12u7', attribute: () => '42' }), input);
  }
});

test('attribute value validators on random input', () => {
  const random = prng(SEED + 2);
  for (let i = 0; i < ROUNDS; i++) {
    const spec = attributeSchema[Math.floor(random() * attributeSchema.length)]!;
    const name = spec.name.replace('<if>', 'mgmt').replace('*', 'x');
    const input = randomText(random, '0123456789abcdef:.-/$ ,ABCDEF', 40);
    expectBerthErrorOrResult(() => validateAttributeValue(name, input), input);
  }
});

test('CSV parser on random input', () => {
  const random = prng(SEED + 3);
  for (let i = 0; i < ROUNDS / 4; i++) {
    const input = 'name,groups,id.serial\n' + randomText(random, 'ab1,"\n\r ', 80);
    expectBerthErrorOrResult(() => parseNodeCsv(input, 'fuzz.csv'), input);
  }
});

function mutate(text: string, random: () => number): string {
  const chars = [...text];
  const edits = 1 + Math.floor(random() * 3);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(random() * (chars.length + 1));
    const what = random();
    if (what < 0.33) chars.splice(at, 1);
    else if (what < 0.66) chars.splice(at, 0, '[](){}-,@:<>=~!+'[Math.floor(random() * 16)]!);
    else chars.splice(at, 0, String(Math.floor(random() * 100000)));
  }
  return chars.join('');
}

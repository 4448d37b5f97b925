/**
 * Help as a newcomer asks for it: `berth <verb> --help`, `berth <noun>
 * <verb> --help` and `berth help <noun> <verb>` print that command's
 * description, usage, every flag with a line saying what it does, and
 * examples; a mistyped command is an error that suggests the right one.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { COMMANDS } from '../../src/cli/commands.ts';
import { BERTH } from '../helpers/daemon.ts';

const berth = (args: string[]) => {
  const r = spawnSync(BERTH, args, { encoding: 'utf8', env: { ...process.env, BERTH_SOCKET: '/nonexistent/admin.sock', BERTH_SERVER: '' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
};

test('every command has a description, examples, and a described line per flag in its --help', async () => {
  for (const entry of COMMANDS) {
    const name = entry.path.join(' ');
    const module = await entry.load();
    const r = berth([...entry.path, '--help']);
    assert.equal(r.code, 0, `${name} --help: ${r.stderr}`);
    assert.ok(r.stdout.startsWith(`berth ${name}: ${entry.summary}\n`), `${name}: description first:\n${r.stdout}`);
    assert.match(r.stdout, /\nUsage: berth /, name);
    assert.match(r.stdout, /\nExamples:\n  berth /, `${name} has examples`);
    for (const [flag, spec] of Object.entries(module.options ?? {})) {
      assert.ok(spec.description && spec.description.length > 10, `${name} --${flag} has a description`);
      assert.ok(r.stdout.includes(`--${flag}`) && r.stdout.includes(spec.description), `${name} --help shows --${flag}: ${spec.description}`);
    }
  }
});

test('node list --help, help node list and node list -h print the same help, with flags and examples', () => {
  const flag = berth(['node', 'list', '--help']);
  assert.equal(flag.code, 0);
  assert.match(flag.stdout, /^  --names +\S.*$/m);
  assert.match(flag.stdout, /^  --compress +\S.*$/m);
  assert.match(flag.stdout, /Examples:\n  berth node list/);
  assert.match(flag.stdout, /--server URL/, 'the global flags are listed too');
  assert.deepEqual(berth(['help', 'node', 'list']), flag);
  assert.deepEqual(berth(['node', 'list', '-h']), flag);
});

test('help for a one-word verb is that verb, not the global help', () => {
  const r = berth(['help', 'deploy']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^berth deploy: /);
  assert.match(r.stdout, /--arm /);
  assert.doesNotMatch(r.stdout, /^Commands:/m);
  assert.deepEqual(berth(['deploy', '--help']), r);
});

test('help for a noun lists its verbs; the global help lists everything', () => {
  const noun = berth(['help', 'node']);
  assert.equal(noun.code, 0);
  assert.match(noun.stdout, /^  node list +List nodes/m);
  assert.doesNotMatch(noun.stdout, /^  group /m);
  const all = berth(['help']);
  assert.equal(all.code, 0);
  assert.match(all.stdout, /^  group list /m);
});

test('an unknown command, in help or run, is an error with "did you mean"', () => {
  for (const args of [['help', 'nod'], ['help', 'node', 'lsit'], ['node', 'lsit'], ['help', 'frobnicate']]) {
    const r = berth(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /unknown command/);
  }
  assert.match(berth(['help', 'nod']).stderr, /did you mean: berth help node\?/);
  assert.match(berth(['help', 'node', 'lsit']).stderr, /did you mean: berth help node list\?/);
  assert.match(berth(['node', 'lsit']).stderr, /did you mean: berth node list\?/);
});

test('--help after -- belongs to the command being run, not to berth', () => {
  const r = berth(['image', 'exec', 'x', '--', 'ls', '--help']);
  assert.doesNotMatch(r.stdout, /usage:/i);
});

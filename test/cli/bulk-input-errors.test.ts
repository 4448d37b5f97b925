/**
 * `berth inventory import FILE` and `berth node define --csv FILE` against a
 * real daemon: every problem in the file is reported (up to a cap, with the
 * count of the rest), each naming the node or group and the file's line
 * (and, for CSV, the column), and nothing is written.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDaemon } from '../helpers/daemon.ts';
import type { Daemon } from '../helpers/daemon.ts';

describe('bulk input errors name the node and the line', () => {
  let d: Daemon;
  let dir: string;
  const ok = (args: string[]) => d.ok(args);

  before(async () => {
    d = await startDaemon();
    dir = mkdtempSync(join(tmpdir(), 'berth-bulk-'));
    ok(['group', 'define', 'rack1', 'location.rack=1']);
    ok(['node', 'define', 'old1', 'groups=rack1']);
  });
  after(async () => {
    await d.stop();
    d.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  test('inventory import reports every problem with its node or group and line, and writes nothing', () => {
    const file = join(dir, 'inventory.yaml');
    writeFileSync(
      file,
      [
        'format: 1', //                                       1
        'groups:', //                                         2
        '  compute:', //                                      3
        '    attributes:', //                                 4
        '      deployment.armed: once', //                    5  node-only attribute on a group
        'nodes:', //                                          6
        '  n1:', //                                           7
        '    attributes:', //                                 8
        '      net.mgmt.hwaddr: not-a-mac', //                9  bad MAC
        '  n2:', //                                           10
        '    groups: [nosuchgroup]', //                       11 unknown group
        '  n3:', //                                           12
        '    attributes:', //                                 13
        '      location.rack: 5', //                          14 fine
        '      location.u: many', //                          15 not an integer
        '',
      ].join('\n'),
    );
    const before = ok(['inventory', 'export', '--format', 'json']);
    const r = d.cli(['inventory', 'import', file]);
    assert.equal(r.code, 2, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 4, `one line per problem:\n${r.stderr}`);
    assert.match(r.stderr, new RegExp(`^berth: ${file}:5: group compute: .*deployment\\.armed`, 'm'));
    assert.match(r.stderr, new RegExp(`^berth: ${file}:9: .*n1.*net\\.mgmt\\.hwaddr`, 'm'));
    assert.match(r.stderr, new RegExp(`^berth: ${file}:11: .*n2.*nosuchgroup`, 'm'));
    assert.match(r.stderr, new RegExp(`^berth: ${file}:15: .*n3.*location\\.u`, 'm'));
    assert.equal(ok(['inventory', 'export', '--format', 'json']), before, 'nothing written');
  });

  test('many problems: the first twenty are shown, with the count of the rest', () => {
    const file = join(dir, 'many.yaml');
    const nodes = Array.from({ length: 30 }, (_, i) => `  b${i + 1}:\n    attributes:\n      net.mgmt.hwaddr: bad${i + 1}\n`);
    writeFileSync(file, `format: 1\ngroups: {}\nnodes:\n${nodes.join('')}`);
    const r = d.cli(['inventory', 'import', file]);
    assert.equal(r.code, 2, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 21, r.stderr);
    assert.match(lines[0]!, new RegExp(`^berth: ${file}:6: .*b1\\b`));
    assert.match(lines[19]!, new RegExp(`^berth: ${file}:63: .*b20\\b`));
    assert.match(lines[20]!, /and 10 more problem\(s\)/);
    assert.doesNotMatch(ok(['node', 'list', '--names']), /b1/);
  });

  test('YAML syntax errors are all reported with their lines', () => {
    const file = join(dir, 'syntax.yaml');
    writeFileSync(file, 'format: 1\nnodes:\n  n1: {groups: [a}\n  n1: {}\n');
    const r = d.cli(['inventory', 'import', file]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`${file}:3:`));
    assert.ok(r.stderr.trim().split('\n').length >= 2, r.stderr);
  });

  test('node define --csv names the line and column of every problem, and defines nothing', () => {
    const file = join(dir, 'nodes.csv');
    writeFileSync(
      file,
      [
        'name,groups,net.mgmt.hwaddr,location.u', //  1
        'c1,rack1,52:54:00:00:00:01,1', //             2  fine
        'c2,rack1,zz:zz,2', //                         3  bad MAC
        'c3,nosuchgroup,,3', //                        4  unknown group
        'c1,rack1,,4', //                              5  c1 again
        'c5,rack1,,high', //                           6  not an integer
        'c6,rack1', //                                 7  too few fields
        'c7,rack1,52:54:00:00:00:01,7', //             8  c1's MAC
        '',
      ].join('\n'),
    );
    const r = d.cli(['node', 'define', '--csv', file]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`${file}:3: column net\\.mgmt\\.hwaddr: .*c2`));
    assert.match(r.stderr, new RegExp(`${file}:4: column groups: .*c3.*nosuchgroup`));
    assert.match(r.stderr, new RegExp(`${file}:5: .*c1.*line 2`));
    assert.match(r.stderr, new RegExp(`${file}:6: column location\\.u: .*c5`));
    assert.match(r.stderr, new RegExp(`${file}:7: `));
    assert.doesNotMatch(ok(['node', 'list', '--names']), /^c\d/m, 'nothing defined');
  });

  test('node define --csv: problems found by the server name the CSV line too', () => {
    const file = join(dir, 'server.csv');
    writeFileSync(file, ['name,net.mgmt.hwaddr', 'd1,52:54:00:00:01:01', 'd2,52:54:00:00:01:01', 'old1,52:54:00:00:01:02', ''].join('\n'));
    const r = d.cli(['node', 'define', '--csv', file]);
    assert.notEqual(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`${file}:3: column net\\.mgmt\\.hwaddr: .*d2`));
    assert.match(r.stderr, new RegExp(`${file}:4: .*old1.*exists`));
    assert.doesNotMatch(ok(['node', 'list', '--names']), /^d\d/m, 'nothing defined');
  });
});

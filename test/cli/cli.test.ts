/** The real `berth` binary against a real daemon, as an administrator would use it. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BERTH, startDaemon } from '../helpers/daemon.ts';
import type { Daemon } from '../helpers/daemon.ts';

describe('berth CLI', () => {
  let d: Daemon;
  const ok = (args: string[], input?: string) => {
    const r = d.cli(args, input === undefined ? {} : { input });
    assert.equal(r.code, 0, `berth ${args.join(' ')} failed (${r.code}):\n${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    d = await startDaemon();
    ok(['group', 'define', 'compute', 'net.mgmt.ipv4_address=10.1.{n1 >> 8}.{n1 & 255}/16', 'net.mgmt.hostname={node}-mgmt']);
    ok(['group', 'define', 'rack1', 'location.rack=1', 'net.mgmt.hostname=r1-{node}']);
    ok(['node', 'define', 'n[1-4]', 'groups=compute,rack1']);
    ok(['node', 'define', 'n[5-8]', 'groups=rack1,compute']);
  });
  after(async () => {
    await d.stop();
    d.cleanup();
  });

  test('group expressions evaluate per member, and the node group order decides precedence', () => {
    const out = ok(['node', 'show', 'n3,n7', 'net.mgmt.*']);
    assert.match(out, /^n3: net\.mgmt\.hostname: n3-mgmt$/m);
    assert.match(out, /^n3: net\.mgmt\.ipv4_address: 10\.1\.0\.3\/16$/m);
    assert.match(out, /^n7: net\.mgmt\.hostname: r1-n7$/m);
  });

  test('--provenance says which group set each value and shows the expression', () => {
    ok(['node', 'set', 'n1', 'id.serial=S1']);
    const out = ok(['node', 'show', 'n1', '--provenance']);
    assert.match(out, /^n1: groups: compute,rack1,everything$/m);
    assert.match(out, /^n1: net\.mgmt\.ipv4_address: 10\.1\.0\.1\/16 +\(from group compute, expression 10\.1\.\{n1 >> 8\}\.\{n1 & 255\}\/16\)$/m);
    assert.match(out, /^n1: id\.serial: S1 +\(set on node\)$/m);
  });

  test('list prints an aligned table; --json prints the API document', () => {
    const table = ok(['node', 'list', 'n[1-2]', 'location.rack']);
    const lines = table.trimEnd().split('\n');
    assert.match(lines[0]!, /^NODE +GROUPS +LOCATION\.RACK$/);
    assert.equal(lines[1]!.indexOf('compute'), lines[0]!.indexOf('GROUPS'));
    const json = JSON.parse(ok(['node', 'list', 'n[1-2]', '--json']));
    assert.deepEqual(json.nodes.map((n: { name: string }) => n.name), ['n1', 'n2']);
    assert.equal(json.noderange, 'n[1-2]');
  });

  test('set and unset: an unset node value lets the inherited one show again', () => {
    ok(['node', 'set', 'n2', 'net.mgmt.hostname=special']);
    assert.match(ok(['node', 'show', 'n2', 'net.mgmt.hostname']), /special/);
    ok(['node', 'unset', 'n2', 'net.mgmt.hostname']);
    assert.match(ok(['node', 'show', 'n2', 'net.mgmt.hostname']), /n2-mgmt/);
  });

  test('bad input: clear message, stable exit code, nothing written', () => {
    const badMac = d.cli(['node', 'set', 'n[1-3]', 'net.mgmt.hwaddr=52:54:00:zz:00:01']);
    assert.equal(badMac.code, 2);
    assert.match(badMac.stderr, /net\.mgmt\.hwaddr/);
    const unknownAttribute = d.cli(['node', 'set', 'n1', 'net.mgmt.hwadr=52:54:00:00:00:01']);
    assert.equal(unknownAttribute.code, 2);
    assert.match(unknownAttribute.stderr, /net\.mgmt\.hwadr/);
    const unknownGroup = d.cli(['node', 'define', 'x1', 'groups=nosuch']);
    assert.equal(unknownGroup.code, 3);
    assert.match(unknownGroup.stderr, /nosuch/);
    const duplicate = d.cli(['node', 'define', 'n[4-9]']);
    assert.equal(duplicate.code, 4);
    assert.match(duplicate.stderr, /n4/);
    const syntax = d.cli(['node', 'list', 'n1,(n2']);
    assert.equal(syntax.code, 2);
    assert.match(syntax.stderr, /\n  n1,\(n2\n +\^/);
    const badExpression = d.cli(['group', 'set', 'compute', 'net.mgmt.hostname={n1 +}']);
    assert.equal(badExpression.code, 2);
    const usage = d.cli(['node', 'frobnicate']);
    assert.equal(usage.code, 2);
    assert.equal(d.cli(['node', 'list', 'x1', '--names']).code, 3, 'x1 was not defined');
  });

  test('an expression that is wrong for one member of 10,000 writes nothing', () => {
    ok(['group', 'define', 'big']);
    ok(['node', 'define', 'b[1-10000]', 'groups=big']);
    // b9999 would get 10.2.39.15, which `owner` already has.
    ok(['node', 'define', 'owner', 'net.mgmt.ipv4_address=10.2.39.15/16']);
    const r = d.cli(['group', 'set', 'big', 'net.mgmt.ipv4_address=10.2.{n1 >> 8}.{n1 & 255}/16']);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /b9999/);
    assert.doesNotMatch(ok(['node', 'show', 'b1', 'net.mgmt.ipv4_address']), /ipv4/);
    ok(['node', 'remove', 'b[1-10000],owner', '--yes']);
    ok(['group', 'remove', 'big']);
  });

  test('rename by expression, and group removal guarded by membership', () => {
    ok(['node', 'define', 'tmp[1-3]']);
    const out = ok(['node', 'rename', 'tmp[1-3]', 'renamed{n1:02d}', '--yes']);
    assert.match(out, /tmp1 → renamed01/);
    assert.equal(ok(['node', 'list', 'renamed[01-03]', '--compress']).trim(), 'renamed[01-03]');
    ok(['group', 'define', 'scratch']);
    ok(['node', 'set', 'renamed[01-03]', 'groups=scratch', '--yes']);
    const refused = d.cli(['group', 'remove', 'scratch']);
    assert.equal(refused.code, 4);
    assert.match(refused.stderr, /3 member/);
    ok(['group', 'remove', 'scratch', '--force']);
    assert.match(ok(['node', 'show', 'renamed01']), /groups: everything/);
    ok(['node', 'remove', 'renamed[01-03]', '--yes']);
  });

  test('define from CSV', () => {
    const file = join(d.stateDir, 'nodes.csv');
    // Numbered 101 on: compute's address expression gives c1 n1's 10.1.0.1, which is refused.
    writeFileSync(file, 'name,groups,net.mgmt.hwaddr,id.serial\nc101,"compute,rack1",52:54:00:01:00:01,A1\nc102,compute,52:54:00:01:00:02,\n');
    assert.match(ok(['node', 'define', '--csv', file]), /defined 2 node\(s\): c\[101-102\]/);
    assert.match(ok(['node', 'show', 'c101', 'id.serial']), /A1/);
    writeFileSync(file, 'name,id.serial\nc9,"unterminated\n');
    const bad = d.cli(['node', 'define', '--csv', file]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /nodes\.csv:2/);
  });

  test('inventory export → import → export round-trips exactly (YAML and JSON)', () => {
    ok(['node', 'set', 'n3', 'crypted.rootpassword=$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1', 'custom.note=true']);
    const yaml = ok(['inventory', 'export']);
    const file = join(d.stateDir, 'backup.yaml');
    writeFileSync(file, yaml);
    ok(['node', 'remove', 'n[1-4]', '--yes']);
    ok(['inventory', 'import', file]);
    assert.equal(ok(['inventory', 'export']).replace(/^#.*\n/, ''), yaml.replace(/^#.*\n/, ''));
    const json = ok(['inventory', 'export', '--format', 'json']);
    writeFileSync(join(d.stateDir, 'backup.json'), json);
    ok(['inventory', 'import', join(d.stateDir, 'backup.json')]);
    assert.equal(ok(['inventory', 'export', '--format', 'json']), json);
    assert.match(ok(['node', 'show', 'n3', 'crypted.*']), /\*\*\*\*\*\*\*\*/, 'secrets are masked in show');
    const saved = join(d.stateDir, 'saved.yaml');
    ok(['inventory', 'export', '--output', saved]);
    assert.equal(statSync(saved).mode & 0o777, 0o600, 'a backup holding secrets is private');
    assert.equal(readFileSync(saved, 'utf8').replace(/^#.*\n/, ''), yaml.replace(/^#.*\n/, ''));
  });

  test('a broken import names the line and changes nothing', () => {
    const before = ok(['inventory', 'export', '--format', 'json']);
    const file = join(d.stateDir, 'broken.yaml');
    writeFileSync(file, 'format: 1\ngroups: {}\nnodes:\n  z1: {groups: [nosuch]}\n');
    const r = d.cli(['inventory', 'import', file]);
    assert.equal(r.code, 3);
    writeFileSync(file, 'format: 1\nnodes:\n  z1: [\n');
    const r2 = d.cli(['inventory', 'import', file]);
    assert.equal(r2.code, 2);
    assert.match(r2.stderr, /broken\.yaml:\d+/);
    assert.equal(ok(['inventory', 'export', '--format', 'json']), before);
  });

  test('remote use over HTTPS with a token and the CA file', () => {
    const token = ok(['token', 'create', 'remote-admin']).trim();
    const env = { BERTH_SERVER: `https://127.0.0.1:${d.httpsPort}`, BERTH_TOKEN: token, BERTH_CA: join(d.stateDir, 'public/ca.pem'), BERTH_SOCKET: '/nonexistent' };
    const r = d.cli(['node', 'list', 'n1', '--names'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'n1\n');
    const noToken = d.cli(['node', 'list'], { env: { ...env, BERTH_TOKEN: '' } });
    assert.equal(noToken.code, 5);
    assert.match(ok(['token', 'list']), /remote-admin/);
    ok(['token', 'revoke', 'remote-admin']);
    assert.equal(d.cli(['node', 'list'], { env }).code, 5);
  });

  test('attributes lists the schema with descriptions', () => {
    const out = ok(['attributes', 'net.*']);
    assert.match(out, /^net\.<if>\.hwaddr +mac/m);
    const json = JSON.parse(ok(['attributes', '--json']));
    assert.ok(json.attributes.some((a: { name: string }) => a.name === 'crypted.rootpassword'));
  });

  test('bash completion script is valid bash and completes verbs', () => {
    const script = ok(['completion', 'bash']);
    const check = spawnSync('bash', ['-n'], { input: script });
    assert.equal(check.status, 0, String(check.stderr));
    const complete = spawnSync('bash', ['-c', `${script}\nCOMP_WORDS=(berth node de); COMP_CWORD=2; _berth; echo "\${COMPREPLY[@]}"`], { encoding: 'utf8' });
    assert.equal(complete.stdout.trim(), 'define');
  });
});

test('without a running server the CLI says so and exits 6', () => {
  const r = spawnSync(BERTH, ['node', 'list'], { encoding: 'utf8', env: { ...process.env, BERTH_SOCKET: '/nonexistent/admin.sock', BERTH_SERVER: '' } });
  assert.equal(r.status, 6);
  assert.match(r.stderr, /not running/);
  assert.ok(readFileSync(BERTH));
});

/**
 * The rendered answer files checked by the installers' own ecosystems
 * rather than by berth's checkers:
 *
 * - Ubuntu user-data: cloud-init's schema (`cloud-init schema`, run from an
 *   unpacked package, test/helpers/cloud-init-schema.ts) for the cloud-config
 *   around autoinstall and for the installed system's `user-data`; the
 *   autoinstall section itself against subiquity's JSON schema
 *   (fixtures/subiquity-autoinstall-schema.json, whose source it names),
 *   since Debian's cloud-init 22.4 treats `autoinstall:` as opaque (a
 *   mapping with an integer version, nothing more);
 * - Debian preseed: `debconf-set-selections --checkonly`;
 * - AutoYaST: `xmllint --noout`;
 * - every shell fragment of every family (Kickstart %pre/%post, preseed
 *   commands, autoinstall commands, AutoYaST and Agama scripts, ESXi
 *   %pre/%firstboot): `sh -n`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Ajv } from 'ajv';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { parseXml } from '../../src/installs/families/autoyast/xml.ts';
import { run } from '../../src/util/run.ts';
import { cloudInitSchema, cloudInitUnavailable } from '../helpers/cloud-init-schema.ts';
import { DHCP_NODE, renderDefault, STATIC_NODE } from './fixtures/sample.ts';

const dir = mkdtempSync(join(tmpdir(), 'berth-installs-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const file = (text: string) => {
  const path = join(dir, `f${files++}`);
  writeFileSync(path, text);
  return path;
};
const has = async (tool: string, args: string[]) =>
  run(tool, args, { allowedExitCodes: [0, 1, 2] }).then(
    () => true,
    () => false,
  );
const NODES = { static: STATIC_NODE, dhcp: DHCP_NODE };

describe('Ubuntu user-data', async () => {
  const unavailable = await cloudInitUnavailable();

  for (const [kind, node] of Object.entries(NODES)) {
    test(`cloud-init's schema accepts the whole file and the installed system's user-data (${kind} node)`, { skip: unavailable && `cloud-init cannot run here: ${unavailable}` }, async () => {
      const text = renderDefault('autoinstall', node);
      const whole = await cloudInitSchema(file(text));
      assert.ok(whole.ok, whole.output);
      assert.match(whole.output, /Valid cloud-config/);
      const target = (parseYaml(text) as { autoinstall: { 'user-data': unknown } }).autoinstall['user-data'];
      const inner = await cloudInitSchema(file(`#cloud-config\n${stringifyYaml(target)}`));
      assert.ok(inner.ok, inner.output);
    });
  }

  test("cloud-init's schema refuses a broken variant, in its own words", { skip: unavailable && `cloud-init cannot run here: ${unavailable}` }, async () => {
    const text = renderDefault('autoinstall', STATIC_NODE);
    const target = (parseYaml(text) as { autoinstall: { 'user-data': Record<string, unknown> } }).autoinstall['user-data'];
    const broken = await cloudInitSchema(file(`#cloud-config\n${stringifyYaml({ ...target, users: 3, ssh_pwauth: 'maybe' })}`));
    assert.equal(broken.ok, false);
    assert.match(broken.output, /users: 3 is not of type/);
  });

  test("what cloud-init 22.4 says of the autoinstall key: a mapping with an integer version, the rest opaque, so subiquity's schema checks it", { skip: unavailable && `cloud-init cannot run here: ${unavailable}` }, async () => {
    const version = await cloudInitSchema(file('#cloud-config\nautoinstall:\n  version: "one"\n'));
    assert.equal(version.ok, false);
    assert.match(version.output, /autoinstall.version: 'one' is not of type 'integer'/);
    const opaque = await cloudInitSchema(file('#cloud-config\nautoinstall:\n  version: 1\n  keyboard: 7\n'));
    assert.ok(opaque.ok, `cloud-init looked inside autoinstall after all: ${opaque.output}`);
  });

  const schema = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures/subiquity-autoinstall-schema.json'), 'utf8')) as Record<string, unknown>;
  // The schema uses draft-07 plus `deprecated` (a later keyword) and format "uri": strict mode off, a plain URI check.
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addFormat('uri', /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/);
  const validate = ajv.compile(schema);

  for (const [kind, node] of Object.entries(NODES)) {
    test(`subiquity's autoinstall schema accepts the autoinstall section (${kind} node)`, () => {
      const section = (parseYaml(renderDefault('autoinstall', node)) as { autoinstall: unknown }).autoinstall;
      assert.ok(validate(section), ajv.errorsText(validate.errors));
    });
  }

  test("subiquity's schema refuses broken variants", () => {
    const section = (parseYaml(renderDefault('autoinstall', STATIC_NODE)) as { autoinstall: Record<string, unknown> }).autoinstall;
    assert.equal(validate({ ...section, version: 2 }), false);
    assert.equal(validate({ ...section, keyboard: { variant: 'nodeadkeys' } }), false, 'keyboard needs a layout');
    assert.equal(validate({ ...section, 'late-commands': [3] }), false);
    assert.equal(validate({ ...section, identity: { username: 'x' } }), false);
    assert.match(ajv.errorsText(validate.errors), /must have required property 'hostname'/);
  });
});

describe('Debian preseed', async () => {
  const available = await has('debconf-set-selections', ['--help']);

  for (const [kind, node] of Object.entries(NODES)) {
    test(`debconf-set-selections --checkonly accepts it without a warning (${kind} node)`, { skip: !available && 'debconf-set-selections is not installed (package debconf)' }, async () => {
      const result = await run('debconf-set-selections', ['--checkonly', file(renderDefault('preseed', node))]);
      assert.equal(result.stderr, '');
    });
  }

  test('debconf-set-selections refuses a broken variant', { skip: !available && 'debconf-set-selections is not installed (package debconf)' }, async () => {
    const good = renderDefault('preseed', STATIC_NODE);
    await assert.rejects(run('debconf-set-selections', ['--checkonly', file(`${good}d-i netcfg/get_hostname\n`)]), /parse error on line \d+/);
    const typo = await run('debconf-set-selections', ['--checkonly', file(`${good}d-i netcfg/get_hostname strng n3\n`)]);
    assert.match(typo.stderr, /Unknown type strng/);
  });
});

describe('AutoYaST', async () => {
  const available = await has('xmllint', ['--version']);
  const skip = !available && 'xmllint is not installed (package libxml2-utils)';

  for (const [kind, node] of Object.entries(NODES)) {
    test(`xmllint --noout finds it well-formed (${kind} node)`, { skip }, async () => {
      const result = await run('xmllint', ['--noout', file(renderDefault('autoyast', node))]);
      assert.equal(result.stderr, '');
    });
  }

  test('xmllint refuses a broken variant, and agrees with berth\'s checker', { skip }, async () => {
    const broken = renderDefault('autoyast', STATIC_NODE).replace('</keymap>', '</keymap');
    await assert.rejects(run('xmllint', ['--noout', file(broken)]), /parser error/);
  });

  test("validated against AutoYaST's RELAX NG schema", {
    skip: "AutoYaST's schema (profile.rng) ships in openSUSE's yast2-schema package, which Debian does not package; berth checks well-formedness, the <profile> root and namespaces, and config:type values",
  }, () => {});
});

/** The shell fragments of a rendered answer file, each with where it came from. */
function shellFragments(family: string, text: string): { where: string; script: string }[] {
  const out: { where: string; script: string }[] = [];
  if (family === 'kickstart') {
    for (const m of text.matchAll(/^(%pre|%post)[^\n]*\n([\s\S]*?)^%end$/gm)) out.push({ where: m[1]!, script: m[2]! });
  } else if (family === 'esxi') {
    const parts = text.split(/^(%pre|%post|%firstboot)[^\n]*\n/m);
    for (let i = 1; i < parts.length; i += 2) out.push({ where: parts[i]!, script: parts[i + 1]! });
  } else if (family === 'autoinstall') {
    const section = (parseYaml(text) as { autoinstall: Record<string, unknown> }).autoinstall;
    for (const key of ['early-commands', 'late-commands', 'error-commands']) for (const c of section[key] as string[]) out.push({ where: key, script: c });
  } else if (family === 'autoyast') {
    parseXml(text, (e) => {
      if (e.name === 'source') out.push({ where: '<source>', script: e.text });
    });
  } else if (family === 'agama') {
    const scripts = (JSON.parse(text) as { scripts: Record<string, { name: string; body: string }[]> }).scripts;
    for (const [kind, list] of Object.entries(scripts)) for (const s of list) out.push({ where: `${kind}/${s.name}`, script: s.body });
  } else if (family === 'preseed') {
    const joined = text.replace(/\\\n/g, '');
    for (const m of joined.matchAll(/^d-i (\S+_command) string (.*)$/gm)) out.push({ where: m[1]!, script: m[2]! });
  }
  return out;
}

describe('shell in the answer files', () => {
  for (const family of ['kickstart', 'esxi', 'autoinstall', 'autoyast', 'agama', 'preseed'] as const) {
    test(`${family}: every script parses with sh -n`, async () => {
      for (const [kind, node] of Object.entries(NODES)) {
        const fragments = shellFragments(family, renderDefault(family, node));
        assert.ok(fragments.length >= 2, `${family}: found the scripts`);
        for (const { where, script } of fragments) {
          await run('sh', ['-n'], { input: script }).catch((e: Error) => assert.fail(`${family} ${kind} ${where}: ${e.message}\n${script}`));
        }
      }
    });
  }
});

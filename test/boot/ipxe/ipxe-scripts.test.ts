/**
 * Every iPXE script berth writes, fed hostile values: node names, profile
 * and media names, file names, URLs (a Host header), kernel arguments, echo
 * text containing `${`, newlines, `\`, `#`, `||`, `&&`, `;`, blanks, quotes,
 * NUL and non-ASCII. Each script is parsed the way iPXE parses it
 * (src/image/script.c, src/core/exec.c) and must have exactly the commands,
 * words and `${...}` expansions of the same script made from plain values:
 * a value can change what a word says, never what the script does.
 * Through a real daemon too: a kernel profile's and an image profile's boot
 * script with a hostile attribute in their kernel arguments.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { bootScript, discoveryScript, installChainScript, installRefusedScript, localBootScript } from '../../../src/boot/ipxe/scripts.ts';
import { familyModule } from '../../../src/installs/families/index.ts';
import { installerScript } from '../../../src/installs/families/installer-ipxe.ts';
import type { InstallUrls } from '../../../src/installs/install-family.ts';
import { INSTALL_FAMILIES } from '../../../src/media/media.ts';
import { checkKernelArgs } from '../../../src/profiles/kernel-args.ts';
import { firstUnsafeCharacter, ipxeText, ipxeWord } from '../../../src/util/ipxe-text.ts';
import { startDaemon } from '../../helpers/daemon.ts';
import type { Daemon } from '../../helpers/daemon.ts';
import { writeFakeImageVersion } from '../../helpers/fake-image-version.ts';
import { DHCP_NODE, MEDIA, sampleVars, urlsFor } from '../../installs/fixtures/sample.ts';

/** One value for every trick iPXE's parser has, and some the kernel's has. */
const HOSTILE = 'x${net0/mac}y\nshell\n#c || chain http://evil/ && a ; b "q" \'s\' back\\\n:label\ttab\0nul é\u00a0ü\u2028z';
/** A single word of hostile text: what a URL or a name could be. */
const HOSTILE_WORD = 'h${ip}#a||b&&c;d"e\'f\\g\0hé';

interface Command {
  label?: string;
  /** Each command of the line: its words, up to a `||`, `&&`, `;` or a comment. */
  commands: string[][];
}

/** What iPXE makes of a script: lines (continuations joined, CR stripped), labels, words, commands. */
function parseIpxe(script: string): Command[] {
  assert.ok(script.startsWith('#!ipxe\n'), 'an iPXE script starts with its magic line');
  const out: Command[] = [];
  const lines = script.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    line = line.replace(/\r$/, '');
    while (line.endsWith('\\') && i + 1 < lines.length) line = line.slice(0, -1) + lines[++i]!.replace(/\r$/, '');
    const nul = line.indexOf('\0');
    if (nul >= 0) line = line.slice(0, nul); // a C string ends at NUL
    let rest = line.replace(/^[ \t\v\f\r]+/, '');
    let label: string | undefined;
    if (rest.startsWith(':')) {
      const end = rest.search(/[ \t\v\f\r]|$/);
      label = rest.slice(1, end);
      rest = rest.slice(end);
    }
    const words = rest.split(/[ \t\v\f\r\n]+/).filter((w) => w !== '');
    const commands: string[][] = [];
    let current: string[] = [];
    for (const word of words) {
      if (word.startsWith('#')) break;
      if (word === '||' || word === '&&' || word === ';') {
        commands.push(current);
        current = [];
      } else current.push(word);
    }
    if (current.length > 0 || commands.length > 0) commands.push(current);
    out.push({ ...(label !== undefined ? { label } : {}), commands });
  }
  return out;
}

/** What a script does: per line, its label and per command its name and number of words; and the settings it expands. */
function shape(script: string): { lines: { label?: string; commands: string[] }[]; expansions: string[] } {
  const parsed = parseIpxe(script);
  return {
    lines: parsed.map((l) => ({ ...(l.label !== undefined ? { label: l.label } : {}), commands: l.commands.map((c) => `${c[0]}/${c.length}`) })),
    expansions: [...script.matchAll(/\$\{[^}]*\}/g)].map((m) => m[0]),
  };
}

/** The same text with every word replaced by a plain one: the script it should look like. */
const plainWords = (text: string) => text.split(/\s+/).filter((w) => w !== '').map(() => 'w').join(' ');

function assertSameShape(hostile: string, plain: string, what: string): void {
  assert.deepEqual(shape(hostile), shape(plain), `${what}: the hostile values changed what the script does\n${hostile}`);
  assert.match(hostile, /^[\x20-\x7e\n]*$/, `${what}: only printable ASCII and newlines`);
  assert.doesNotMatch(hostile, /\\$/m, `${what}: no line continues onto the next`);
}

describe('one escaper for iPXE text', () => {
  test('words keep what is harmless and lose everything iPXE or the kernel would read', () => {
    assert.equal(ipxeWord('ds=nocloud-net;s=http://h/'), 'ds=nocloud-net;s=http://h/');
    assert.equal(ipxeWord('console=ttyS0,115200n8 '), 'console=ttyS0,115200n8_');
    assert.equal(ipxeWord(';'), '_');
    assert.equal(ipxeWord('${x}'), '_{x}');
    assert.equal(ipxeWord(HOSTILE_WORD), 'h_{ip}_a__b__c;d_e_f_g_h_');
    assert.equal(ipxeText(' a\tb\n\nc ; d '), 'a b c _ d');
  });

  test('the kernel-argument check points at what would not arrive intact', () => {
    assert.equal(firstUnsafeCharacter('console=ttyS0 ds=nocloud-net;s=http://h/ ip={net.boot.ipv4_address} a~b'), -1);
    assert.equal(firstUnsafeCharacter('quiet ; x'), 6);
    assert.equal(firstUnsafeCharacter('a=${b}'), 2);
    assert.equal(firstUnsafeCharacter('a\tb'), 1);
    assert.equal(firstUnsafeCharacter('é'), 0);
    assert.throws(() => checkKernelArgs('quiet x="a b"', 'image'), (e: Error & { code?: string; where?: { column?: number } }) => e.code === 'BERTH_BAD_INPUT' && e.where?.column === 9 && /cannot be passed through an iPXE script/.test(e.message));
  });
});

describe('every script berth writes keeps its shape whatever the values', () => {
  const file = (name: string, url: string) => ({ name, url });
  const plainUrl = 'http://h/p';

  test('boot script (kernel and image profiles): node, profile, files, URLs, arguments, MAC', () => {
    const make = (w: string, text: string) =>
      bootScript({ node: w, profile: w, kernel: file(w, w), initrds: [file(w, w), file(w, w)], kernelArgs: text, retryUrl: w, mac: w });
    assertSameShape(make(HOSTILE_WORD, HOSTILE), make('w', plainWords(HOSTILE)), 'bootScript');
    assertSameShape(make(`${plainUrl} ${HOSTILE_WORD}`, ''), make('w', ''), 'bootScript with blanks in single words');
  });

  test('local boot, discovery, install chain and install refused scripts', () => {
    assertSameShape(localBootScript(HOSTILE_WORD, HOSTILE), localBootScript('w', plainWords(HOSTILE)), 'localBootScript');
    assertSameShape(discoveryScript(HOSTILE_WORD, `${plainUrl} ${HOSTILE_WORD}`), discoveryScript('w', plainUrl), 'discoveryScript');
    assertSameShape(installChainScript(HOSTILE_WORD, HOSTILE_WORD, `${HOSTILE_WORD} x/`), installChainScript('w', 'w', 'w/'), 'installChainScript');
    assert.deepEqual(shape(installChainScript('w', 'w', 'w/')).expansions, ['${platform}'], "the one expansion berth means: iPXE's own platform");
    assertSameShape(installRefusedScript(HOSTILE_WORD, HOSTILE_WORD), installRefusedScript('w', 'w'), 'installRefusedScript');
  });

  test('the installer script itself, every field hostile', () => {
    const make = (w: string, text: string) =>
      installerScript({ node: w, what: w, firmware: 'uefi', kernel: file(w, w), initrds: [file(w, w)], args: [w, w], retry: w, notes: [text] });
    assertSameShape(make(HOSTILE_WORD, HOSTILE), make('w', plainWords(HOSTILE)), 'installerScript');
  });

  for (const family of INSTALL_FAMILIES) {
    test(`${family}: its installer script, for both firmwares, with hostile kernel arguments, node, media name and URLs`, () => {
      for (const firmware of ['uefi', 'bios'] as const) {
        const hostileUrls: InstallUrls = { media: `http://h/m${HOSTILE_WORD}`, answer: `http://h/a${HOSTILE_WORD}`, callback: `http://h/c${HOSTILE_WORD}` };
        const make = (node: string, urls: InstallUrls, kernelArgs: string, name: string) => {
          const media = { ...MEDIA[family], name };
          return familyModule(family).bootScript({ media, urls, firmware, node, kernelArgs, vars: sampleVars(family, DHCP_NODE, media) }).ipxe;
        };
        const hostile = make(HOSTILE_WORD, hostileUrls, HOSTILE, HOSTILE_WORD);
        const plain = make('w', urlsFor(family, 'w'), plainWords(HOSTILE), 'w');
        assertSameShape(hostile, plain, `${family} (${firmware})`);
      }
    });
  }
});

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.setEncoding('latin1').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode!, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('boot scripts from a real daemon, with a hostile attribute in the kernel arguments', () => {
  let d: Daemon;
  let port: number;
  const ok = (args: string[]) => d.ok(args);

  const define = async (name: string, attributes: Record<string, string>) => {
    const r = await d.api('POST', '/api/v1/nodes', { noderange: name, attributes });
    assert.equal(r.status, 201, JSON.stringify(r.json));
  };

  before(async () => {
    d = await startDaemon();
    port = JSON.parse(d.cli(['boot', 'status', '--json']).stdout).httpPort;
    const profile = join(d.stateDir, 'profiles', 'kern');
    mkdirSync(profile, { recursive: true });
    writeFileSync(join(profile, 'vmlinuz'), 'k');
    writeFileSync(join(profile, 'initrd.gz'), 'i');
    writeFileSync(join(profile, 'profile.yaml'), 'kernel: vmlinuz\ninitrds: [initrd.gz]\nkernel_args: console=ttyS0 site={custom.evil}\n');
    await writeFakeImageVersion(d.stateDir, 'img', 1);
    // As a literal value (braces doubled), without the NUL no command line can carry.
    const literal = HOSTILE.replace('\0', '').replace(/[{}]/g, '$&$&');
    ok(['profile', 'define', 'imgp', '--image', 'img@1', '--kernel-args', 'console=ttyS0 site={custom.evil}']);
    await define('k1', { 'net.boot.hwaddr': '52:54:00:00:00:11', 'deployment.pending_profile': 'kern', 'custom.evil': literal });
    await define('i1', { 'net.boot.hwaddr': '52:54:00:00:00:12', 'deployment.pending_profile': 'imgp', 'custom.evil': literal });
    await define('p1', { 'net.boot.hwaddr': '52:54:00:00:00:13', 'deployment.pending_profile': 'kern', 'custom.evil': 'plain' });
    await define('p2', { 'net.boot.hwaddr': '52:54:00:00:00:14', 'deployment.pending_profile': 'imgp', 'custom.evil': 'plain' });
  });
  after(async () => {
    await d?.stop();
    d?.cleanup();
  });

  test('kernel profile: the hostile value stays inside kernel arguments', async () => {
    const hostile = await get(port, '/boot/ipxe/52:54:00:00:00:11');
    const plain = await get(port, '/boot/ipxe/52:54:00:00:00:13');
    assert.equal(hostile.status, 200);
    assert.equal(shape(hostile.body).lines.length, shape(plain.body).lines.length, hostile.body);
    assert.deepEqual(shape(hostile.body).lines.map((l) => l.commands.map((c) => c.split('/')[0])), shape(plain.body).lines.map((l) => l.commands.map((c) => c.split('/')[0])), hostile.body);
    assert.deepEqual(shape(hostile.body).expansions, []);
    assert.match(hostile.body, /^[\x20-\x7e\n]*$/);
  });

  test('image profile: the same, and a Host header with blanks cannot add kernel arguments', async () => {
    const hostile = await get(port, '/boot/ipxe/52:54:00:00:00:12', { host: `127.0.0.1:${port} berth.server=https://evil:8443` });
    const plain = await get(port, '/boot/ipxe/52:54:00:00:00:14');
    assert.equal(hostile.status, 200);
    assert.deepEqual(shape(hostile.body).lines.map((l) => l.commands.map((c) => c.split('/')[0])), shape(plain.body).lines.map((l) => l.commands.map((c) => c.split('/')[0])), hostile.body);
    assert.deepEqual(shape(hostile.body).expansions, []);
    assert.doesNotMatch(hostile.body, / berth\.server=https:\/\/evil/, hostile.body);
  });

  test('an image profile whose own arguments iPXE cannot carry is refused at define, naming the column', () => {
    const refused = d.cli(['profile', 'define', 'bad', '--image', 'img@1', '--kernel-args', 'quiet ${x}']);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /'\$' at column 7 cannot be passed through an iPXE script/);
  });
});

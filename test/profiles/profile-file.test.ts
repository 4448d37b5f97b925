/** profile.yaml: parsing, the errors people see, and writing that keeps their comments. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BerthError } from '../../src/errors.ts';
import { checkKernelArgs } from '../../src/profiles/kernel-args.ts';
import { formatProfileFile, parseProfileFile } from '../../src/profiles/profile-file.ts';
import { profileNameProblem } from '../../src/profiles/profile-name.ts';

const FILE = '/var/lib/berth/profiles/p/profile.yaml';
const parse = (text: string) => parseProfileFile(text, FILE, 'p');

function refused(text: string, code: string, message: RegExp): BerthError {
  try {
    parse(text);
  } catch (e) {
    assert.ok(e instanceof BerthError, String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, message);
    assert.equal(e.where.file, FILE);
    return e;
  }
  assert.fail(`accepted:\n${text}`);
}

describe('profile.yaml', () => {
  test('an image profile: ref, boot method, kernel arguments with expressions, description', () => {
    const profile = parse('image: compute@latest\nboot_method: untethered\nkernel_args: console=ttyS0 ip={net.boot.ipv4_address}\ndescription: diskless\n');
    assert.deepEqual(profile, {
      kind: 'image',
      name: 'p',
      description: 'diskless',
      kernelArgs: 'console=ttyS0 ip={net.boot.ipv4_address}',
      image: { name: 'compute', version: 'latest' },
      bootMethod: 'untethered',
    });
  });

  test('defaults: a bare image name means latest, tethered, no arguments', () => {
    const profile = parse('image: compute\n');
    assert.equal(profile.kind, 'image');
    assert.deepEqual(profile.kind === 'image' && profile.image, { name: 'compute', version: 'latest' });
    assert.equal(profile.kind === 'image' && profile.bootMethod, 'tethered');
    assert.equal(profile.kernelArgs, '');
    assert.deepEqual(parse('image: compute@3\nkernel_args:\n').kind === 'image' && (parse('image: compute@3\n') as { image: unknown }).image, { name: 'compute', version: 3 });
  });

  test('a kernel profile as the lab writes it', () => {
    assert.deepEqual(parse('kernel: vmlinuz\ninitrds: [initrd.gz]\nkernel_args: console=ttyS0 panic=5 berth.node={node}\n'), {
      kind: 'kernel',
      name: 'p',
      description: '',
      kernelArgs: 'console=ttyS0 panic=5 berth.node={node}',
      kernel: 'vmlinuz',
      initrds: ['initrd.gz'],
    });
  });

  test('exactly one of image, media and kernel', () => {
    refused('image: compute\nkernel: vmlinuz\n', 'BERTH_CONFIG', /has image: and kernel:/);
    refused('media: deb12\nkernel: vmlinuz\n', 'BERTH_CONFIG', /has media: and kernel:/);
    refused('kernel_args: quiet\n', 'BERTH_CONFIG', /needs image: .*, media: .* or kernel:/);
    refused('', 'BERTH_CONFIG', /is empty/);
  });

  test('a scripted install: media and packages, nothing of the other kinds', () => {
    const profile = parseProfileFile('media: debian-12-x86_64\npackages: [curl, vim]\nkernel_args: console=ttyS0\n', '/p/profile.yaml', 'p');
    assert.deepEqual(profile, { kind: 'install', name: 'p', description: '', kernelArgs: 'console=ttyS0', media: 'debian-12-x86_64', packages: ['curl', 'vim'] });
    refused('media: deb12\nboot_method: tethered\n', 'BERTH_CONFIG', /:2: boot_method: only for image or kernel profiles/);
    refused('media: deb12\npackages: [curl, "rm -rf /"]\n', 'BERTH_CONFIG', /packages: "rm -rf \/" is not a package name/);
    refused('image: compute\npackages: [curl]\n', 'BERTH_CONFIG', /packages: only for scripted installs/);
    refused('media: ../x\n', 'BERTH_CONFIG', /media: '..\/x' is not a media name/);
  });

  test('errors name file, line and key', () => {
    const e = refused('image: compute\nboot_method: diskless\n', 'BERTH_CONFIG', /^\/var\/lib\/berth\/profiles\/p\/profile\.yaml:2: boot_method: 'diskless' is not a boot method; use one of tethered, untethered, installtodisk$/);
    assert.equal(e.where.line, 2);
    refused('image: compute@x\n', 'BERTH_CONFIG', /:1: image: 'compute@x': the version after '@' must be a number/);
    refused('image: ../etc\n', 'BERTH_CONFIG', /:1: image: image name '..\/etc' contains/);
    refused('image: compute\nkernel_arg: quiet\n', 'BERTH_CONFIG', /:2: kernel_arg: unknown key/);
    refused('image: compute\nkernel_args: 5\n', 'BERTH_CONFIG', /:2: kernel_args: must be text, not number 5 \(quote it\)/);
    refused('kernel: ../vmlinuz\n', 'BERTH_CONFIG', /kernel: '..\/vmlinuz' is not a file name/);
    refused('kernel: vmlinuz\ninitrds: initrd.gz\n', 'BERTH_CONFIG', /initrds: must be a list/);
    refused('kernel: vmlinuz\nboot_method: tethered\n', 'BERTH_CONFIG', /boot_method: only for image profiles/);
    refused('image: compute\ninitrds: [a]\n', 'BERTH_CONFIG', /initrds: only for kernel profiles/);
    refused('image: [compute\n', 'BERTH_CONFIG', /profile\.yaml:\d+: YAML syntax/);
    refused('- image\n', 'BERTH_CONFIG', /expected keys/);
  });

  test('every problem is reported at once', () => {
    const e = refused('image: compute@x\nboot_method: nope\ncolour: red\n', 'BERTH_CONFIG', /colour: unknown key/);
    assert.equal(e.more.length, 2);
    assert.match(e.more.map((m) => m.message).join('\n'), /image: .*\n.*boot_method: 'nope'/);
  });

  test('kernel arguments: syntax errors keep their code and column, unknown attributes are refused', () => {
    const e = refused('image: compute\nkernel_args: ip={net.boot.ipv4_address\n', 'BERTH_EXPRESSION_SYNTAX', /:2: kernel_args: expression/);
    assert.equal(typeof e.where.column, 'number');
    assert.equal(e.where.line, 2);
    refused("image: compute\nkernel_args: 'x={no.such.attribute}'\n", 'BERTH_UNKNOWN_ATTRIBUTE', /kernel_args: /);
  });

  test('kernel arguments iPXE cannot carry, and those berth sets itself, are refused', () => {
    assert.throws(() => checkKernelArgs('quiet acpi_osi="Linux"', 'image'), (e: BerthError) => e.code === 'BERTH_BAD_INPUT' && e.where.column === 16 && /'"' at column 16 cannot be passed through an iPXE script/.test(e.message));
    assert.throws(() => checkKernelArgs('console=ttyS0 $x', 'image'), /column 15/);
    assert.throws(() => checkKernelArgs('quiet berth.image=other@1', 'image'), (e: BerthError) => e.code === 'BERTH_BAD_INPUT' && e.where.column === 7 && /berth sets berth\.image= itself/.test(e.message));
    assert.throws(() => checkKernelArgs('boot=nfs', 'image'), /berth sets boot= itself/);
    // A kernel profile is the administrator's own command line.
    assert.doesNotThrow(() => checkKernelArgs('boot=live berth.node={node}', 'kernel'));
    // Kernel profiles that booted before these checks existed keep booting.
    assert.doesNotThrow(() => checkKernelArgs('quiet acpi_osi="Linux"', 'kernel'));
    assert.doesNotThrow(() => checkKernelArgs('console=tty0 console=ttyS0,115200n8 rd.break=pre-mount root=LABEL=x', 'image'));
  });

  test('writing: new files read back the same; edits keep comments and key order', () => {
    const profile = parse('image: compute\nkernel_args: "{node}-x quiet"\ndescription: "a: b"\n');
    assert.deepEqual(parse(formatProfileFile(profile)), profile);
    const handWritten = '# compute nodes, ask Ana before changing\nimage: compute@latest # newest\nboot_method: tethered\n\n# serial console for the BMC\nkernel_args: console=ttyS0\n';
    const changed = { ...parse(handWritten), kernelArgs: 'console=ttyS1 {node}', description: 'x' };
    const text = formatProfileFile(changed, handWritten);
    assert.match(text, /^# compute nodes, ask Ana before changing\n/);
    assert.match(text, /# serial console for the BMC\nkernel_args: "?console=ttyS1 \{node\}"?\n/);
    assert.deepEqual(parse(text), changed);
    // An empty description is dropped rather than written as "".
    assert.doesNotMatch(formatProfileFile({ ...changed, description: '' }, text), /description/);
  });

  test('a long command line stays on one line', () => {
    const args = Array.from({ length: 40 }, (_, i) => `opt${i}=value${i}`).join(' ');
    const text = formatProfileFile({ kind: 'image', name: 'p', description: '', kernelArgs: args, image: { name: 'c', version: 2 }, bootMethod: 'installtodisk' });
    assert.equal(text.split('\n').filter((l) => l.startsWith('kernel_args')).length, 1);
    assert.match(text, /^image: c@2$/m);
    assert.equal(parse(text).kernelArgs, args);
  });

  test('profile names follow the deployment.pending_profile attribute', () => {
    for (const good of ['compute', 'rocky-9.5-x86_64+gpu', 'a'.repeat(128)]) assert.equal(profileNameProblem(good), undefined, good);
    for (const bad of ['', '.hidden', '-x', 'a/b', 'a..b', ' compute', 'a'.repeat(129), 'a b']) assert.notEqual(profileNameProblem(bad), undefined, bad);
  });
});
